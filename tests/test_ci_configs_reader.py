"""The CI reader: jobs, the environment they target, and exact lines of `alembic downgrade`."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.config import Config
from generator.model import Location
from generator.sources.ci_configs import (
    environment_words,
    is_protected_environment,
    read_ci_jobs,
    runs_alembic_downgrade,
)

WORKFLOW = ".github/workflows/deploy.yml"
GITLAB = ".gitlab-ci.yml"


def read(root, config=None):
    return read_ci_jobs(root, config or Config())


def by_name(jobs):
    return {job.name: job for job in jobs}


def messages(findings):
    return [(f.rule, f.location.path, f.location.line, f.message) for f in findings]


GITHUB_TEXT = """\
name: deploy
on: push
env:
  DEPLOY_ENV: staging
jobs:
  rollback-prod:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: roll back
        run: |
          echo "starting"

          cd db && alembic -c alembic.ini downgrade -1
          alembic upgrade head
      - run: python -m alembic downgrade base
  declared:
    environment:
      name: Production
      url: https://example.com
    steps:
      - run: >
          cd db &&
          alembic downgrade -1
      - run: >
          echo folded into one echo:
          alembic downgrade -1
  plain:
    environment: staging
    steps:
      - run: |
          alembic \\
            downgrade -1
  by-workflow-env:
    steps:
      - run: echo "alembic downgrade is forbidden here"  # quoted, not run
      - run: "# alembic downgrade -1"
  by-step-env:
    steps:
      - run: alembic downgrade -1
        env:
          TARGET_ENV: production
  from-expression:
    environment: ${{ inputs.target }}
    name: Roll back
    env:
      APP_ENV: ${{ vars.APP_ENV }}
    steps:
      - run: alembic downgrade -1
"""


def test_github_jobs_environments_and_downgrade_lines(make_repo):
    jobs, findings = read(make_repo({WORKFLOW: GITHUB_TEXT}))
    assert findings == []
    jobs = by_name(jobs)
    assert list(jobs) == ["rollback-prod", "declared", "plain", "by-workflow-env", "by-step-env", "from-expression"]

    rollback = jobs["rollback-prod"]
    assert (rollback.path, rollback.line) == (WORKFLOW, 6)
    assert (rollback.environment, rollback.environment_source) == ("prod", "job name")
    assert rollback.downgrades == (Location(WORKFLOW, 14, 20), Location(WORKFLOW, 16, 24))

    declared = jobs["declared"]
    assert (declared.environment, declared.environment_source, declared.line) == ("production", "environment", 17)
    assert declared.downgrades == (Location(WORKFLOW, 24, 11),)

    plain = jobs["plain"]
    assert (plain.environment, plain.environment_source) == ("staging", "environment")
    assert plain.downgrades == (Location(WORKFLOW, 32, 11),)

    workflow_env = jobs["by-workflow-env"]
    assert (workflow_env.environment, workflow_env.environment_source) == ("staging", "variable")
    assert workflow_env.downgrades == ()

    step_env = jobs["by-step-env"]
    assert (step_env.environment, step_env.environment_source) == ("production", "variable")
    assert step_env.downgrades == (Location(WORKFLOW, 40, 14),)

    expression = jobs["from-expression"]
    assert (expression.environment, expression.environment_source) == ("staging", "variable")


def test_job_without_any_environment_hint_has_none(make_repo):
    text = "on: push\njobs:\n  rollback:\n    steps:\n      - run: alembic downgrade -1\n"
    [job], findings = read(make_repo({WORKFLOW: text}))
    assert findings == []
    assert (job.environment, job.environment_source) == (None, None)
    assert job.downgrades == (Location(WORKFLOW, 5, 14),)


def test_job_name_key_names_the_environment(make_repo):
    text = "on: push\njobs:\n  rollback:\n    name: Rollback Staging\n    steps:\n      - run: echo\n"
    [job], _ = read(make_repo({WORKFLOW: text}))
    assert (job.environment, job.environment_source) == ("staging", "job name")


@pytest.mark.parametrize(
    "command, expected",
    [
        ("alembic downgrade -1", True),
        ("alembic -c db/alembic.ini downgrade base", True),
        ("alembic --config=db/alembic.ini downgrade base", True),
        ("alembic -x env=ci -n db2 downgrade -1", True),
        ("python -m alembic downgrade base", True),
        ("poetry run alembic downgrade -1", True),
        ("/opt/venv/bin/alembic downgrade -1", True),
        ("cd db && alembic downgrade -1", True),
        ("make x;alembic downgrade -1", True),
        ("alembic upgrade head", False),
        ("alembic history | grep downgrade", False),
        ("echo 'alembic downgrade -1'", False),
        ("# alembic downgrade -1", False),
        ("alembic-utils downgrade", False),
        ("alembic", False),
        ("echo \"unbalanced && alembic downgrade -1", True),
        ("echo alembic downgrade -1", False),
        ("echo done; alembic downgrade -1", True),
        ("docker compose run --rm app alembic downgrade -1", True),
        ("DATABASE_URL=x alembic downgrade -1 | tee log", True),
    ],
)
def test_downgrade_command_recognition(command, expected):
    assert runs_alembic_downgrade(command) is expected


def test_environment_words_and_protection():
    assert environment_words("deployProd-eu_west") == ["deploy", "prod", "eu", "west"]
    protected = Config().protected_environments
    assert is_protected_environment("prod-eu", protected)
    assert is_protected_environment("Production", protected)
    assert not is_protected_environment("product-demo", protected)
    assert not is_protected_environment("dev", protected)
    assert not is_protected_environment(None, protected)


GITLAB_TEXT = """\
stages: [migrate]
variables:
  ENVIRONMENT: production
.rollback: &rollback
  script:
    - alembic downgrade -1
default:
  before_script:
    - alembic -c ci.ini downgrade base
migrate_staging:
  <<: *rollback
  inherit:
    default: false
extended:
  extends: .rollback
  environment: {name: QA, action: start}
  inherit:
    default: [image]
plain:
  script: echo hi
  variables:
    APP_ENV:
      value: dev
      description: where to run
nested:
  script:
    - - echo nested
      - |
        set -e
        alembic downgrade -1
  after_script: python -m alembic downgrade base
  environment: $TARGET
  inherit:
    default: false
.hidden_job:
  script: alembic downgrade -1
workflow:
  rules: []
"""


def test_gitlab_jobs_templates_defaults_and_environments(make_repo):
    jobs, findings = read(make_repo({GITLAB: GITLAB_TEXT}))
    assert findings == []
    jobs = by_name(jobs)
    assert list(jobs) == ["migrate_staging", "extended", "plain", "nested"]

    merged = jobs["migrate_staging"]
    assert (merged.line, merged.environment, merged.environment_source) == (10, "staging", "job name")
    assert merged.downgrades == (Location(GITLAB, 6, 7),)

    extended = jobs["extended"]
    assert (extended.environment, extended.environment_source) == ("qa", "environment")
    assert extended.downgrades == (Location(GITLAB, 6, 7),)

    plain = jobs["plain"]
    assert (plain.environment, plain.environment_source) == ("dev", "variable")
    assert plain.downgrades == (Location(GITLAB, 9, 7),)  # inherited from default

    nested = jobs["nested"]
    assert (nested.environment, nested.environment_source) == ("production", "variable")
    assert nested.downgrades == (Location(GITLAB, 30, 9), Location(GITLAB, 31, 27))


def test_gitlab_reference_tags_do_not_break_loading(make_repo):
    text = ".setup:\n  script: [echo]\njob:\n  script:\n    - !reference [.setup, script]\n    - alembic downgrade -1\n"
    [job], findings = read(make_repo({GITLAB: text}))
    assert findings == []
    assert job.downgrades == (Location(GITLAB, 6, 7),)


def test_yaml_syntax_error_is_reported_with_its_line(make_repo):
    text = "on: push\njobs:\n  a:\n    steps:\n      - run: [unclosed\n"
    jobs, findings = read(make_repo({WORKFLOW: text}))
    assert jobs == []
    assert [(f.rule, f.location.path, f.location.line) for f in findings] == [("GOV804", WORKFLOW, 6)]
    assert findings[0].message.startswith("YAML syntax error")


def test_tab_indentation_error_is_reported_with_its_line(make_repo):
    text = "job:\n  script:\n\t- alembic downgrade -1\n"
    jobs, findings = read(make_repo({GITLAB: text}))
    assert jobs == []
    assert [(f.rule, f.location.line) for f in findings] == [("GOV804", 3)]


def test_non_utf8_file_is_reported(make_repo):
    root = make_repo({WORKFLOW: b"on: push\njobs:\n  a:\n    name: \xff\n"})
    jobs, findings = read(root)
    assert jobs == []
    assert [(f.rule, f.location.line, f.location.column) for f in findings] == [("GOV804", 4, 11)]


@pytest.mark.parametrize("text", ["", "# only a comment\n"])
def test_empty_file_is_reported(make_repo, text):
    jobs, findings = read(make_repo({GITLAB: text}))
    assert jobs == []
    assert messages(findings) == [("GOV804", GITLAB, 1, "CI configuration is empty")]


def test_top_level_list_is_reported(make_repo):
    jobs, findings = read(make_repo({WORKFLOW: "- a\n- b\n"}))
    assert messages(findings) == [("GOV804", WORKFLOW, 1, "CI configuration is not a mapping")]


def test_malformed_workflow_parts_are_reported_at_their_lines(make_repo):
    text = (
        "on: push\njobs:\n  a: just text\n  b:\n    steps: run this\n"
        "  c:\n    steps:\n      - run: [alembic, downgrade]\n"
        "  d:\n    steps:\n      - alembic downgrade -1\n"
    )
    jobs, findings = read(make_repo({WORKFLOW: text}))
    assert [j.name for j in jobs] == ["b", "c", "d"]
    assert messages(findings) == [
        ("GOV804", WORKFLOW, 3, "job 'a' is not a mapping"),
        ("GOV804", WORKFLOW, 5, "'steps' of job 'b' is not a list"),
        ("GOV804", WORKFLOW, 8, "'run' of a step of job 'c' is not a string"),
        ("GOV804", WORKFLOW, 11, "a step of job 'd' is not a mapping"),
    ]


def test_workflow_without_jobs_is_reported(make_repo):
    jobs, findings = read(make_repo({WORKFLOW: "on: push\nname: x\n"}))
    assert messages(findings) == [("GOV804", WORKFLOW, 1, "workflow has no 'jobs' mapping")]


def test_gitlab_script_of_the_wrong_shape_is_reported(make_repo):
    text = "job:\n  script:\n    - {run: alembic downgrade -1}\n"
    [job], findings = read(make_repo({GITLAB: text}))
    assert job.downgrades == ()
    assert messages(findings) == [
        ("GOV804", GITLAB, 3, "script of job 'job' must be a string or a list of strings")
    ]


def test_symlink_leaving_the_repository_is_not_read(make_repo, tmp_path):
    outside = tmp_path / "outside.yml"
    outside.write_text("job:\n  script: alembic downgrade -1\n", encoding="utf-8")
    root = make_repo({"README.md": "x"})
    os.symlink(outside, root / GITLAB)
    jobs, findings = read(root)
    assert jobs == []
    assert messages(findings) == [("GOV804", GITLAB, 1, "path leads outside the repository; not read")]


def test_yaml_alias_bomb_is_read_without_blowing_up(make_repo):
    lines = ["a0: &a0 [alembic downgrade -1]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 9)]
    text = ".x:\n  " + "\n  ".join(lines) + "\njob:\n  script: *a8\n"
    [job], findings = read(make_repo({GITLAB: text}))
    assert findings == []
    assert job.downgrades == (Location(GITLAB, 2, 12),)


YAML_PIECES = [
    "jobs:", "steps:", "script:", "run: ", "run: |", "environment: ", "env:", "variables:",
    "extends: ", ".t", "name: ", "alembic downgrade -1", "prod", "&a ", "*a", "<<: ", "!reference ",
    "[", "]", "{", "}", "- ", ": ", "  ", "    ", "\t", "\n", "\n", "\n", "'", '"', "\\", "#",
]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(YAML_PIECES), max_size=60).map("".join),
    st.sampled_from([WORKFLOW, GITLAB]),
)
def test_any_yaml_gives_jobs_or_findings_never_an_exception(text, path):
    from generator.sources.ci_configs import parse_ci_file

    jobs, findings = parse_ci_file(path, text, Config())
    lines = text.split("\n")
    for problem in findings:
        assert problem.location.path == path and problem.location.line >= 1
    for job in jobs:
        assert 1 <= job.line <= len(lines)
        for where in job.downgrades:
            assert "alembic" in lines[where.line - 1] or "downgrade" in lines[where.line - 1]


COMMAND = "alembic downgrade -1"


@st.composite
def workflow_with_known_lines(draw):
    """A workflow whose `run` values use every scalar style, and the lines of each downgrade."""
    lines = ["on: push", "jobs:", "  job:", "    steps:"]
    expected = []
    for _ in range(draw(st.integers(1, 5))):
        style = draw(st.sampled_from(["plain", "single", "double", "literal", "literal-strip", "folded"]))
        has_downgrade = draw(st.booleans())
        command = COMMAND if has_downgrade else "echo ok"
        if style in ("plain", "single", "double"):
            quote = {"plain": "", "single": "'", "double": '"'}[style]
            lines.append(f"      - run: {quote}{command}{quote}")
            if has_downgrade:
                expected.append(len(lines))
            continue
        indicator = {"literal": "|", "literal-strip": "|-", "folded": ">"}[style]
        lines.append(f"      - run: {indicator}")
        if style == "folded":  # lines are joined with spaces: keep them one valid command
            before = draw(st.lists(st.sampled_from(["true;", "cd db &&"]), max_size=3))
        else:
            before = draw(st.lists(st.sampled_from(["echo a", "", "set -e"]), max_size=3))
        lines.extend(f"          {b}" if b else "" for b in before)
        lines.append(f"          {command}")
        if has_downgrade:
            expected.append(len(lines))
        lines.append("          echo done")
    return "\n".join(lines) + "\n", expected


@settings(max_examples=100, deadline=None)
@given(workflow_with_known_lines())
def test_downgrade_lines_are_exact_in_every_scalar_style(case):
    from generator.sources.ci_configs import parse_ci_file

    text, expected = case
    [job], findings = parse_ci_file(WORKFLOW, text, Config())
    assert findings == []
    assert [where.line for where in job.downgrades] == expected
