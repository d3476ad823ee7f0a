"""The scale benchmark: how govsite's costs grow with the number of migrations.

For each size N it writes a synthetic repository (`synth.py`: N migrations, N/10 ADRs, N/50
emergency records, a dated git history) and measures, on this machine and in this one run:

* `govsite validate` (reading the repository and running every rule) against merely reading and
  `ast.parse`-ing the same migration files; cold, in one process and with the parsing pool;
  warm, with the persistent parse cache;
* the full site build (`govsite build`) against a plain `mkdocs build` of the same pages written
  out as Markdown, with the same theme, extensions and assets but no governance plugin;
* git processes started, site size per migration and peak memory;
* `govsite validate` as a whole command: interpreter start, imports, work and exit.

Every measurement runs in a fresh child process (so caches, imports and memory of one cannot
help another); modules are imported before the clock starts, and import time is reported on its
own (the whole-command column is the exception: it is what a user waits for). Times are the
best of `--repeats` runs. Only ratios measured in the same run mean anything:
the machine is shared and noisy.

    python benchmarks/run.py                  # N = 100, 500, 2000, 5000
    python benchmarks/run.py --quick          # N = 100, 300
    python benchmarks/run.py --sizes 50 --no-site
"""

from __future__ import annotations

import argparse
import ast
import gc
import json
import os
import platform
import resource
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
RESULTS = HERE / "results.md"
SIZES = (100, 500, 2000, 5000)
QUICK_SIZES = (100, 300)
MISSING = "-"

# Targets of DESIGN.md section 5, shown beside the ratios they apply to.
VALIDATE_TARGET = 1.5  # cold validate / (ast.parse floor + git walk floor)
BUILD_TARGET = 1.25
POOL_JOBS = 2  # the "parsing workers" column: what `govsite validate --jobs 2` does

sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(HERE))


# --------------------------------------------------------------------------- child measurements
#
# A child is `run.py --child KIND '<json arguments>'`; it prints one JSON object on its last
# line: the seconds measured plus whatever the kind reports.


def _preload(site: bool = False) -> float:
    """Import everything a measurement uses, so the clock only sees the work itself."""
    started = time.perf_counter()
    import markdown_it  # noqa: F401
    import pglast  # noqa: F401
    import sqlglot  # noqa: F401

    from generator.rules import all_rules
    from generator.sources import adrs, ci_configs, exceptions, history, migrations, policies, sql  # noqa: F401

    all_rules()
    if site:
        import material  # noqa: F401
        from mkdocs.commands import build  # noqa: F401

        from generator.site import pages, plugin  # noqa: F401
    return time.perf_counter() - started


def _timed(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def child_baseline(args: dict) -> dict:
    """Read and `ast.parse` every migration file: the floor any static reader stands on."""
    root = Path(args["root"])
    paths = sorted((root / "alembic" / "versions").glob("*.py"))

    def parse_all() -> int:
        for path in paths:
            with open(path, "rb") as handle:
                ast.parse(handle.read().decode("utf-8"), str(path))
        return len(paths)

    seconds, files = _timed(parse_all)
    return {"seconds": seconds, "files": files}


def child_git_walk(args: dict) -> dict:
    """The git process of the history walk alone, output read but not parsed: what git itself
    costs, which no reader on top of it can go below. Started as the reader starts it."""
    from generator.sources.history import WALK_ARGUMENTS, GitRunner

    run = GitRunner(Path(args["root"]))
    seconds, (status, out, _) = _timed(lambda: run.start(*WALK_ARGUMENTS, "HEAD", "--").result())
    return {"seconds": seconds, "status": status, "bytes": len(out)}


def child_validate(args: dict) -> dict:
    """`govsite validate` as the library runs it: load_repository + run_rules (+ cache I/O),
    with the garbage collector paused if the command pauses it."""
    imports = _preload()
    from generator import cli
    from generator.cache import ParseCache
    from generator.config import load_config
    from generator.rules import run_rules
    from generator.sources import load_repository

    root = Path(args["root"])
    config = load_config(root)

    def validate():
        cache = ParseCache.for_repository(root, Path(args["cache"])) if args.get("cache") else None
        repo = load_repository(root, config, cache=cache, jobs=args.get("jobs"))
        findings = run_rules(repo, config)
        if cache is not None:
            cache.save()
        return repo, findings, cache

    if "validate" in cli.COMMANDS_WITHOUT_COLLECTION:
        gc.disable()
    seconds, (repo, findings, cache) = _timed(validate)
    return {
        "seconds": seconds,
        "imports": imports,
        "migrations": len(repo.migrations),
        "findings": len(findings),
        "git_processes": repo.history.git_processes,
        "history": repo.history.status,
        "cache_hits": cache.hits if cache else 0,
        "cache_misses": cache.misses if cache else 0,
    }


def child_stages(args: dict) -> dict:
    """Where validate's time goes: each reader, git history and the rules, one after another."""
    _preload()
    from generator.config import load_config
    from generator.model import Repository
    from generator.rules import run_rules
    from generator.sources.adrs import read_adrs
    from generator.sources.ci_configs import read_ci_jobs
    from generator.sources.exceptions import read_exceptions
    from generator.sources.history import read_history
    from generator.sources.migrations import read_migrations
    from generator.sources.policies import read_policies

    root = Path(args["root"])
    config = load_config(root)
    stages: dict[str, float] = {}
    stages["migrations"], (migrations, _) = _timed(lambda: read_migrations(root, config, jobs=1))
    others = time.perf_counter()
    adrs, _ = read_adrs(root, config)
    exceptions, _ = read_exceptions(root, config)
    policies, _ = read_policies(root, config)
    read_ci_jobs(root, config)
    stages["other readers"] = time.perf_counter() - others
    paths = [m.path for m in migrations] + [a.path for a in adrs] + [p.path for p in policies]
    stages["git history"], history = _timed(lambda: read_history(root, paths))
    repo = Repository(
        root=str(root), migrations=tuple(migrations), adrs=tuple(adrs), exceptions=tuple(exceptions),
        exceptions_path=config.exceptions, policies=tuple(policies), history=history,
    )
    stages["rules"], _ = _timed(lambda: run_rules(repo, config))
    return {"seconds": sum(stages.values()), "stages": stages}


def site_config(root: Path):
    """The repository's configuration, with every finding a warning so that the build completes.

    A synthetic repository of some sizes cites a Proposed ADR; the site is built either way
    (the work is the same), as `govsite serve` would.
    """
    import dataclasses

    from generator.config import load_config
    from generator.rules import CATALOG

    config = load_config(root)
    return dataclasses.replace(config, severity={code: "warning" for code in CATALOG})


def child_build(args: dict) -> dict:
    """`govsite build`: analyse the repository, then the MkDocs build with the plugin."""
    imports = _preload(site=True)
    from generator.site.build import analyse, build_site

    root, target = Path(args["root"]), Path(args["site"])
    config = site_config(root)

    def build() -> None:
        analysis = analyse(root, config)
        build_site(root, target, analysis)

    seconds, _ = _timed(build)
    return {"seconds": seconds, "imports": imports, "bytes": _tree_bytes(target)}


def child_plain(args: dict) -> dict:
    """`mkdocs build` of the same pages as plain Markdown files, without the governance plugin."""
    _preload(site=True)
    from mkdocs.commands.build import build
    from mkdocs.config import load_config as load_mkdocs_config

    root, target, work = Path(args["root"]), Path(args["site"]), Path(args["work"])
    mkdocs_yml = write_plain_project(root, work, target)
    mkdocs_config = load_mkdocs_config(str(mkdocs_yml))
    seconds, _ = _timed(lambda: build(mkdocs_config))
    return {"seconds": seconds, "bytes": _tree_bytes(target)}


def write_plain_project(root: Path, work: Path, site: Path) -> Path:
    """A docs folder holding the repository's docs and the generated pages, and its mkdocs.yml.

    The configuration is `govsite build`'s default one (theme, Markdown extensions, the search
    and tags plugins, the plugin's CSS and scripts) minus the governance plugin. Pages the
    plugin keeps out of the navigation are kept out with `not_in_nav`, so both sites have the
    same navigation (a nav listing every migration would make the plain site quadratic).
    """
    import yaml

    from generator.site.build import analyse, default_site_config, write_pages
    from generator.site.plugin import OWN_ASSETS, SCRIPTS, STYLESHEETS, home_page, vendor_directory

    config = site_config(root)
    analysis = analyse(root, config)
    docs = work / "docs"
    if docs.exists():
        shutil.rmtree(docs)
    if (root / "docs").is_dir():
        shutil.copytree(root / "docs", docs)
    docs.mkdir(parents=True, exist_ok=True)
    write_pages(analysis, docs)
    (docs / "governance" / "nav.yml").unlink()
    hidden = _not_in_nav(analysis.pages)
    if not (docs / "index.md").exists():  # the plugin adds a home page outside the nav
        (docs / "index.md").write_text(home_page(config.site_name, analysis), encoding="utf-8")
        hidden.append("/index.md")
    # computed for the repository's own docs folder, which `docs` copies, so that everything
    # derived from its place (the ADR sources kept out of the site) is the same
    settings = default_site_config(root, root / "docs", site, config)
    settings["docs_dir"] = str(docs.resolve())
    settings["plugins"] = [p for p in settings["plugins"] if not isinstance(p, dict)]
    settings["not_in_nav"] = "\n".join(hidden)
    vendor = vendor_directory(PROJECT)
    for asset in STYLESHEETS + SCRIPTS:
        source = (vendor / asset.name) if asset.vendor and vendor else OWN_ASSETS / asset.name
        if source.is_file():
            (docs / asset.uri).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, docs / asset.uri)
            key = "extra_css" if asset in STYLESHEETS else "extra_javascript"
            settings.setdefault(key, []).append(asset.uri)
    mkdocs_yml = work / "mkdocs.yml"
    mkdocs_yml.write_text(yaml.dump(settings, sort_keys=False), encoding="utf-8")
    return mkdocs_yml


def _not_in_nav(pages) -> list[str]:
    """gitignore-style patterns: every folder of pages kept out of the nav, minus nav pages."""
    folders = sorted({str(Path(p.uri).parent) for p in pages if not p.in_nav})
    patterns = [f"/{folder}/*.md" for folder in folders]
    patterns += [f"!/{p.uri}" for p in pages if p.in_nav and str(Path(p.uri).parent) in folders]
    return patterns


def _tree_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


CHILDREN = {
    "baseline": child_baseline,
    "git_walk": child_git_walk,
    "validate": child_validate,
    "stages": child_stages,
    "build": child_build,
    "plain": child_plain,
}


def run_child(kind: str, arguments: str) -> int:
    result = CHILDREN[kind](json.loads(arguments))
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result["peak_kb"] = max(own, workers)  # Linux reports kilobytes
    print(json.dumps(result))
    return 0


# --------------------------------------------------------------------------- the parent


def measure(kind: str, repeats: int = 1, env: Optional[dict] = None, **arguments: Any) -> dict:
    """The best (fastest) of `repeats` fresh child processes; peak memory is the largest seen."""
    return measure_in_turn({kind: Step(kind, arguments, env)}, repeats)[kind]


@dataclass
class Step:
    """One child measurement: its kind, its JSON arguments and what it adds to the environment."""

    kind: str
    arguments: dict
    env: Optional[dict] = None


def measure_in_turn(steps: dict[str, Step], repeats: int) -> dict[str, dict]:
    """The best of `repeats` runs of each step, the steps taken in turn (a, b, c, a, b, c, ...).

    This machine has slow moments; taken in turn, a slow moment falls on each step alike, not on
    every run of one, so the ratios between steps hold. Peak memory is the largest seen.
    """
    best: dict[str, dict] = {}
    for _ in range(max(1, repeats)):
        for name, step in steps.items():
            result = _run_child(step)
            kept = best.get(name)
            peak = max(result["peak_kb"], kept["peak_kb"] if kept else 0)
            best[name] = {**(result if kept is None or result["seconds"] < kept["seconds"] else kept),
                          "peak_kb": peak}
    return best


def _run_child(step: Step) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", step.kind, json.dumps(step.arguments)]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **(step.env or {})}, cwd=PROJECT)
    if done.returncode != 0:
        raise SystemExit(f"benchmark step {step.kind} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def git_counter(directory: Path) -> tuple[dict, Path]:
    """An environment whose `git` logs each start to a file, then runs the real git.

    This counts the processes really started, whatever `History.git_processes` says.
    """
    real = shutil.which("git")
    if real is None:
        raise SystemExit("git is not installed")
    directory.mkdir(parents=True, exist_ok=True)
    log = directory / "git-starts.log"
    log.write_text("")
    shim = directory / "git"
    shim.write_text(f'#!/bin/sh\necho "$*" >> "{log}"\nexec "{real}" "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    env = {"PATH": f"{directory}{os.pathsep}{os.environ.get('PATH', '')}", "GIT_PYTHON_GIT_EXECUTABLE": "git"}
    return env, log


def measure_command(root: Path, repeats: int) -> dict:
    """`govsite validate ROOT --no-cache` as a user or a pre-commit hook runs it, wall clock: a
    fresh interpreter, its imports, the work and the exit. Beside it the interpreter's own start
    (`python -c pass`), which no command goes below. Bytecode is written by a first run and used
    after, as an installed package has it. The best of at least three runs each."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    command = [sys.executable, "-m", "generator", "validate", str(root), "--no-cache", "--format", "json"]

    def wall(arguments: list[str]) -> float:
        started = time.perf_counter()
        done = subprocess.run(arguments, capture_output=True, text=True, env=env, cwd=PROJECT)
        seconds = time.perf_counter() - started
        if done.returncode not in (0, 1):
            raise SystemExit(f"benchmark step command failed:\n{done.stderr[-4000:]}")
        return seconds

    wall(command)
    runs = [(wall(command), wall([sys.executable, "-c", "pass"])) for _ in range(max(3, repeats))]
    return {"command": min(c for c, _ in runs), "interpreter": min(i for _, i in runs)}


@dataclass
class Row:
    n: int
    values: dict[str, Any] = field(default_factory=dict)
    stages: dict[str, float] = field(default_factory=dict)


def measure_size(n: int, work: Path, repeats: int, site: bool, say: Callable[[str], None]) -> Row:
    from synth import write_repository

    row = Row(n)
    root = work / f"synth-{n}"
    say(f"N={n}: writing the synthetic repository")
    write_repository(n, root)
    say(f"N={n}: baseline, git walk, validate cold (one process, {POOL_JOBS} parsing workers), warm")
    env, log = git_counter(work / "git-shim")
    measured = measure_in_turn({
        "baseline": Step("baseline", {"root": str(root)}),
        "walk": Step("git_walk", {"root": str(root)}),
        "cold": Step("validate", {"root": str(root)}, env),
        "pooled": Step("validate", {"root": str(root), "jobs": POOL_JOBS}),
    }, repeats)
    baseline, walk, cold, pooled = (measured[k] for k in ("baseline", "walk", "cold", "pooled"))
    starts = len(log.read_text().splitlines()) // max(1, repeats)
    cache_dir = work / f"cache-{n}"
    shutil.rmtree(cache_dir, ignore_errors=True)
    first = measure("validate", 1, root=str(root), cache=str(cache_dir))
    warm = measure("validate", repeats, root=str(root), cache=str(cache_dir))
    stages = measure("stages", 1, root=str(root))
    row.stages = stages["stages"]
    row.values.update(measure_command(root, repeats))
    row.values.update(
        files=baseline["files"],
        baseline=baseline["seconds"],
        git_walk=walk["seconds"],
        cold=cold["seconds"],
        pooled=pooled["seconds"],
        first_cached=first["seconds"],
        warm=warm["seconds"],
        warm_hits=warm["cache_hits"],
        imports=cold["imports"],
        git_reported=cold["git_processes"],
        git_counted=starts,
        peak_validate=cold["peak_kb"] / 1024,
    )
    if site:
        say(f"N={n}: govsite build and plain mkdocs build")
        measured = measure_in_turn({
            "build": Step("build", {"root": str(root), "site": str(work / f"site-{n}")}),
            "plain": Step("plain", {"root": str(root), "site": str(work / f"plain-site-{n}"),
                                    "work": str(work / f"plain-{n}")}),
        }, repeats)
        build, plain = measured["build"], measured["plain"]
        row.values.update(
            build=build["seconds"],
            plain=plain["seconds"],
            site_bytes=build["bytes"],
            plain_bytes=plain["bytes"],
            peak_build=build["peak_kb"] / 1024,
        )
    return row


def measure_example(work: Path, repeats: int, say: Callable[[str], None]) -> dict:
    """Cold validate of the bundled example, given its git history by `make_history.py`: the
    size most teams have, where start-up costs rather than parsing decide the time."""
    root = work / "example-repo"
    say("the bundled example: baseline, git walk, validate cold")
    subprocess.run(
        [sys.executable, str(PROJECT / "examples" / "make_history.py"), "--dest", str(root), "--force"],
        check=True, capture_output=True, cwd=PROJECT,
    )
    measured = measure_in_turn({
        "baseline": Step("baseline", {"root": str(root)}),
        "walk": Step("git_walk", {"root": str(root)}),
        "cold": Step("validate", {"root": str(root)}),
    }, repeats)
    baseline, walk, cold = measured["baseline"], measured["walk"], measured["cold"]
    return {"migrations": cold["migrations"], "baseline": baseline["seconds"], "git_walk": walk["seconds"],
            "cold": cold["seconds"], **measure_command(root, repeats)}


# --------------------------------------------------------------------------- the table

COLUMNS = (
    ("N", lambda v, n: f"{n:,}"),
    ("ast.parse baseline (s)", lambda v, n: f"{v['baseline']:.3f}"),
    ("validate cold (s)", lambda v, n: f"{v['cold']:.3f}"),
    ("git history walk alone (s)", lambda v, n: f"{v['git_walk']:.3f}"),
    (f"cold / (baseline + git walk) (target ≤ {VALIDATE_TARGET:g})", lambda v, n: _floor_ratio(v)),
    ("`govsite validate` command (s)", lambda v, n: _command(v)),
    (f"cold, {POOL_JOBS} parsing workers (s)", lambda v, n: f"{v['pooled']:.3f}"),
    ("validate warm (s)", lambda v, n: f"{v['warm']:.3f}"),
    ("warm / cold", lambda v, n: f"{v['warm'] / v['cold']:.2f}"),
    ("site build (s)", lambda v, n: _or_missing(v, "build", "{:.2f}")),
    ("plain mkdocs (s)", lambda v, n: _or_missing(v, "plain", "{:.2f}")),
    (f"build / plain (target ≤ {BUILD_TARGET:g})",
     lambda v, n: f"{v['build'] / v['plain']:.2f}x" if "build" in v else MISSING),
    ("git processes (reported / counted)", lambda v, n: f"{v['git_reported']} / {v['git_counted']}"),
    ("site bytes / migration", lambda v, n: f"{v['site_bytes'] / n:,.0f}" if "site_bytes" in v else MISSING),
    ("peak MB validate / build",
     lambda v, n: f"{v['peak_validate']:.0f} / " + _or_missing(v, "peak_build", "{:.0f}")),
)
STAGES = ("migrations", "other readers", "git history", "rules")


def _floor_ratio(values: dict) -> str:
    return f"{values['cold'] / (values['baseline'] + values['git_walk']):.2f}x"


def _command(values: dict) -> str:
    return f"{values['command']:.3f} (interpreter {values['interpreter']:.3f})"


def _or_missing(values: dict, key: str, template: str) -> str:
    return template.format(values[key]) if key in values else MISSING


def render(rows: list[Row]) -> str:
    head = [name for name, _ in COLUMNS]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(" --- " for _ in head) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(cell(row.values, row.n) for _, cell in COLUMNS) + " |")
    return "\n".join(lines)


def render_stages(rows: list[Row]) -> str:
    head = ["N", *(f"{s} (s)" for s in STAGES), "imports (s)", "first run with cache (s)", "warm cache hits"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(" --- " for _ in head) + "|"]
    for row in rows:
        v = row.values
        cells = [f"{row.n:,}", *(f"{row.stages[s]:.3f}" for s in STAGES)]
        cells += [f"{v['imports']:.2f}", f"{v['first_cached']:.3f}", f"{v['warm_hits']:,}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine() -> str:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{platform.system()} {platform.machine()}, {cores} cores, Python {platform.python_version()}"


def render_example(example: dict) -> str:
    head = ["repository", "migrations", "ast.parse baseline (s)", "git history walk alone (s)",
            "validate cold (s)", "cold / (baseline + git walk)", "`govsite validate` command (s)"]
    cells = ["examples/attribution-platform", str(example["migrations"]), f"{example['baseline']:.3f}",
             f"{example['git_walk']:.3f}", f"{example['cold']:.3f}", _floor_ratio(example), _command(example)]
    return "\n".join(["| " + " | ".join(head) + " |", "|" + "|".join(" --- " for _ in head) + "|",
                      "| " + " | ".join(cells) + " |"])


def report(rows: list[Row], example: dict, repeats: int) -> str:
    return "\n".join([
        f"govsite scale benchmark ({machine()}; best of {repeats} for N ≤ 2,000; "
        "peak memory is the largest resident set of the measuring process or its workers)",
        "",
        render(rows),
        "",
        "The bundled example (its history made by `examples/make_history.py`):",
        "",
        render_example(example),
        "",
        "Where the cold validate time goes (one process, stage by stage):",
        "",
        render_stages(rows),
        "",
    ])


# --------------------------------------------------------------------------- command line


def parse_args(argv: Optional[list[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=None,
                        help="comma-separated numbers of migrations (default: 100,500,2000,5000)")
    parser.add_argument("--quick", action="store_true", help="N = 100,300")
    parser.add_argument("--no-site", action="store_true", help="skip the site builds")
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs per measurement for N ≤ 2,000, best kept (default 3; larger N: 1)")
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temporary one)")
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"Markdown file to write (default: {RESULTS})")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "JSON"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(argv)
    if args.child:
        return run_child(*args.child)
    sizes = args.sizes or (QUICK_SIZES if args.quick else SIZES)
    scratch = args.work or Path(tempfile.mkdtemp(prefix="govsite-bench-"))
    scratch.mkdir(parents=True, exist_ok=True)
    say = lambda message: print(f"... {message}", file=sys.stderr, flush=True)  # noqa: E731
    try:
        rows = [
            measure_size(n, scratch, args.repeats if n <= 2000 else 1, not args.no_site, say)
            for n in sizes
        ]
        example = measure_example(scratch, args.repeats, say)
    finally:
        if args.work is None:
            shutil.rmtree(scratch, ignore_errors=True)
    text = report(rows, example, args.repeats)
    print(text)
    args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
