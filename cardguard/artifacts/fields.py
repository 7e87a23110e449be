"""Typed access to the keys of a parsed JSON object, reporting values of the wrong type.

Each getter takes one or more key names (synonyms, in order of preference) and returns the
first one present. A present value of the wrong type is reported once (CG312) and skipped,
so a reader never crashes on ``"hidden_size": "16"`` and never passes such a value on.
"""

from __future__ import annotations


from cardguard.artifacts.files import ReadContext, json_type_name

TYPE_CHECKING = False  # typing is imported for type checkers only: it costs a cold start ~5 ms
if TYPE_CHECKING:
    from typing import Any

JSONScalar = str | int | float | bool | None

# Integers a reader passes on are at most this large in magnitude: int(1e30), transformers'
# "no limit" for model_max_length, fits; anything larger is an odd value (float() of an int past
# ~1.8e308 overflows, and str() of one past 4,300 digits raises), reported and skipped.
MAX_INT_MAGNITUDE = 2**128


class Fields:
    def __init__(self, ctx: ReadContext, relative: str, data: dict) -> None:
        self.ctx, self.relative, self.data = ctx, relative, data

    def _first(self, keys: tuple[str, ...], accepts: Any, expected: str) -> tuple[str | None, Any]:
        for key in keys:
            if key not in self.data or self.data[key] is None:
                continue
            value = self.data[key]
            if accepts(value):
                return key, value
            found = "an integer out of range" if is_huge_int(value) else f"a {json_type_name(value)}"
            self.ctx.report("CG312", self.relative, f"{self.relative}: {key!r} is {found}, expected {expected}; ignored")
        return None, None

    def int(self, *keys: str) -> int | None:
        return self._first(keys, _is_int, "an integer")[1]

    def int_with_key(self, *keys: str) -> tuple[str | None, int | None]:
        return self._first(keys, _is_int, "an integer")

    def float(self, *keys: str) -> float | None:
        value = self._first(keys, _is_number, "a number")[1]
        return None if value is None else float(value)

    def number(self, *keys: str) -> int | float | None:
        return self._first(keys, _is_number, "a number")[1]

    def str(self, *keys: str) -> str | None:
        return self._first(keys, lambda v: isinstance(v, str), "a string")[1]

    def bool(self, *keys: str) -> bool | None:
        return self._first(keys, lambda v: isinstance(v, bool), "true or false")[1]

    def dict(self, *keys: str) -> dict | None:
        return self._first(keys, lambda v: isinstance(v, dict), "an object")[1]

    def str_list(self, *keys: str) -> list[str] | None:
        return self._first(keys, _is_str_list, "a list of strings")[1]

    def str_or_str_list(self, *keys: str) -> str | list[str] | None:
        return self._first(keys, lambda v: isinstance(v, str) or _is_str_list(v), "a string or a list of strings")[1]


def json_fields(ctx: ReadContext, relative: str) -> Fields | None:
    """The fields of a JSON object file, or None when it is absent or unreadable (with a finding)."""
    data = ctx.read_json_object(relative)
    return None if data is None else Fields(ctx, relative, data)


def scalars_only(data: dict, lists: bool = False) -> dict[str, Any]:
    """The entries of ``data`` whose values are JSON scalars (numbers, strings, booleans, null),
    and with ``lists=True`` also lists of scalars (``"eos_token_id": [1, 2]``)."""
    return {str(k): v for k, v in data.items() if _is_scalar(v) or (lists and isinstance(v, list) and all(map(_is_scalar, v)))}


def _is_scalar(value: object) -> bool:
    return value is None or isinstance(value, (str, float, bool)) or _is_int(value)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -MAX_INT_MAGNITUDE <= value <= MAX_INT_MAGNITUDE


def is_huge_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and not _is_int(value)


def _is_number(value: object) -> bool:
    return isinstance(value, float) or _is_int(value)


def integer_key(text: str, max_digits: int = 18) -> int | None:
    """``text`` as an integer when it is one written in ASCII digits (``"3"``, ``"-1"``), else
    None: ``int()`` also takes ``"٣"``, ``" 3 "`` and ``"1_0"``, and raises on ``"²"``.
    The length is checked before converting."""
    digits = text[1:] if text.startswith("-") else text
    if not (0 < len(digits) <= max_digits and digits.isascii() and digits.isdigit()):
        return None
    return int(text)


def _is_str_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)
