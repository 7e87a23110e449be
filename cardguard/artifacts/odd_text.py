"""Lone surrogates: text that Python holds but UTF-8 cannot carry.

JSON may escape half of a surrogate pair (``"\\ud800"``) and a pickle may carry one
(its string opcodes decode with ``surrogatepass``): the result is a ``str`` that raises
UnicodeEncodeError wherever it is printed or written. Readers replace each one with U+FFFD,
the character a UTF-8 decoder shows for a bad byte, so facts only ever hold encodable text.
"""

from __future__ import annotations

import re

REPLACEMENT = "\ufffd"
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# A JSON escape of a surrogate (paired or not): only such text can decode to one.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def without_lone_surrogates(text: str) -> str:
    return _LONE_SURROGATE.sub(REPLACEMENT, text) if not text.isascii() else text


def may_hold_lone_surrogates(json_text: str) -> bool:
    """False when JSON text cannot decode to a lone surrogate (the common case, one search)."""
    return "\\u" in json_text and _SURROGATE_ESCAPE.search(json_text) is not None


def clean_json_value(value: object) -> object:
    """``value`` (parsed JSON) with every string and key cleaned, in place where it can be;
    iterative, so any nesting json.loads accepted is walked without recursion."""
    if isinstance(value, str):
        return without_lone_surrogates(value)
    pending = [value]
    while pending:
        container = pending.pop()
        if isinstance(container, list):
            for index, item in enumerate(container):
                if isinstance(item, str):
                    container[index] = without_lone_surrogates(item)
                elif isinstance(item, (list, dict)):
                    pending.append(item)
        elif isinstance(container, dict):
            entries = list(container.items())
            container.clear()
            for key, item in entries:
                container[without_lone_surrogates(key)] = without_lone_surrogates(item) if isinstance(item, str) else item
                if isinstance(item, (list, dict)):
                    pending.append(item)
    return value
