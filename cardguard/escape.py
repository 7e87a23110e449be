"""Untrusted text made safe to print: the one place every output format escapes through.

A pull request controls every string cardguard reports (file names, config values, label
names, card text). Printed raw, a line break inside one of them starts a new line of the log,
where the GitHub runner reads ``::error ...`` or ``::add-mask::`` as a workflow command, and an
escape sequence (``\\x1b[...``) rewrites the terminal. So every field taken from a repository
is passed through one of these functions before it is written anywhere:

* ``escape_controls``: one field of a text line. Control characters (C0 including tab, CR
  and LF, DEL, C1 including U+0085 NEL, and the line and paragraph separators U+2028/U+2029)
  become visible escapes (``\\n``, ``\\x1b``, ``\\u2028``). Backslashes are left as they are,
  so the text form is for reading, not for round trips; the JSON forms are exact.
* ``escape_lines``: a block of lines (a diff): the same, line by line, keeping the ``\\n``
  that ends each line.
* ``strict_json``: a JSON document that is strict JSON (no ``NaN``/``Infinity``) and holds no
  raw control character, not even the ones JSON allows inside strings.

This module imports only the standard library, so any part of cardguard may use it.
"""

from __future__ import annotations

import json
import math
import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# Every character that may break a line or drive a terminal (see the module docstring).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# The ones json.dumps leaves raw with ensure_ascii=False (it escapes C0 itself).
_RAW_IN_JSON = re.compile("[\x7f-\x9f\u2028\u2029]")
# What a float that JSON cannot hold is written as (json.dumps would print NaN / Infinity).
NON_FINITE_NAMES = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


def escape_controls(text: str, keep: str = "") -> str:
    """``text`` with every control character replaced by a visible escape, except those in
    ``keep`` (for a format that escapes those in its own way)."""
    if _CONTROL.search(text) is None:
        return text
    return _CONTROL.sub(lambda match: match.group() if match.group() in keep else _visible(match), text)


def escape_lines(text: str) -> str:
    """A multi-line block with each line's control characters escaped; only ``\\n`` breaks lines."""
    return "\n".join(escape_controls(line) for line in text.split("\n"))


def _visible(match: re.Match[str]) -> str:
    character = match.group()
    if character in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[character]
    code = ord(character)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def strict_json(document: Any, indent: int | None = 2) -> str:
    """``document`` as strict JSON text (no trailing newline).

    A float that JSON cannot represent is written as the string ``"NaN"``, ``"Infinity"`` or
    ``"-Infinity"``: the reader still sees what the artifact said, and ``float()`` reads it
    back. Characters stay unescaped (``ensure_ascii=False``) except the control characters,
    which become ``\\uXXXX``, so the text is the same document and has no raw line breaks.
    """
    try:
        text = json.dumps(document, indent=indent, ensure_ascii=False, allow_nan=False)
    except ValueError:  # a NaN or an infinity somewhere: replace them (rare, so not done up front)
        text = json.dumps(_finite(document), indent=indent, ensure_ascii=False, allow_nan=False)
    # Outside strings a JSON text is ASCII, so these can only sit inside strings: \\u form is exact.
    return _RAW_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return NON_FINITE_NAMES[repr(value)]
    if isinstance(value, dict):
        return {_finite(key): _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value
