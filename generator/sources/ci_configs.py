"""CI/CD configurations: the jobs that run `alembic downgrade` and the environment they target.

GitHub Actions workflows (`jobs:` with `steps:` and `run:`) and GitLab CI files (top-level jobs
with `script`, `before_script`, `after_script`) are read with PyYAML's node tree, so every command
is reported at its own line, also inside a multi-line `run: |` block.

A job's environment is, in this order:

1. its `environment:` key (`production` or `{name: production}`), lower-cased as written;
2. an environment word in its id or `name:` (`deploy-prod` -> `prod`, `migrate_staging`);
3. a variable of the step, the job, or the whole file whose name says environment (`ENVIRONMENT`,
   `ENV`, `DEPLOY_ENV`, `TARGET_ENV`, `APP_ENV`, `RAILS_ENV`, ...) and whose value is a literal
   name (`production`), lower-cased.

Expressions (`${{ inputs.env }}`, `$DEPLOY_ENV`) are not evaluated and matrix values are out of
scope; such a job keeps looking at the next source and may end with no environment (None).
For GitLab, hidden jobs (`.template:`) are not jobs of their own, but a job's `extends:` of a
template in the same file, YAML anchors and merge keys, and `default:` scripts are followed;
`include:`d files and `!reference` tags are not.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path, PurePosixPath
from typing import Iterable, Iterator, Optional

import yaml

from ..config import Config
from ..model import CiJob, Finding, Location
from ..catalog import finding
from .files import find_files, read_text
from .markdown import YamlDocument, load_yaml

OTHER_ENVIRONMENTS = ("development", "dev", "local", "test", "testing", "ci", "qa", "sandbox", "preview", "review")
GITLAB_KEYWORDS = {
    "stages", "variables", "default", "include", "workflow",
    "image", "services", "cache", "before_script", "after_script", "types",
}
GITLAB_SCRIPT_KEYS = ("before_script", "script", "after_script")
_ENV_VARIABLE = re.compile(r"(?:[A-Z][A-Z0-9]*_)*(?:ENV|ENVIRONMENT)", re.I)
_LITERAL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-/ ]*")
_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_ALEMBIC_OPTIONS_WITH_VALUE = {"-c", "--config", "-n", "--name", "-x"}
_MAX_NESTING = 10  # GitLab's own limit for nested script lists and `extends` chains


def read_ci_jobs(root: Path, config: Config) -> tuple[list[CiJob], list[Finding]]:
    """Every job of every file matched by `config.ci`; unreadable YAML is a GOV804 finding."""
    jobs: list[CiJob] = []
    findings: list[Finding] = []
    for rel in find_files(root, config.ci):
        text, problem = read_text(root, rel, "GOV804")
        if text is None:
            findings.append(problem)
            continue
        found, problems = parse_ci_file(rel, text.text, config)
        jobs.extend(found)
        findings.extend(problems)
    return jobs, findings


def parse_ci_file(rel: str, text: str, config: Config) -> tuple[list[CiJob], list[Finding]]:
    document, problem = load_yaml(rel, text)
    if document is None:
        return [], [problem]
    node = document.node
    if node is None:
        return [], [finding("GOV804", Location(rel, 1), "CI configuration is empty")]
    if not isinstance(node, yaml.MappingNode):
        return [], [finding("GOV804", Location(rel, document.line_of(node)), "CI configuration is not a mapping")]
    reader = _CiFile(rel, text.split("\n"), document, config)
    if _is_github_workflow(rel, node):
        return reader.github_jobs(node), reader.findings
    return reader.gitlab_jobs(node), reader.findings


def _is_github_workflow(rel: str, node: yaml.MappingNode) -> bool:
    if "/.github/" in f"/{rel}":
        return True
    if "gitlab-ci" in PurePosixPath(rel).name:
        return False
    return isinstance(_get(node, "jobs"), yaml.MappingNode)


def is_protected_environment(environment: Optional[str], protected: Iterable[str]) -> bool:
    """Whether an environment name names a protected one, word by word (`prod-eu` is `prod`)."""
    if not environment:
        return False
    wanted = {p.lower() for p in protected}
    return environment.lower() in wanted or any(w in wanted for w in environment_words(environment))


def environment_words(name: str) -> list[str]:
    """`deployProd`, `deploy-prod`, `deploy_prod` -> ['deploy', 'prod']."""
    return [w.lower() for w in _WORDS.findall(name)]


# --------------------------------------------------------------------------- YAML nodes


def _items(node: Optional[yaml.Node]) -> list[tuple[str, yaml.Node, yaml.Node]]:
    """(key, key node, value node) of a mapping; a later duplicate key replaces an earlier one."""
    if not isinstance(node, yaml.MappingNode):
        return []
    found: dict[str, tuple[str, yaml.Node, yaml.Node]] = {}
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode):
            found[key.value] = (key.value, key, value)
    return list(found.values())


def _get(node: Optional[yaml.Node], key: str) -> Optional[yaml.Node]:
    return next((value for name, _, value in _items(node) if name == key), None)


def _scalar(node: Optional[yaml.Node]) -> Optional[str]:
    if isinstance(node, yaml.ScalarNode) and node.tag != "tag:yaml.org,2002:null":
        return node.value
    return None


class _CiFile:
    """One CI file being read: its lines (for exact command lines) and the findings so far."""

    def __init__(self, rel: str, lines: list[str], document: YamlDocument, config: Config):
        self.rel = rel
        self.lines = lines
        self.document = document
        self.config = config
        self.findings: list[Finding] = []

    def line_of(self, node: yaml.Node) -> int:
        return self.document.line_of(node)

    def problem(self, node: yaml.Node, message: str) -> None:
        where = Location(self.rel, self.line_of(node), node.start_mark.column + 1)
        self.findings.append(finding("GOV804", where, message))

    # ----------------------------------------------------------------- GitHub Actions

    def github_jobs(self, workflow: yaml.MappingNode) -> list[CiJob]:
        jobs_node = _get(workflow, "jobs")
        if not isinstance(jobs_node, yaml.MappingNode):
            self.problem(jobs_node or workflow, "workflow has no 'jobs' mapping")
            return []
        jobs = []
        for job_id, key, job in _items(jobs_node):
            if not isinstance(job, yaml.MappingNode):
                self.problem(job, f"job '{job_id}' is not a mapping")
                continue
            downgrades, step_envs = self.github_steps(job_id, job)
            names = [job_id] + [n for n in [_scalar(_get(job, "name"))] if n]
            scopes = step_envs + [_get(job, "env"), _get(workflow, "env")]
            environment, source = self.environment(_get(job, "environment"), names, scopes)
            line = self.line_of(key)
            jobs.append(CiJob(self.rel, job_id, line, environment, source, tuple(downgrades)))
        return jobs

    def github_steps(
        self, job_id: str, job: yaml.MappingNode
    ) -> tuple[list[Location], list[Optional[yaml.Node]]]:
        """Downgrade commands of a job's steps, and the `env:` of the steps that run them."""
        steps = _get(job, "steps")
        if steps is None:
            return [], []  # a reusable-workflow call (`uses:`) has no steps
        if not isinstance(steps, yaml.SequenceNode):
            self.problem(steps, f"'steps' of job '{job_id}' is not a list")
            return [], []
        downgrades: list[Location] = []
        envs: list[yaml.Node] = []
        for step in steps.value:
            if not isinstance(step, yaml.MappingNode):
                self.problem(step, f"a step of job '{job_id}' is not a mapping")
                continue
            run = _get(step, "run")
            if run is None:
                continue
            if not isinstance(run, yaml.ScalarNode):
                self.problem(run, f"'run' of a step of job '{job_id}' is not a string")
                continue
            found = self.downgrades_in(run)
            if found:
                downgrades.extend(found)
                envs.append(_get(step, "env"))
        return downgrades, envs

    # ----------------------------------------------------------------- GitLab CI

    def gitlab_jobs(self, root: yaml.MappingNode) -> list[CiJob]:
        top = {name: value for name, _, value in _items(root)}
        default = top.get("default")
        inherited_scripts = {
            key: _get(default, key) or top.get(key) for key in ("before_script", "after_script")
        }
        jobs = []
        for name, key, node in _items(root):
            if name in GITLAB_KEYWORDS or name.startswith("."):
                continue
            if not isinstance(node, yaml.MappingNode):
                continue  # not a job: GitLab itself reports unknown top-level keys
            effective = self.gitlab_effective(name, node, top)
            if not any(k in effective for k in GITLAB_SCRIPT_KEYS):
                continue
            _inherit_default_scripts(effective, node, inherited_scripts)
            downgrades = [
                loc for k in GITLAB_SCRIPT_KEYS if k in effective
                for loc in self.script_downgrades(name, effective[k])
            ]
            scopes = effective["variables scopes"] + [top.get("variables")]
            environment, source = self.environment(effective.get("environment"), [name], scopes)
            line = self.line_of(key)
            jobs.append(CiJob(self.rel, name, line, environment, source, tuple(downgrades)))
        return jobs

    def gitlab_effective(
        self, name: str, job: yaml.MappingNode, templates: dict, depth: int = 0
    ) -> dict:
        """The job's keys after `extends:` of same-file templates (later ones win, the job last).

        `variables` are merged by name in GitLab, so all their mappings are kept as scopes,
        nearest first, under the key "variables scopes".
        """
        merged: dict = {"variables scopes": []}
        extends = _get(job, "extends")
        if isinstance(extends, yaml.ScalarNode):
            parents = [extends.value]
        elif isinstance(extends, yaml.SequenceNode):
            parents = [_scalar(item) for item in extends.value]
        else:
            parents = []
        for parent in parents:
            template = templates.get(parent or "")
            if depth >= _MAX_NESTING or not isinstance(template, yaml.MappingNode):
                continue  # a template from an `include:`d file, or a runaway chain
            inherited = self.gitlab_effective(parent, template, templates, depth + 1)
            scopes = inherited.pop("variables scopes")
            merged.update(inherited)
            merged["variables scopes"] = scopes + merged["variables scopes"]
        for key in GITLAB_SCRIPT_KEYS + ("environment",):
            if _get(job, key) is not None:
                merged[key] = _get(job, key)
        merged["variables scopes"] = [_get(job, "variables")] + merged["variables scopes"]
        return merged

    def script_downgrades(
        self, job: str, node: yaml.Node, depth: int = 0, seen: Optional[set] = None
    ) -> list[Location]:
        """Downgrade commands of a script: a string or a (possibly nested) list of strings.

        Nodes reached twice through YAML aliases are read once, so an alias bomb stays linear.
        """
        seen = set() if seen is None else seen
        if id(node) in seen or depth > _MAX_NESTING:
            return []
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            return self.downgrades_in(node)
        if isinstance(node, yaml.SequenceNode):
            return [
                loc for item in node.value
                for loc in self.script_downgrades(job, item, depth + 1, seen)
            ]
        self.problem(node, f"script of job '{job}' must be a string or a list of strings")
        return []

    # ----------------------------------------------------------------- environment

    def environment(
        self, declared: Optional[yaml.Node], names: list[str], scopes: list[Optional[yaml.Node]]
    ) -> tuple[Optional[str], Optional[str]]:
        """(environment, how it was found): see the module documentation for the order."""
        if isinstance(declared, yaml.MappingNode):
            declared = _get(declared, "name")
        value = _scalar(declared)
        if value and _LITERAL_NAME.fullmatch(value.strip()):
            return value.strip().lower(), "environment"
        for name in names:
            word = self.environment_word(name)
            if word:
                return word, "job name"
        for scope in scopes:
            for variable, _, node in _items(scope):
                named = _variable_value(node)
                if _ENV_VARIABLE.fullmatch(variable) and named and _LITERAL_NAME.fullmatch(named):
                    return named.lower(), "variable"
        return None, None

    def environment_word(self, name: str) -> Optional[str]:
        """The first protected environment word in a job name, else the first other one."""
        words = environment_words(name)
        protected = [p.lower() for p in self.config.protected_environments]
        for candidates in (protected, OTHER_ENVIRONMENTS):
            hit = next((w for w in words if w in candidates), None)
            if hit:
                return hit
        return None

    # ----------------------------------------------------------------- commands

    def downgrades_in(self, node: yaml.ScalarNode) -> list[Location]:
        """Locations of `alembic ... downgrade` commands in a `run`/`script` string."""
        locations: list[Location] = []
        searched_from = node.start_mark.line
        for index, command in _logical_lines(node.value):
            if not runs_alembic_downgrade(command):
                continue
            line = self.command_line(node, index, searched_from)
            searched_from = line  # in a folded scalar, the next match is on a later line
            raw = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
            column = raw.find("alembic") + 1 or node.start_mark.column + 1
            locations.append(Location(self.rel, line, column))
        return locations

    def command_line(self, node: yaml.ScalarNode, index: int, searched_from: int) -> int:
        """The file line of the `index`-th line of a scalar's value.

        A literal block (`|`) keeps lines one to one, starting on the line after the indicator;
        a one-line scalar is on its own line; for folded or multi-line flow scalars, whose lines
        are joined when loaded, the first source line from `searched_from` (0-based) on that
        mentions `downgrade` is taken.
        """
        start, end = node.start_mark.line, node.end_mark.line
        if node.style == "|":
            return start + 2 + index
        if start == end or (end == start + 1 and node.end_mark.column == 0):
            return start + 1
        for line in range(max(searched_from, start), min(end + 1, len(self.lines))):
            if "downgrade" in self.lines[line]:
                return line + 1
        return start + 1


def _inherit_default_scripts(effective: dict, job: yaml.MappingNode, inherited: dict) -> None:
    """`before_script` / `after_script` of `default:` (or the top level) apply to every job that
    does not set its own, unless the job opts out with `inherit: default: false` (or a list)."""
    opt_out = _get(_get(job, "inherit"), "default")
    for key, source in inherited.items():
        if key in effective or source is None or (_scalar(opt_out) or "").lower() == "false":
            continue
        listed = [_scalar(n) for n in opt_out.value] if isinstance(opt_out, yaml.SequenceNode) else None
        if listed is not None and key not in listed:
            continue
        effective[key] = source


def _variable_value(node: Optional[yaml.Node]) -> Optional[str]:
    """A variable's literal value: `VAR: x` or GitLab's `VAR: {value: x, description: ...}`."""
    if isinstance(node, yaml.MappingNode):
        node = _get(node, "value")
    value = _scalar(node)
    return value.strip() if value else None


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(index of the first physical line, command) with `\\` line continuations joined."""
    pending: list[str] = []
    first = 0
    for index, line in enumerate(text.split("\n")):
        if not pending:
            first = index
        if line.rstrip().endswith("\\"):
            pending.append(line.rstrip()[:-1])
            continue
        pending.append(line)
        yield first, " ".join(pending)
        pending = []
    if pending:
        yield first, " ".join(pending)


def runs_alembic_downgrade(command: str) -> bool:
    """Whether a shell command line runs alembic's `downgrade` subcommand.

    Recognised: `alembic downgrade -1`, `alembic -c db/alembic.ini downgrade base`,
    `python -m alembic downgrade`, `poetry run alembic -x env=ci downgrade`,
    `docker compose run app alembic downgrade -1`, also after `&&`, `;` or `|`.
    Not recognised (on purpose): text printed by `echo`/`printf`, a quoted string, a comment, or a
    wrapper script or make target that runs alembic out of sight.
    """
    return any(_runs_downgrade(words) for words in _simple_commands(_shell_words(command)))


def _simple_commands(words: list[str]) -> Iterator[list[str]]:
    """Split shell words at `;`, `&&`, `||`, `|`, parentheses and redirections."""
    current: list[str] = []
    for word in words:
        if word and set(word) <= set("();<>|&"):
            yield current
            current = []
        else:
            current.append(word)
    yield current


def _runs_downgrade(words: list[str]) -> bool:
    if not words or words[0] in ("echo", "printf"):
        return False
    return any(
        PurePosixPath(word).name == "alembic" and _subcommand(words[position + 1 :]) == "downgrade"
        for position, word in enumerate(words)
    )


def _shell_words(command: str) -> list[str]:
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        return list(lexer)
    except ValueError:  # an unbalanced quote: fall back to plain words before any comment
        return command.split(" #")[0].split()


def _subcommand(words: list[str]) -> Optional[str]:
    """The first word after alembic's global options (`-c file`, `--config=file`, `-x k=v`)."""
    skip_value = False
    for word in words:
        if skip_value:
            skip_value = False
        elif word.startswith("-"):
            skip_value = word in _ALEMBIC_OPTIONS_WITH_VALUE
        else:
            return word
    return None
