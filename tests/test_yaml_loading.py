"""libyaml reads the documents it finds nothing wrong with; the pure-Python loader reads the rest.
Both must give the same data and the same lines, so a finding never depends on how PyYAML was
installed."""

from pathlib import Path

import pytest
import yaml

from generator.sources import markdown
from generator.sources.markdown import GovYamlLoader, load_yaml

ROOT = Path(__file__).resolve().parents[1]

SAMPLES = {
    "anchors and merge keys": "defaults: &d\n  image: python:3.12\n  retry: 2\njob:\n  <<: *d\n  script: [make]\n",
    "application tags": "lint:\n  script:\n    - !reference [.setup, script]\n    - echo ok\n",
    "timestamps stay text": "date: 2026-02-30\nwhen: 2024-05-01T09:00:00Z\n",
    "block scalars": "run: |\n  govsite validate .\n  govsite build\nfolded: >\n  one\n  two\n",
    "empty values": "on:\n  push:\n  pull_request:\n    paths:\n      - 'alembic/**'\n",
    "flow collections": "matrix: {python: ['3.11', '3.12'], db: [postgres, mysql]}\n",
    "comments and quotes": "# top\nname: \"migrations\"  # trailing\nenv: {A: 'x: y'}\n",
    "document marker": "---\nstatus: accepted\ndeciders: [Ada, Bilal]\n...\n",
}


def _marks(node, found):
    found.append((node.tag, node.start_mark.line, node.start_mark.column, node.end_mark.line, node.end_mark.column))
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            _marks(key, found)
            _marks(value, found)
    elif isinstance(node, yaml.SequenceNode):
        for value in node.value:
            _marks(value, found)
    return found


def _pure(text):
    loader = GovYamlLoader(text)
    try:
        node = loader.get_single_node()
        return node, loader.construct_document(node)
    finally:
        loader.dispose()


def _documents():
    yield from SAMPLES.items()
    for path in sorted(ROOT.glob("examples/**/*.y*ml")):
        yield str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")


@pytest.mark.skipif(markdown._LibyamlLoader is None, reason="PyYAML without libyaml reads every document in Python")
@pytest.mark.parametrize("name,text", list(_documents()), ids=[name for name, _ in _documents()])
def test_libyaml_gives_the_data_and_lines_of_the_pure_python_loader(name, text):
    quick = markdown._load_quickly(text)
    assert quick is not None, "a valid document is read by libyaml"
    node, data = _pure(text)
    assert quick[1] == data
    assert _marks(quick[0], []) == _marks(node, [])


def test_load_yaml_reads_the_same_with_and_without_libyaml(monkeypatch):
    text = SAMPLES["anchors and merge keys"]
    document, problem = load_yaml("ci.yml", text, first_line=3)
    assert problem is None and document.data["job"]["image"] == "python:3.12"
    assert document.line_of(document.node.value[1][0]) == 3 + 3  # `job:` is the 4th line
    monkeypatch.setattr(markdown, "_LibyamlLoader", None)
    pure, problem = load_yaml("ci.yml", text, first_line=3)
    assert problem is None and pure.data == document.data
    assert _marks(pure.node, []) == _marks(document.node, [])


@pytest.mark.parametrize("text,line", [
    ("jobs:\n  a: [1, 2\n  b: 3\n", 3),  # an unclosed flow sequence
    ("key: value\n\tbad: tab\n", 2),  # a tab where indentation is expected
    ("a: 1\na: [\n", 3),
])
def test_a_broken_document_is_worded_by_the_pure_python_loader(text, line, monkeypatch):
    with_libyaml = load_yaml("ci.yml", text)
    monkeypatch.setattr(markdown, "_LibyamlLoader", None)
    without = load_yaml("ci.yml", text)
    assert with_libyaml == without
    assert with_libyaml[0] is None and with_libyaml[1].location.line == line


def test_deep_nesting_is_left_to_the_pure_python_loader(monkeypatch):
    deep = "".join("  " * depth + "k:\n" for depth in range(markdown.MAX_QUICK_DEPTH + 10))
    assert markdown._load_quickly(deep) is None
    shallow = "".join("  " * depth + "k:\n" for depth in range(markdown.MAX_QUICK_DEPTH // 2))
    assert markdown._LibyamlLoader is None or markdown._load_quickly(shallow) is not None
    monkeypatch.setattr(markdown, "_LibyamlLoader", None)
    assert markdown._load_quickly(shallow) is None


@pytest.mark.parametrize("files,where", [
    ({".github/workflows/migrations.yml": "name: ci\non: push\njobs:\n  a:\n    name: a\x01b\n"},
     (".github/workflows/migrations.yml", 5)),
    ({"docs/adr/ADR-001-x.md": "---\nstatus: accepted\ntitle: a\x01b\n---\n# ADR-001: X\n"},
     ("docs/adr/ADR-001-x.md", 3)),
])
def test_a_control_character_in_yaml_is_a_finding_at_its_line(files, where, make_repo, no_outer_repository):
    from generator.config import Config
    from generator.sources import load_repository

    repo = load_repository(make_repo(files), Config(), with_history=False)
    found = [(f.location.path, f.location.line) for f in repo.reader_findings
             if f.rule == "GOV804" and "special characters" in f.message]
    assert found == [where]


@pytest.mark.skipif(markdown._LibyamlLoader is None, reason="PyYAML without libyaml reads every document in Python")
def test_a_valid_document_never_reaches_the_pure_python_loader(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the pure-Python loader was used for a valid document")

    monkeypatch.setattr(markdown, "GovYamlLoader", refuse)
    document, problem = load_yaml("ci.yml", SAMPLES["anchors and merge keys"])
    assert problem is None and document.data["job"]["retry"] == 2
