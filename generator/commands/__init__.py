"""Every `govsite` subcommand, one module (or family) each, and the table that names them.

A subcommand is an object with `add_arguments(parser)` and `run(args) -> int`, and optionally
`DESCRIPTION` and `EPILOG` for `--help`: a module (`generator.commands.validate`) or an
attribute of one (`generator.commands.site:BUILD`). `cli` builds the one parser from
`SUBCOMMANDS`, importing only the module of the command being run, so a slow import (MkDocs for
`build`) never slows `validate`. Options several commands share come from `common`.
"""

from __future__ import annotations

import importlib
from typing import Any, Optional

from ..model import record


@record
class Subcommand:
    name: str
    help: str
    target: str  # "package.module" or "package.module:attribute"

    def load(self) -> Optional[Any]:
        """The implementing object, or None when its module is not part of this installation."""
        module_name, _, attribute = self.target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            missing = exc.name or ""
            if module_name == missing or module_name.startswith(missing + "."):
                return None
            raise
        return getattr(module, attribute) if attribute else module


SUBCOMMANDS: tuple[Subcommand, ...] = (
    Subcommand(
        "validate", "check the repository against the migration policy",
        "generator.commands.validate",
    ),
    Subcommand(
        "rules", "list the policy rules, or show one rule's documentation",
        "generator.commands.rules",
    ),
    Subcommand(
        "generate", "write the generated pages as Markdown", "generator.commands.site:GENERATE"
    ),
    Subcommand("build", "build the governance site", "generator.commands.site:BUILD"),
    Subcommand("serve", "preview the governance site locally", "generator.commands.site:SERVE"),
    Subcommand("baseline", "record today's findings so only new ones fail", "generator.commands.baseline"),
    Subcommand("review", "summarise a quarter for the policy review", "generator.commands.review"),
    Subcommand("init", "set a repository up: configuration, CI workflow, hooks", "generator.commands.init"),
    Subcommand("snapshot", "write the schema snapshot of a database", "generator.commands.snapshot"),
    Subcommand("drift", "compare a live database with the expected schema", "generator.commands.drift"),
)
