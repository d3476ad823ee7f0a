"""Policy 1: `alembic downgrade` is a development tool and never runs against staging or production."""

from __future__ import annotations

import re
from typing import Iterable, Optional

from ..config import Config
from ..model import CiJob, Finding
from .base import Context, rule


def protected_environment(environment: Optional[str], config: Config) -> Optional[str]:
    """The configured protected name `environment` falls under, or None.

    A name matches itself and anything it prefixes up to a separator, so `production` also
    covers `production-eu` and `prod` covers `prod_us`, while `stage` does not cover `stagehand`.
    """
    if not environment:
        return None
    env = environment.strip().lower()
    for name in config.protected_environments:
        wanted = name.strip().lower()
        if wanted and re.match(rf"{re.escape(wanted)}(?:$|[^a-z0-9])", env):
            return name
    return None


def _source(job: CiJob) -> str:
    return f" (from its {job.environment_source})" if job.environment_source else ""


@rule("GOV101")
def ci_downgrade_in_protected_env(ctx: Context) -> Iterable[Finding]:
    """
    ## What it does
    Flags every `alembic downgrade` command in a CI/CD job (GitHub Actions or GitLab CI) that
    targets a protected environment. The environment comes from the job's `environment:`
    setting, else from its name or an environment variable; it is protected when it matches a
    name in `protected_environments` (default: staging, stage, stg, production, prod) exactly or
    as a prefix followed by a separator (`production-eu`).

    ## Why is this bad?
    Policy 1 allows downgrades only in development. A downgrade replays mechanical reversals
    that drop the columns and tables the upgrade added, so in a shared environment it loses
    real data; errors there are fixed by a new forward-only migration instead.

    ## Example
    ```yaml
    jobs:
      rollback:
        environment: production
        steps:
          - run: alembic downgrade -1
    ```

    ## Use instead
    ```yaml
    jobs:
      rollback-check:
        environment: development
        steps:
          - run: alembic downgrade -1 && alembic upgrade head
    ```
    and fix production with a new forward-only migration.
    """
    for job in ctx.repo.ci_jobs:
        if not job.downgrades:
            continue
        protected = protected_environment(job.environment, ctx.config)
        if protected is None:
            continue
        for where in job.downgrades:
            yield ctx.finding(
                "GOV101",
                where,
                f"job '{job.name}' runs `alembic downgrade` against protected environment "
                f"'{job.environment}'{_source(job)}",
            )
