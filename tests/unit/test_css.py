"""media.css: escapes and comments decoded as a browser's tokenizer does, before anything is judged."""

import pytest

from noxus_local.media.css import dangerous, decode


@pytest.mark.parametrize(("raw", "decoded"), [
    ("\\75 rl(", "url("), ("\\000075rl(", "url("), ("\\75\r\nrl(", "url("), ("u\\rl(", "url("),
    ("u/**/rl(", "url("), ("\\5c", "\\"), ("a\\\nb", "ab"), ("\\0 x", "\ufffdx"), ("\\110000", "\ufffd"),
    ("/* unterminated", ""), ("plain: red", "plain: red"),
])
def test_decode(raw: str, decoded: str) -> None:
    assert decode(raw) == decoded


@pytest.mark.parametrize(("css", "found"), [
    ("fill: \\75 rl(x)", "url("), ("fill:URL( 'x')", "url("), ("w: \\45 XPRESSION(1)", "expression("),
    ("b: \\6a avascript:1", "javascript:"), ("@\\69mport 'x'", "@import"),
    ("fill: url(#g)", None), ("fill: url( '#g' )", None), ("color: red", None),
])
def test_dangerous(css: str, found: str | None) -> None:
    assert dangerous(css) == found
