"""Path containment, at the bottom of the package: configuration and readers both ask it."""

from __future__ import annotations

from pathlib import Path


def inside(root: Path, candidate: Path) -> bool:
    """True when `candidate` (after resolving symlinks) lies within `root`."""
    try:
        candidate.resolve().relative_to(root.resolve())
        return True
    except (ValueError, OSError, RuntimeError):
        return False


__all__ = ["inside"]
