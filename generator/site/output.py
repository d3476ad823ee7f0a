"""Where a built site goes: the site folder's safety checks, staging folders, the swap-in, and
the counts every build summary shows.

A site folder is replaced as a whole, so it must never be anything but a site: not the
repository, not one of its inputs, not a regular file, and not a folder with content govsite
did not put there. Every folder govsite makes is marked (`SITE_MARKER` in a finished site, a
locked `LOCK_FILE` while a build uses it), so a later run can tell its own debris, left by a
build that was killed, from anything else, and from the folders of a build still running.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Iterable, Iterator, Optional, Sequence

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: the owner's pid decides instead
    fcntl = None  # type: ignore[assignment]

from ..config import Config
from ..interrupt import raise_if_stopped
from ..model import Finding

#: In every site govsite built: its presence allows the next build to replace the folder.
SITE_MARKER = ".govsite-site"
SITE_MARKER_TEXT = "This folder was built by govsite; the next build replaces it as a whole.\n"
#: In a staging or temporary folder while the build using it runs: the owner's pid, locked.
#: Both names start with a dot: MkDocs, cleaning its site folder, leaves such files alone.
LOCK_FILE = ".govsite-building"
#: Prefixes of govsite's temporary folders in the system's temporary directory.
TEMPORARY_PREFIXES = ("govsite-mkdocs-", "govsite-docs-", "govsite-release-", "govsite-serve-")
#: The repository's own files that configure a build, besides the configured inputs.
CONFIGURATION_FILES = ("alembic.ini", "govsite.toml", "pyproject.toml", "mkdocs.yml")



class SiteDirError(Exception):
    """The site folder cannot be used (it would destroy data, or it cannot be written)."""


# --------------------------------------------------------------------------- the site folder


def check_site_dir(
    root: Path,
    target: Path,
    config: Config,
    *,
    config_file: Optional[Path] = None,
    force: bool = False,
) -> None:
    """Refuse a site folder whose replacement would destroy something that is not a site.

    A folder inside the repository (`REPO/site`) is the usual place and fine; the repository
    itself, a folder holding it, and anything that is, holds or lies inside one of its inputs
    are refused. `force` allows only replacing a non-empty folder govsite did not mark.
    """
    root, target = Path(root).resolve(), Path(target).resolve()
    if target == root or root.is_relative_to(target):
        raise SiteDirError(f"site folder {target} would replace the repository {root}")
    clash = _input_clash(root, target, config, config_file)
    if clash is not None:
        raise SiteDirError(
            f"site folder {target} {clash}, an input of the repository; a site folder is "
            "replaced as a whole, so choose one outside the inputs (default: REPO/site)"
        )
    if target.exists() and not target.is_dir():
        raise SiteDirError(f"site folder {target} exists and is not a folder; not replacing it")
    if not force and target.is_dir() and not is_site(target) and _has_entries(target):
        raise SiteDirError(
            f"site folder {target} is not empty and was not built by govsite (no "
            f"{SITE_MARKER}); choose another folder, or pass --force to replace it"
        )


def is_site(folder: Path) -> bool:
    """Whether govsite built `folder` (and may therefore replace it)."""
    return (folder / SITE_MARKER).is_file()


def _has_entries(folder: Path) -> bool:
    with os.scandir(folder) as entries:
        return any(True for _ in entries)


def _input_clash(
    root: Path, target: Path, config: Config, config_file: Optional[Path]
) -> Optional[str]:
    """How the site folder meets the first input it is, holds or lies inside ("holds docs")."""
    folders, files = input_paths(root, config)
    if config_file is not None:
        files.append(Path(config_file).resolve())
    for path in [*(f for f in folders if f != root), *files]:
        if path == target:
            return f"is {_shown(root, path)}"
        if path.is_relative_to(target):
            return f"holds {_shown(root, path)}"
        if target.is_relative_to(path):
            return f"lies inside {_shown(root, path)}"
    return None


def input_paths(root: Path, config: Config) -> tuple[list[Path], list[Path]]:
    """The folders and files the repository's inputs live in, resolved.

    Folders are the docs folder, the folders of the migrations found and the fixed part of
    every configured glob (`docs/adr/*.md` -> `docs/adr`); files are every input file found.
    """
    from ..sources.files import find_files
    from ..sources.migrations import migration_files

    migrations, _ = migration_files(root, config)
    patterns = [*config.adrs, *config.policies, *config.ci, config.exceptions]
    found = find_files(root, patterns) + migrations + list(CONFIGURATION_FILES)
    files = [(root / rel).resolve() for rel in found if (root / rel).exists()]
    folders = {root / "docs", *(root / static_prefix(p) for p in patterns)}
    folders |= {(root / rel).parent for rel in migrations}
    return sorted(f.resolve() for f in folders if f.is_dir()), files


def _shown(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def static_prefix(pattern: str) -> str:
    """`docs/adr/*.md` -> `docs/adr`; `db/schema/EXCEPTIONS.md` -> itself."""
    parts = []
    for part in Path(pattern).parts:
        if any(ch in part for ch in "*?["):
            break
        parts.append(part)
    return str(Path(*parts)) if parts else "."


# --------------------------------------------------------------------------- marked folders


class Owned:
    """A folder this process made and holds: a locked `LOCK_FILE` with its pid inside.

    The lock dies with the process, however it ends (even `kill -9`), so `remove_stale` can
    tell a folder left behind from one a build that still runs is using.
    """

    def __init__(self, path: Path):
        self.path = path
        self._lock = os.open(path / LOCK_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        if fcntl is not None:
            # a file system without locks: the folder then always looks in use, never stale
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(self._lock, f"{os.getpid()}\n".encode("ascii"))

    def release(self) -> None:
        """Drop the mark (unlinked before unlocking, so no other run ever sees it stale)."""
        if self._lock is None:
            return
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path / LOCK_FILE)
        os.close(self._lock)
        self._lock = None

    def remove(self) -> None:
        """Delete the folder, its mark last: interrupted half-way, it is still stale debris."""
        with contextlib.suppress(OSError), os.scandir(self.path) as entries:
            for entry in entries:
                if entry.name == LOCK_FILE:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
        self.release()
        shutil.rmtree(self.path, ignore_errors=True)


def make_owned(prefix: str, parent: Optional[Path] = None) -> Owned:
    """A new marked folder named `prefix...` in `parent` (default: the temporary directory)."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    try:
        return Owned(path)
    except BaseException:  # interrupted before the mark was made: nothing would remove it
        shutil.rmtree(path, ignore_errors=True)
        raise


@contextlib.contextmanager
def owned_temporary_directory(prefix: str) -> Iterator[Path]:
    """`tempfile.TemporaryDirectory`, marked so that a killed run's copy is removed later.

    The caller gets an empty folder inside the marked one, so the mark is never among its files.
    """
    remove_stale(Path(tempfile.gettempdir()), (prefix,))
    owned = None
    try:
        owned = make_owned(prefix)
        work = owned.path / "work"
        work.mkdir()
        yield work
    finally:
        if owned is not None:
            owned.remove()


def remove_stale(parent: Path, prefixes: Sequence[str]) -> list[Path]:
    """Remove the folders in `parent` named `prefix...` that a run which is over left behind.

    Only folders holding govsite's `LOCK_FILE` qualify, and only when no live process holds
    its lock: anything else with a similar name is not ours, and a live build keeps its own.
    """
    removed = []
    try:
        entries = [e for e in os.scandir(parent) if e.name.startswith(tuple(prefixes))]
    except OSError:
        return removed
    for entry in entries:
        folder = Path(entry.path)
        if entry.is_dir(follow_symlinks=False) and _abandoned(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _abandoned(folder: Path) -> bool:
    try:
        handle = os.open(folder / LOCK_FILE, os.O_RDWR | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        # no mark: not govsite's, or one just released; or killed before marking it, which
        # leaves it empty (and removing an empty folder nobody touched for an hour loses nothing)
        return _empty_and_old(folder)
    try:
        if fcntl is not None:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return False  # a live build holds it
            return True
        return not _pid_alive(os.read(handle, 32))
    finally:
        os.close(handle)


def _empty_and_old(folder: Path, seconds: float = 3600) -> bool:
    try:
        return not _has_entries(folder) and time.time() - folder.stat().st_mtime > seconds
    except OSError:
        return False


def _pid_alive(text: bytes) -> bool:
    try:
        os.kill(int(text.strip() or b"0"), 0)
    except ValueError:
        return False
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def staging_prefix(target: Path) -> str:
    return f".{target.name}.building-"


def retired_prefix(target: Path) -> str:
    return f".{target.name}.old-"


def start_staging(target: Path) -> Owned:
    """A marked folder beside `target` to build into; stale ones of killed runs go first."""
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        remove_stale(parent, (staging_prefix(target), retired_prefix(target)))
        remove_stale(Path(tempfile.gettempdir()), TEMPORARY_PREFIXES)
        staging = make_owned(staging_prefix(target), parent)
        os.chmod(staging.path, published_folder_mode())
    except OSError as exc:
        raise SiteDirError(
            f"cannot write the site folder {target}: cannot create files in {parent} "
            f"({exc.strerror or exc})"
        ) from None
    try:
        (staging.path / SITE_MARKER).write_text(SITE_MARKER_TEXT, encoding="utf-8")
    except BaseException:
        staging.remove()
        raise
    return staging


def published_folder_mode() -> int:
    """0755 under the usual 022 umask: the mode `mkdir` gives, not `mkdtemp`'s private 0700.

    The staging folder becomes the site's root, and a web server running as another user
    answers 403 for a folder only its owner can enter.
    """
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o777 & ~mask


def swap_in(staging: Owned, target: Path) -> None:
    """Replace `target` by `staging` with renames, so no reader sees a half-built site.

    The previous site is moved into a marked folder first, so a run killed before it is
    deleted leaves nothing that the next run does not remove. A run asked to stop publishes
    nothing, even when the exception of its signal was dropped on the way (`interrupt`).
    """
    raise_if_stopped()
    staging.release()
    try:
        if not target.exists():
            staging.path.rename(target)
            return
        retired = make_owned(retired_prefix(target), target.parent)
        try:
            target.rename(retired.path / target.name)
        except BaseException:
            retired.remove()
            raise
        try:
            staging.path.rename(target)
        except BaseException:
            (retired.path / target.name).rename(target)
            retired.remove()
            raise
        retired.remove()
    except OSError as exc:
        raise SiteDirError(f"cannot replace the site folder {target}: {exc.strerror or exc}") from None


# --------------------------------------------------------------------------- summaries


def tally_text(findings: Iterable[Finding]) -> str:
    """"2 errors, 1 warning": the counts every build summary shows."""
    from ..report import plural, tally

    counts = tally(list(findings))
    return f"{plural(counts.errors, 'error')}, {plural(counts.warnings, 'warning')}"


__all__ = [
    "LOCK_FILE",
    "SITE_MARKER",
    "Owned",
    "SiteDirError",
    "check_site_dir",
    "input_paths",
    "is_site",
    "make_owned",
    "owned_temporary_directory",
    "remove_stale",
    "start_staging",
    "static_prefix",
    "swap_in",
    "tally_text",
]
