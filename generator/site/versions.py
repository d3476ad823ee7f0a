"""Versioned governance sites: one site per release tag plus the working tree, side by side.

`govsite build --versions` writes

    SITE_DIR/
      versions.json     the list of versions in mike's format; mkdocs-material's selector reads it
      index.html        redirects to latest/ (to dev/ while there is no release)
      v1.0.0/ v1.1.0/   one complete site per release (a tag matching `tag_pattern` naming a version)
      dev/              the working tree, as a plain `govsite build` would publish it
      latest/           redirect pages to the highest release, as mike's `redirect` aliases are

so the folder can be served exactly as it is: from a CI artifact, an intranet web server or
GitHub Pages, with no mike and no gh-pages branch involved.

A release is read straight from git objects (`git ls-tree` and one `git cat-file --batch`),
never by checking its tag out: the working tree, the index and HEAD stay as they are, and each
version costs the same few git processes whatever its size. A release is checked with its own
govsite.toml (one made before the team adopted govsite, with the working tree's, and its
dashboard says so), and its dates come from the history walked from its tag, so its pages show
the repository as it was when it was released. Releases are the tags that name a version, in
version order (`plan_releases`); a release whose pages equal an earlier one's is a copy of it,
and the others take the rendered pages they share with earlier versions (`reuse`). One parse
cache serves every version: a file that several versions share is parsed once (and, through
the store `govsite validate` uses, not again in the next night's build).

Only the working tree decides the exit status. Releases are checked with today's rules, which
they could not know about; a nightly build must not turn red because of a release made last
year, so their findings are shown on their own validation report pages instead. The whole
folder is built beside the target and swapped in at the end: a failed build leaves the previous
one exactly as it was.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import html
import json
import os
import posixpath
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any, Iterable, Optional, Sequence
from urllib.parse import quote

import yaml

from ..cache import ParseCache
from ..config import Config, ConfigError, VersionsConfig, committed_config, load_config
from ..model import Finding, record
from ..paths import inside
from ..sources.git_access import git_environment
from ..sources.history import GitRunner, release_tags
from .build import Analysis, SiteBuildError, analyse, build_site, failure_message
from .facts import ROOT
from .reuse import SharedRenders
from .output import (
    check_site_dir,
    owned_temporary_directory,
    start_staging,
    swap_in,
    tally_text,
)
from ..terminal import Progress

DEV = "dev"
LATEST = "latest"
VERSIONS_FILE = "versions.json"
#: Names in the output folder that are not versions, so no tag may take them.
RESERVED = frozenset({DEV, LATEST, VERSIONS_FILE, "index.html", ".nojekyll", "404.html"})
#: What every version's MkDocs configuration gets so that mkdocs-material shows its selector.
#: Only versioned builds set it: the theme then fetches `../versions.json`, which a plain
#: site does not have.
VERSION_SELECTOR = {"version": {"provider": "mike"}}
DASHBOARD = f"{ROOT}/index.md"

_REGULAR_FILE_MODES = {"100644", "100755"}  # symlinks and submodules are never written


# --------------------------------------------------------------------------- what was built


@record
class Release:
    """A release tag: its name, the commit it names and its date."""

    tag: str
    sha: str
    date: datetime
    order: tuple = ()  # the version's place in version order (`ReleaseVersion.key`)


@record
class BuiltVersion:
    """One version of the site as published: its folder name, title, aliases and findings."""

    name: str
    title: str
    aliases: tuple[str, ...]
    pages: int
    findings: tuple[Finding, ...]

    def mike_entry(self) -> dict[str, Any]:
        """This version's entry of versions.json, with exactly the keys mike writes.

        mike leaves `properties` out unless a version has some, and ours never do.
        """
        return {"version": self.name, "title": self.title, "aliases": list(self.aliases)}


@record
class VersionedSite:
    """The result of a versioned build: what went into the folder, and what was left out."""

    target: Path
    versions: tuple[BuiltVersion, ...]  # in versions.json order: dev first, then newest release
    notes: tuple[str, ...]  # releases skipped or built with a fallback, one line each
    git_processes: int  # processes spent reading tags and release files (not history)
    cache: ParseCache  # shared by every version; its hits are files parsed only once
    seconds: float

    @property
    def pages(self) -> int:
        return sum(v.pages for v in self.versions)


class FailingFindings(Exception):
    """The working tree has findings at or above the fail level; nothing was written."""

    def __init__(self, analysis: Analysis):
        super().__init__(failure_message(analysis.failing, analysis.config))
        self.analysis = analysis


class ExportError(Exception):
    """A release's files could not be read from git objects."""


# --------------------------------------------------------------------------- the build


def build_versions(
    root: Path,
    target: Path,
    config: Config,
    *,
    tag_pattern: Optional[str] = None,
    config_file: Optional[Path] = None,
    fail_on: Optional[str] = None,
    progress: Optional[Progress] = None,
    cache: Optional[ParseCache] = None,
    force: bool = False,
) -> VersionedSite:
    """Build every release matching the tag pattern and the working tree into `target`.

    The working tree is checked first, so a failing one costs no release builds. Raises
    FailingFindings when it fails its checks and SiteBuildError when MkDocs cannot build it;
    either way `target` is untouched. A release that cannot be read or built is left out with
    a note instead. Every version reads through one `cache` (by default a new one in memory;
    saving a persistent one is the caller's business, as with `load_repository`). The site
    folder is checked as `build_site` checks it (`force` as there).
    """
    started = time.monotonic()
    root, target = Path(root).resolve(), Path(target).resolve()
    check_site_dir(root, target, config, config_file=config_file, force=force)
    say = progress or (lambda message: None)
    cache = cache if cache is not None else ParseCache(persistent=False)
    dev = analyse(root, config, _labelled(say, DEV), cache=cache)
    if dev.failing:
        raise FailingFindings(dev)
    pattern = tag_pattern or config.release_pattern
    releases, notes = plan_releases(root, pattern, config.versions)
    git = GitRunner(root)
    site_url = published_at(root, config)
    build = _Build(root, git, cache, config_file, say, notes, config, site_url,
                   total=len(releases) + 1)
    staging = start_staging(target)
    try:
        built = build.releases(releases, staging.path)
        build.say_step(DEV, "building site…")
        build_site(root, staging.path / DEV, at_address(dev, site_url, DEV),
                   config_file=config_file, fail_on=fail_on, extra=VERSION_SELECTOR,
                   shared=build.shared)
        working_tree = BuiltVersion(DEV, DEV, (), len(dev.pages), dev.findings)
        versions = in_selector_order(built, working_tree)
        say("writing versions.json and redirects…")
        publish_index(staging.path, versions)
        swap_in(staging, target)
    except BaseException:
        staging.remove()
        raise
    return VersionedSite(target, tuple(versions), tuple(notes), git.processes, cache,
                         time.monotonic() - started)


def plan_releases(
    root: Path, pattern: str, versions: VersionsConfig = VersionsConfig()
) -> tuple[list[Release], list[str]]:
    """The release tags to build, lowest version first, and notes on the tags left out.

    A tag is a release when its name is a version (PEP 440, else semver, after any prefix such
    as `v` or `release-`); pre-release and build tags (`v2.0.0rc1`, `v0.3.5+b201`) only with
    `prereleases = true`. Of those, the `max_versions` highest are kept. Each kind of tag left
    out gets one line naming them, so a pattern that catches nightlies is never silent. A
    version's name is a folder of the output, so a tag with a `/` (or one named like a file the
    folder holds anyway) is left out rather than nested or overwritten.
    """
    releases, notes = [], []
    not_versions, prereleases = [], []
    for tag, sha, date in release_tags(root, pattern):
        if "/" in tag or "\\" in tag or tag in RESERVED or tag.startswith("."):
            notes.append(f"{tag}: skipped, the tag cannot name a version folder")
            continue
        version = release_version(tag)
        if version is None:
            not_versions.append(tag)
        elif version.prerelease and not versions.prereleases:
            prereleases.append(tag)
        else:
            releases.append(Release(tag, sha, date, version.key))
    releases.sort(key=lambda r: (r.order, r.date, r.tag))
    if not_versions:
        notes.append(f"{_count(not_versions, 'tag')} matching '{pattern}' not a version, skipped: "
                     f"{_listed(not_versions)}")
    if prereleases:
        notes.append(f"{_count(prereleases, 'pre-release or build tag')} skipped "
                     f"([versions] prereleases = true includes them): {_listed(prereleases)}")
    if len(releases) > versions.max_versions:
        dropped = releases[: len(releases) - versions.max_versions]
        releases = releases[len(dropped):]
        notes.append(f"{_count(dropped, 'older release')} left out ([versions] max_versions = "
                     f"{versions.max_versions}): {_listed([r.tag for r in dropped])}")
    if not releases and not notes:
        notes.append(f"no release tag matches '{pattern}': only {DEV} was built")
    return releases, notes


@record
class ReleaseVersion:
    """What a tag's name says: its place in version order, and whether it is a pre-release."""

    key: tuple
    prerelease: bool


_SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
)


def release_version(tag: str) -> Optional[ReleaseVersion]:
    """The version a tag names, or None when it names none (`nightly`, `latest-build`).

    PEP 440 first (`packaging`, which also reads `v1.2`, `1.0-beta`, `2.0rc1`), then semver
    for what PEP 440 refuses (`1.2.3-beta.x`, `1.0.0-SNAPSHOT`); a prefix before the first
    digit (`release-`, `db-v`) is no part of the version. A local part (`+b201`) is a build
    tag and counts with the pre-releases.
    """
    from packaging.version import InvalidVersion, Version

    digit = re.search(r"\d", tag)
    if digit is None:
        return None
    for text in dict.fromkeys((tag, tag[digit.start():])):
        try:
            parsed = Version(text)
        except InvalidVersion:
            continue
        return ReleaseVersion((parsed, ""), parsed.is_prerelease or parsed.local is not None)
    match = _SEMVER.fullmatch(tag[digit.start():])
    if match is None:
        return None
    major, minor, patch, pre, build = match.groups()
    base = Version(f"{major}.{minor}.{patch}{'.dev0' if pre else ''}")
    return ReleaseVersion((base, pre or ""), bool(pre or build))


def _count(items: Sequence[Any], what: str) -> str:
    return f"{len(items)} {what}{'s' if len(items) != 1 else ''}"


def _listed(tags: Sequence[str], shown: int = 8) -> str:
    more = f" and {len(tags) - shown} more" if len(tags) > shown else ""
    return ", ".join(tags[:shown]) + more


@dataclass
class _Build:
    """What every release build shares: the repository, its git, the cache, progress, notes."""

    root: Path
    git: GitRunner
    cache: ParseCache
    config_file: Optional[Path]
    progress: Progress
    notes: list[str]
    working: Config  # the working tree's, for releases without their own
    site_url: Optional[str]
    total: int
    done: int = 0
    _prefix: Optional[str] = None
    built: dict[str, str] = dataclasses.field(default_factory=dict)  # inputs digest -> version
    shared: SharedRenders = dataclasses.field(default_factory=SharedRenders)

    def say_step(self, name: str, message: str) -> Progress:
        """Show `message` for version `name`; returns the progress function of that version."""
        self.done += 1
        label = f"[{self.done}/{self.total}] {name}"

        def say(text: str) -> None:
            self.progress(f"{label}: {text}")

        say(message)
        return say

    def releases(self, releases: Sequence[Release], staging: Path) -> list[BuiltVersion]:
        built = []
        for release in releases:
            version = self.release(release, staging)
            if version is not None:
                built.append(version)
        return built

    def release(self, release: Release, staging: Path) -> Optional[BuiltVersion]:
        """Build one release into `staging/<tag>`; None, with a note, when it cannot be built.

        A release whose pages, configuration and docs equal an earlier one's gets a copy of
        that one's folder (files linked, not built again).
        """
        say = self.say_step(release.tag, "reading files from git…")
        with owned_temporary_directory("govsite-release-") as tmp:
            tree = Path(tmp)
            try:
                entries = export_tree(self.git, release.sha, self.prefix(), tree)
            except (ExportError, OSError) as exc:  # OSError: a name this disk cannot hold
                self.notes.append(f"{release.tag}: skipped, {exc}")
                return None
            config, inherited = release_config(
                tree, self.root, self.config_file, release.tag, self.notes, self.working
            )
            if inherited:
                config = with_working_baseline(config, self.root, tree)
            try:
                analysis = analyse(tree, config, say, history_from=(self.root, release.sha),
                                   cache=self.cache)
            except ConfigError as exc:  # its baseline file or legacy_until: only dev can fail
                self.notes.append(f"{release.tag}: skipped, {str(exc).replace(str(tree), release.tag)}")
                return None
            if inherited:
                analysis = with_notice(analysis, f"This release has no govsite configuration of "
                                                 f"its own: it is {WORKING_CONFIG}.")
            digest = inputs_digest(analysis, entries)
            same = self.built.get(digest)
            if same is not None:
                say(f"same pages as {same}, copying…")
                copy_version(staging / same, staging / release.tag, self.site_url, same, release.tag)
            else:
                say(f"building site ({len(analysis.pages)} pages)…")
                try:
                    build_site(tree, staging / release.tag,
                               at_address(analysis, self.site_url, release.tag),
                               enforce=False, extra=VERSION_SELECTOR, shared=self.shared)
                except SiteBuildError as exc:
                    self.notes.append(f"{release.tag}: skipped, MkDocs could not build it: {exc}")
                    return None
                self.built[digest] = release.tag
        # The theme's version selector inserts the title as HTML: a tag name is shown as text.
        title = html.escape(release.tag, quote=True)
        return BuiltVersion(release.tag, title, (), len(analysis.pages), analysis.findings)

    def prefix(self) -> str:
        """The root's path inside its work tree, asked of git once for all releases."""
        if self._prefix is None:
            self._prefix = root_prefix(self.git)
        return self._prefix


def release_config(
    tree: Path, root: Path, config_file: Optional[Path], tag: str, notes: list[str],
    working: Config,
) -> tuple[Config, bool]:
    """The configuration a release is read with, and whether it is the working tree's.

    A release's own configuration, as committed with it, comes first. A release made before the
    team adopted govsite has none: it is read with the working tree's (`working`, baseline and
    `legacy_until` included), since the defaults would not find the team's migrations and every
    such version would be empty. An explicit `--config` inside the repository is read from the
    release's copy of that file when it has one (else the working tree's); one outside the
    repository (kept beside the checkout by CI, say) is nobody's commit, so it applies to every
    release. A configuration the release got wrong falls back to the defaults with a note: the
    release is still worth publishing, and only the working tree can fail the build.
    """
    try:
        if config_file is not None:
            try:
                relative = Path(config_file).resolve().relative_to(root.resolve())
            except ValueError:
                return load_config(tree, Path(config_file)), False
            if (tree / relative).is_file():
                return load_config(tree, tree / relative), False
            notes.append(f"{tag}: has no {relative.as_posix()}; {WORKING_CONFIG}")
            return working, True
        own = committed_config(tree)
    except ConfigError as exc:
        message = str(exc).replace(str(tree), tag)
        notes.append(f"{tag}: configuration error ({message}); built with the defaults")
        return Config(), False
    if own is None:
        return working, True
    return own, False


def with_working_baseline(config: Config, root: Path, tree: Path) -> Config:
    """`config` for a release read with the working tree's configuration, whose baseline file
    is the working tree's too: the findings the team accepted on adoption are accepted in the
    releases made before it. Entries for files the release does not have yet are not stale
    there, so GOV807 is off for it."""
    source = root / config.baseline
    target = tree / config.baseline
    if (inside(root, source) and source.is_file() and not source.is_symlink()
            and inside(tree, target) and not target.exists()):
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return dataclasses.replace(config, severity={**config.severity, "GOV807": "off"})


#: What a version read with the working tree's configuration says, in notes and on its dashboard.
WORKING_CONFIG = "read with the configuration of the working tree"


def with_notice(analysis: Analysis, text: str) -> Analysis:
    """`analysis` whose dashboard opens with a note saying `text` (plain text)."""
    from .markup import md_text

    note = f'!!! note "About this version"\n\n    {md_text(text)}\n\n'
    pages = []
    for page in analysis.pages:
        if page.uri == DASHBOARD:
            head, heading, rest = page.content.partition("\n# ")
            title, _, body = rest.partition("\n")
            body = body.lstrip("\n")
            page = dataclasses.replace(page, content=f"{head}{heading}{title}\n\n{note}{body}")
        pages.append(page)
    return dataclasses.replace(analysis, pages=tuple(pages))


# --------------------------------------------------------------------------- addresses and reuse


def published_at(root: Path, config: Config) -> Optional[str]:
    """Where the versioned site is published: `site_url` from the configuration, else from the
    team's own mkdocs.yml; None when neither says.

    With an address, each version's sitemap lists its pages, which is what mkdocs-material's
    version selector reads to keep the reader on the same page in the other version.
    """
    if config.site_url:
        return config.site_url
    from ..sources.files import read_text

    text, _ = read_text(root, "mkdocs.yml")
    if text is None:
        return None
    try:
        settings = yaml.load(text.text, Loader=_TolerantLoader)
    except yaml.YAMLError:
        return None
    url = settings.get("site_url") if isinstance(settings, dict) else None
    return url if isinstance(url, str) and re.match(r"https?://", url) else None


class _TolerantLoader(yaml.SafeLoader):
    """The safe loader, reading a tag it does not know (`!!python/name:`, `!ENV`) as nothing,
    as an mkdocs.yml holds them and only `site_url` is wanted."""


_TolerantLoader.add_multi_constructor("", lambda loader, suffix, node: None)


def at_address(analysis: Analysis, site_url: Optional[str], version: str) -> Analysis:
    """`analysis` with the address of `version` inside the site published at `site_url`."""
    if not site_url:
        return analysis
    address = version_address(site_url, version)
    return dataclasses.replace(analysis, config=dataclasses.replace(analysis.config, site_url=address))


def inputs_digest(analysis: Analysis, files: dict[str, str]) -> str:
    """What a release's folder is made from: its pages, its configuration and its own docs.

    Two releases with the same digest publish the same site, so the later one copies the
    earlier one's folder instead of running MkDocs again.
    """
    digest = hashlib.blake2b(digest_size=16)
    config = dataclasses.replace(analysis.config, site_url=None)
    parts = [repr(config), *(f"{p.uri}\0{p.content}" for p in analysis.pages),
             *(f"{name}\0{sha}" for name, sha in sorted(files.items()) if name.startswith("docs/"))]
    for part in parts:
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    return digest.hexdigest()


def copy_version(source: Path, dest: Path, site_url: Optional[str], old: str, new: str) -> None:
    """Make `dest` the same site as `source`: files linked (copied where linking fails), and,
    when the site has an address, its pages and sitemap naming `new` where they named `old`."""
    old_address = version_address(site_url, old)
    new_address = version_address(site_url, new)
    dest.mkdir(parents=True)
    for path in sorted(source.rglob("*")):
        target = dest / path.relative_to(source)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        elif old_address and path.suffix in (".html", ".xml"):
            text = path.read_text(encoding="utf-8", errors="surrogateescape")
            target.write_text(text.replace(old_address, new_address), encoding="utf-8",
                              errors="surrogateescape")
        elif old_address and path.name == "sitemap.xml.gz":
            continue  # written from the new sitemap below
        else:
            try:
                os.link(path, target)
            except OSError:
                shutil.copy2(path, target)
    if old_address and (dest / "sitemap.xml").is_file():
        with gzip.GzipFile(dest / "sitemap.xml.gz", "wb", mtime=0) as packed:
            packed.write((dest / "sitemap.xml").read_bytes())


def version_address(site_url: Optional[str], version: str) -> str:
    return f"{site_url.rstrip('/')}/{quote(version, safe='')}/" if site_url else ""


# --------------------------------------------------------------------------- files from git


def export_tree(git: GitRunner, rev: str, prefix: str, dest: Path) -> dict[str, str]:
    """Write the files `rev` holds under the repository root into `dest`.

    Returns what was written, path -> blob sha (the digest of a release's inputs uses it).
    Two git processes whatever the size: `git ls-tree -r` lists the files of the root's folder
    at `rev`, and one `git cat-file --batch` streams their contents. Blobs are written exactly
    as committed (no checkout, no filters, no export attributes, which could leave CI configs
    out). Only regular files are written: a symlink or submodule could point outside the tree.
    """
    # `--full-tree`: run from a subfolder, ls-tree would otherwise filter by that folder again
    status, out, err = git("ls-tree", "-r", "-z", "--full-tree", f"{rev}:{prefix}")
    if status != 0:
        where = f"'{prefix}'" if prefix else "the repository root"
        raise ExportError(f"git has no folder {where} at {rev[:12]}: {err.strip()}")
    wanted: dict[str, list[Path]] = {}
    written: dict[str, str] = {}
    for mode, kind, sha, name in _tree_entries(out):
        target = _safe_target(dest, name)
        if kind == "blob" and mode in _REGULAR_FILE_MODES and target is not None:
            wanted.setdefault(sha, []).append(target)
            written[name] = sha
    _write_blobs(git, wanted)
    return written


def root_prefix(git: GitRunner) -> str:
    """The root's path inside its work tree ("" at the top, else ending in "/")."""
    status, out, err = git("rev-parse", "--show-prefix")
    if status != 0:
        raise ExportError(f"not a git repository: {err.strip()}")
    return out.decode("utf-8", "surrogateescape").strip("\n")


def _tree_entries(out: bytes) -> Iterable[tuple[str, str, str, str]]:
    """(mode, type, sha, path) from `git ls-tree -z`: "mode type sha", a tab, the path, a NUL."""
    for entry in out.split(b"\0"):
        if not entry:
            continue
        meta, _, name = entry.partition(b"\t")
        parts = meta.decode("ascii", "replace").split()
        if len(parts) == 3 and name:
            yield parts[0], parts[1], parts[2], name.decode("utf-8", "surrogateescape")


def _safe_target(dest: Path, name: str) -> Optional[Path]:
    """Where a tree entry goes under `dest`, or None for a name that could leave it.

    git itself refuses such names, but a crafted repository can hold them, and the tree is
    written to disk before any reader looks at it.
    """
    parts = PurePosixPath(name).parts
    if not parts or name.startswith("/") or any(
        part in ("", ".", "..") or part.lower() == ".git" for part in parts
    ):
        return None
    return dest.joinpath(*parts)


def _write_blobs(git: GitRunner, wanted: dict[str, list[Path]]) -> None:
    """Stream every wanted blob out of one `git cat-file --batch` into its file(s).

    The object names are written from a thread while the contents are read: with thousands of
    files both pipes fill up, and writing everything first would wait forever.
    """
    if not wanted:
        return
    if not git.allowed():
        raise ExportError("git not run: its configuration includes files outside the repository")
    git.processes += 1
    process = subprocess.Popen(  # the command and environment every GitRunner process has
        git.command("cat-file", "--batch"), env=git_environment(),
        cwd=git.cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )
    shas = list(wanted)
    writer = threading.Thread(target=_request, args=(process.stdin, shas), daemon=True)
    writer.start()
    try:
        for sha in shas:
            data = _read_object(process.stdout, sha)
            for path in wanted[sha]:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
    except BaseException:
        process.kill()  # else git waits for us to read, and the writer for git to read
        raise
    finally:
        writer.join()
        process.stdout.close()
        process.wait()


def _request(stream, shas: list[str]) -> None:
    try:
        for sha in shas:
            stream.write(sha.encode("ascii") + b"\n")
        stream.close()
    except OSError:  # git stopped early; the reader reports why
        pass


def _read_object(stream, sha: str) -> bytes:
    """One object of `git cat-file --batch`: a `<sha> <type> <size>` line, the bytes, a newline."""
    header = stream.readline().split()
    if len(header) != 3 or header[0].decode("ascii", "replace") != sha:
        raise ExportError(f"git could not read object {sha[:12]}")
    size = int(header[2])
    data = stream.read(size)
    stream.read(1)
    if len(data) != size:
        raise ExportError(f"git stopped while reading object {sha[:12]}")
    return data


# --------------------------------------------------------------------------- the index


def in_selector_order(releases: Sequence[BuiltVersion], dev: BuiltVersion) -> list[BuiltVersion]:
    """The order of versions.json, which is the order of the selector: dev, then highest first.

    mike lists a version whose name does not start with a digit (or `v` and a digit) before the
    releases, so `dev` comes first as it would in a mike-managed branch. `releases` come in
    version order (`plan_releases`), so the highest version, whatever its tag's date, is first
    after `dev` and gets the `latest` alias.
    """
    newest_first = list(reversed(releases))
    if newest_first:
        newest = newest_first[0]
        newest_first[0] = BuiltVersion(newest.name, newest.title, (LATEST,), newest.pages,
                                       newest.findings)
    return [dev, *newest_first]


def versions_json(versions: Sequence[BuiltVersion]) -> str:
    """versions.json byte for byte as mike writes it: 2-space indent, ASCII, final newline."""
    return json.dumps([v.mike_entry() for v in versions], indent=2) + "\n"


def publish_index(site: Path, versions: Sequence[BuiltVersion]) -> None:
    """Write versions.json, every alias's redirect pages and the root page into `site`.

    `.nojekyll` keeps GitHub Pages from hiding folders that start with `_`, as mike's branch has.
    """
    (site / VERSIONS_FILE).write_text(versions_json(versions), encoding="utf-8")
    for version in versions:
        for alias in version.aliases:
            write_redirects(site, version.name, alias)
    default = LATEST if any(LATEST in v.aliases for v in versions) else DEV
    (site / "index.html").write_text(redirect_page(f"{default}/"), encoding="utf-8")
    (site / ".nojekyll").write_text("", encoding="utf-8")


def write_redirects(site: Path, version: str, alias: str) -> int:
    """Make `site/alias/` a mirror of `site/version/` whose pages redirect to the real ones.

    This is mike's `redirect` alias type: every HTML page of the version gets a small page at
    the same place under the alias, which forwards to it keeping query and fragment, so a link
    to `latest/governance/` stays valid across releases. Redirects work on any static host and
    in any archive, which symlinks (mike's default) do not.
    """
    source = site / version
    written = 0
    for page in sorted(source.rglob("*.html")):
        relative = page.relative_to(source).as_posix()
        href = posixpath.relpath(f"{version}/{relative}", posixpath.dirname(f"{alias}/{relative}"))
        if posixpath.basename(href) == "index.html":
            href = posixpath.dirname(href) + "/"
        destination = site / alias / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(redirect_page(href), encoding="utf-8")
        written += 1
    return written


def redirect_page(href: str) -> str:
    """A page that sends the reader on to `href` (relative), with or without JavaScript."""
    url = quote(href, safe="/.-_~!$&'()*+,;=:@", errors="surrogateescape")
    attribute = html.escape(url, quote=True)
    script = json.dumps(url).replace("<", "\\u003c")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n'
        "<head>\n"
        '  <meta charset="utf-8">\n'
        "  <title>Redirecting…</title>\n"
        f'  <link rel="canonical" href="{attribute}">\n'
        f'  <noscript><meta http-equiv="refresh" content="0; url={attribute}"></noscript>\n'
        f"  <script>window.location.replace({script} + window.location.search"
        " + window.location.hash);</script>\n"
        "</head>\n"
        f'<body>This page is now at <a href="{attribute}">{html.escape(url)}</a>.</body>\n'
        "</html>\n"
    )


# --------------------------------------------------------------------------- the summary


def summary(site: VersionedSite) -> str:
    """One line per version (pages, findings), the notes, then the totals."""
    width = max(len(_version_label(v)) for v in site.versions)
    lines = []
    for version in site.versions:
        shown = "" if version.name == DEV or not version.findings else \
            " (shown on its validation report)"
        lines.append(f"  {_version_label(version):<{width}}  {version.pages:>5} pages  "
                     f"{tally_text(version.findings)}{shown}")
    lines += [f"  note: {note}" for note in site.notes]
    lines.append(
        f"built {site.target}: {len(site.versions)} versions, {site.pages} governance pages, "
        f"{site.seconds:.1f} s"
    )
    return "\n".join(lines)


def _version_label(version: BuiltVersion) -> str:
    return f"{version.name} ({', '.join(version.aliases)})" if version.aliases else version.name


def _labelled(say: Progress, label: str) -> Progress:
    return lambda message: say(f"{label}: {message}")


__all__ = [
    "BuiltVersion",
    "FailingFindings",
    "VERSION_SELECTOR",
    "VersionedSite",
    "build_versions",
    "export_tree",
    "publish_index",
    "redirect_page",
    "summary",
    "versions_json",
    "write_redirects",
]
