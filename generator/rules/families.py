"""Importing this module registers every rule family's checks (order: policy 1 to 7, then the rest).

`history_rules` comes after `emergency` so that the history-based check of GOV403 replaces the
placeholder documentation registered there.
"""

from . import (  # noqa: F401
    downgrades,
    destructive,
    forward_only,
    emergency,
    history_rules,
    authoring,
    review,
    integrity,
    cadence,
)
