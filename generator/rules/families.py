"""Importing this module registers every rule family's checks."""

from . import (  # noqa: F401
    authoring,
    cadence,
    destructive,
    downgrades,
    emergency,
    forward_only,
    integrity,
    review,
)
