"""How a value from a card or a checkpoint is written inside a finding's message or fix.

A missing value is ``None`` in Python; a reader of a finding should see "not set", never
Python's ``None`` (which also reads like a value someone wrote). Every message or fix that
shows a value which may be missing goes through ``shown``.
"""

from __future__ import annotations

NOT_SET = "not set"


def shown(value: object) -> str:
    """``value`` quoted as Python writes it (``'bert'``, ``0.9``, ``['a']``), or "not set"."""
    return NOT_SET if value is None else repr(value)
