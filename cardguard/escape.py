"""Untrusted text made safe to print: the one place every output format escapes through.

A pull request controls every string cardguard reports (file names, config values, label
names, card text). Printed raw, a line break inside one of them starts a new line of the log,
where the GitHub runner reads ``::error ...`` or ``::add-mask::`` as a workflow command, and an
escape sequence (``\\x1b[...``) rewrites the terminal. So every field taken from a repository
is passed through one of these functions before it is written anywhere:

* ``escape_text``: one field of a text line. Control characters (C0 including tab, CR and LF,
  DEL, C1 including U+0085 NEL, the line and paragraph separators U+2028/U+2029, and the
  bidirectional controls: the marks U+200E, U+200F and U+061C, the embeddings and overrides
  U+202A-U+202E, the isolates U+2066-U+2069) become visible escapes (``\\n``, ``\\x1b``,
  ``\\u2028``, ``\\u202e``), and the runner's older command opener
  ``##[``, which it reads anywhere in a line, is written ``##\\x5b``. Backslashes are left as
  they are, so the text form is for reading, not for round trips; the JSON form is exact.
* ``escape_block``: a block of lines (a diff, a child's stderr): ``escape_text`` line by line,
  keeping the ``\\n`` that ends each line, and a line that would start with ``::`` once its
  leading blanks are trimmed (as the runner trims them) gets its first colon escaped.
* ``strict_json``: a JSON document that is strict JSON (no ``NaN``/``Infinity``), with no raw
  control character (not even those JSON allows inside strings) and no ``##[``.

The runner's command syntax: ``TryParseV2`` (``::`` after TrimStart) and ``TryParse`` (``##[``
anywhere) in actions/runner src/Runner.Common/ActionCommand.cs, both tried for every line by
src/Runner.Worker/ActionCommandManager.cs.

This module imports only the standard library, so any part of cardguard may use it.
"""

from __future__ import annotations

import json
import math
import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# Every character that may break a line or drive a terminal, and the bidirectional controls,
# which make a line show other text than it holds (CVE-2021-42574, "Trojan Source").
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{_BIDI}]")
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# The runner's older command opener, read anywhere in a line; its "[" is escaped.
_LEGACY_OPENER = "##["
# What json.dumps leaves raw with ensure_ascii=False (it escapes C0 itself).
_CONTROL_IN_JSON = re.compile(f"[\x7f-\x9f\u2028\u2029{_BIDI}]")
# What a float that JSON cannot hold is written as (json.dumps would print NaN / Infinity).
NON_FINITE_NAMES = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


def escape_text(text: str, keep: str = "") -> str:
    """``text`` with every control character (except those in ``keep``, for a format that
    escapes them its own way) and every ``##[`` replaced by a visible escape."""
    # Every character _CONTROL matches is unprintable (Cc, Cf, Zl, Zp), and isprintable() is the
    # quicker test of the two: the pattern runs only on text that may hold one.
    if not text.isprintable() and _CONTROL.search(text) is not None:
        text = _CONTROL.sub(lambda match: match.group() if match.group() in keep else _visible(match.group()), text)
    if _LEGACY_OPENER in text:
        text = text.replace(_LEGACY_OPENER, "##\\x5b")
    return text


def escape_block(text: str) -> str:
    """A multi-line block, each line escaped; only ``\\n`` breaks lines, and no line reads as
    a workflow command."""
    return "\n".join(_inert_start(escape_text(line)) for line in text.split("\n"))


def _inert_start(line: str) -> str:
    """The line, with its first colon escaped if it starts with ``::`` after leading blanks."""
    blanks = len(line) - len(line.lstrip())
    if line.startswith("::", blanks):
        return line[:blanks] + "\\x3a" + line[blanks + 1:]
    return line


def _visible(character: str) -> str:
    if character in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[character]
    code = ord(character)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def strict_json(document: Any, indent: int | None = 2) -> str:
    """``document`` as strict JSON text (no trailing newline).

    A float that JSON cannot represent is written as the string ``"NaN"``, ``"Infinity"`` or
    ``"-Infinity"``: the reader still sees what the artifact said, and ``float()`` reads it
    back. Characters stay unescaped (``ensure_ascii=False``) except the control characters
    and the ``[`` of ``##[``, which become ``\\uXXXX``: the same document, parsed, and no raw
    line break or workflow command in the text.
    """
    try:
        text = json.dumps(document, indent=indent, ensure_ascii=False, allow_nan=False)
    except ValueError:  # a NaN or an infinity somewhere: replace them (rare, so not done up front)
        text = json.dumps(_finite(document), indent=indent, ensure_ascii=False, allow_nan=False)
    # Outside its strings a JSON text is ASCII and has no '#', so these can only sit inside
    # strings, where the \u form is exact.
    if _CONTROL_IN_JSON.search(text) is not None:
        text = _CONTROL_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
    return text.replace(_LEGACY_OPENER, "##\\u005b")


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return NON_FINITE_NAMES[repr(value)]
    if isinstance(value, dict):
        return {_finite(key): _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value
