"""Importing this module registers every rule family's checks (order: policy 1 to 7, then the rest).

Each code is registered by one module only, so the order of imports never decides which
registration wins.
"""

from . import (  # noqa: F401
    downgrades,
    destructive,
    forward_only,
    emergency,
    history_rules,
    authoring,
    review,
    safety,
    out_of_band,
    integrity,
    cadence,
    baseline,
)
