"""CSS as a browser reads it, for the SVG check: comments gone, escapes decoded.

A check that looks for ``url(`` in the raw text is beaten by ``\\75 rl(``,
``u\\rl(`` or ``u/**/rl(``: a browser's tokenizer decodes the escape (or
drops the comment) before it knows it is reading a function name. So
``dangerous`` decodes first and only then looks for what can load or run
something: ``url(`` (other than a ``#fragment`` in this same file),
``@import``, ``expression(`` (old IE) and ``javascript:``.

Example::

    decode("\\\\75 rl(x)")                      # 'url(x)'
    dangerous("fill: \\\\75 rl(http://x/a)")     # 'url('
    dangerous("fill: url(#grad)")             # None: a gradient in this file
"""

from __future__ import annotations

import re

_COMMENT = re.compile(r"/\*.*?(?:\*/|$)", re.S)
# CSS Syntax §4.3.7: a backslash, then 1-6 hex digits and one optional whitespace, or a newline
# (a line continuation: nothing), or any other character standing for itself
_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})(?:\r\n|[ \t\r\n\f])?|(\r\n|[\r\n\f])|(.))", re.S)
_FORBIDDEN = re.compile(r"url\s*\((?!\s*['\"]?\s*#)|@import|expression\s*\(|javascript\s*:", re.I)
MAX_CODEPOINT = 0x10FFFF


def decode(text: str) -> str:
    """The text with comments removed and every escape replaced by the character it stands for."""
    return _COMMENT.sub("", _ESCAPE.sub(_unescape, _COMMENT.sub("", text)))


def _unescape(match: re.Match[str]) -> str:
    hex_digits, newline, other = match.groups()
    if hex_digits is not None:
        code = int(hex_digits, 16)
        # zero, surrogates and past Unicode are U+FFFD in a browser: never a letter of "url"
        return "\ufffd" if code == 0 or 0xD800 <= code <= 0xDFFF or code > MAX_CODEPOINT else chr(code)
    return "" if newline is not None else other


def dangerous(text: str) -> str | None:
    """What in ``text`` could load or run something once decoded (``"url("``…), or None."""
    found = _FORBIDDEN.search(decode(text))
    if found is None:
        return None
    return re.sub(r"[\s'\"]", "", found.group(0)).lower()
