"""The CSS and scripts every governance page needs, and where they are found.

govsite's own files (`assets/`) always ship with it; mermaid and tablesort come from the npm
registry: carried by the wheel (`assets/vendor/`, packed by setup.py), or, in a checkout used in
place, installed into `.cache/npm` by `scripts/setup_assets.sh`. The MkDocs plugin serves them
under `assets/govsite/`; `govsite generate` writes them beside its pages.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Optional

from ..model import record

OWN_ASSETS = Path(__file__).resolve().parent / "assets"
CHECKOUT = Path(__file__).resolve().parents[2]
VENDOR_SUBDIR = Path(".cache") / "npm"
PACKAGED_VENDOR = OWN_ASSETS / "vendor"  # put there by the wheel build (setup.py)
SITE_ASSETS = "assets/govsite"


@record
class Asset:
    """A file the site serves under `assets/govsite/`; `vendor` ones come from npm at set-up."""

    name: str  # path below the asset directory, also the served name
    vendor: bool
    purpose: str  # what a reader loses when it is missing

    @property
    def uri(self) -> str:
        return f"{SITE_ASSETS}/{self.name}"


SCRIPTS = (
    Asset("mermaid/mermaid.min.js", True, "diagrams will not render offline (mermaid)"),
    Asset("tablesort/tablesort.min.js", True, "tables will not be sortable (tablesort)"),
    Asset("tablesort/tablesort.number.min.js", True, "numeric columns will sort as text"),
    Asset("tablesort-init.js", False, ""),
)
STYLESHEETS = (Asset("govsite.css", False, ""),)


def vendor_directory(config_dir: Optional[Path]) -> Optional[Path]:
    """Where the npm packages are.

    `$GOVSITE_VENDOR_DIR` when set (and then only there), else `.cache/npm` beside mkdocs.yml,
    else the copy an installed wheel carries, else `.cache/npm` in the govsite checkout itself
    (an editable install).
    """
    explicit = os.environ.get("GOVSITE_VENDOR_DIR")
    if explicit:
        return Path(explicit)
    candidates = [config_dir / VENDOR_SUBDIR] if config_dir is not None else []
    candidates += [PACKAGED_VENDOR, CHECKOUT / VENDOR_SUBDIR]
    return next((candidate for candidate in candidates if candidate.is_dir()), None)


def locate_assets(config_dir: Optional[Path], warn: Callable[[str], None]) -> dict[str, Path]:
    """Every file the pages need, by the address it is served under, and where it is now;
    `warn` hears which npm file is missing and what a reader loses without it."""
    vendor = vendor_directory(config_dir)
    found: dict[str, Path] = {}
    for asset in STYLESHEETS + SCRIPTS:
        source = (vendor / asset.name) if asset.vendor and vendor else OWN_ASSETS / asset.name
        if source.is_file():
            found[asset.uri] = source
        elif asset.vendor:
            warn(
                f"{asset.name} not installed (run scripts/setup_assets.sh in a govsite "
                f"checkout, or install govsite with `pip install .` there): {asset.purpose}"
            )
    return found


__all__ = ["Asset", "SCRIPTS", "SITE_ASSETS", "STYLESHEETS", "locate_assets", "vendor_directory"]
