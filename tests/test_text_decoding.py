"""Decoding a file's bytes: BOM and line endings handled, and the first byte that is not UTF-8
reported where it stands in the file, BOM or not."""

import pytest

from generator.sources.files import decode

BOM = b"\xef\xbb\xbf"


@pytest.mark.parametrize("data, text", [
    (b"a\nb\n", "a\nb\n"),
    (BOM + b"a\nb", "a\nb"),
    (b"a\r\nb\rc\n", "a\nb\nc\n"),
    (BOM + b"a\r\nb", "a\nb"),
    (BOM + BOM + b"a", "\ufeffa"),  # only the first BOM is one; a second is text
    ("caf\u00e9 \u2013 ok\r\n".encode(), "caf\u00e9 \u2013 ok\n"),
    (b"", ""),
])
def test_text_without_bom_and_with_unix_line_endings(data, text):
    assert decode("doc.md", data) == (text, None)


@pytest.mark.parametrize("prefix", [b"", BOM], ids=["plain", "bom"])
def test_the_undecodable_byte_is_named_at_its_line_and_column(prefix):
    """A BOM does not shift the byte named or its place (it used to name the byte 3 further on)."""
    text, problem = decode("doc.md", prefix + b"title\nab\xff cd\n", "GOV804")
    assert text is None
    assert problem.rule == "GOV804" and problem.message == "not valid UTF-8: byte 0xff cannot be decoded"
    assert (problem.location.path, problem.location.line, problem.location.column) == ("doc.md", 2, 3)


def test_a_nul_byte_is_binary_content_at_its_line():
    text, problem = decode("doc.md", BOM + b"a\nb\x00", "GOV804")
    assert text is None and problem.location.line == 2 and "NUL byte" in problem.message
