"""govsite: a migration governance site generator.

Reads a team's repository statically (Alembic migrations, ADRs, the exceptions register, policy
documents, CI configs, git history), checks it against the migration policy, and builds a
MkDocs governance site from the result.
"""

from .config import Config, ConfigError, load_config
from .model import Finding, Location, Repository, Severity
from .sources import load_repository
from .version import __version__

__all__ = [
    "Config",
    "ConfigError",
    "Finding",
    "Location",
    "Repository",
    "Severity",
    "load_config",
    "load_repository",
]
