"""The policy checks: one module per runbook policy, one ordered catalogue of codes."""

from .base import REGISTRY, Context, Rule, rule
from .engine import all_rules, failing, run_rules
from ..catalog import CATALOG, RuleSpec, finding

__all__ = [
    "CATALOG",
    "REGISTRY",
    "Context",
    "Rule",
    "RuleSpec",
    "all_rules",
    "failing",
    "finding",
    "rule",
    "run_rules",
]
