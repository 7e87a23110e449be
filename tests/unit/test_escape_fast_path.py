"""escape_text skips its pattern for printable text: that is safe only while every character
the pattern escapes is one str.isprintable() refuses."""

from __future__ import annotations

import sys

from cardguard.escape import _CONTROL, escape_text


def test_every_escaped_character_is_unprintable() -> None:
    escaped = [chr(code) for code in range(sys.maxunicode + 1) if _CONTROL.match(chr(code))]
    assert len(escaped) == 32 + 33 + 2 + 3 + 5 + 4  # C0, DEL and C1, LS and PS; bidi marks, embeddings and overrides, isolates
    assert not any(character.isprintable() for character in escaped)


def test_printable_text_is_unchanged_and_control_characters_are_escaped() -> None:
    assert escape_text("a plain message … ★") == "a plain message … ★"
    assert escape_text("two\nlines\x1b[31m\u2028") == "two\\nlines\\x1b[31m\\u2028"
    assert escape_text("\u00a0no-break space stays") == "\u00a0no-break space stays"


def test_bidirectional_controls_are_escaped_and_joiners_are_not() -> None:
    # shown as "modelexe.txt" by the right-to-left override: the escape shows what is there
    assert escape_text("model\u202etxt.exe") == "model\\u202etxt.exe"
    assert escape_text("a\u2066b\u2069 \u200f") == "a\\u2066b\\u2069 \\u200f"
    family = "\U0001F468\u200d\U0001F469\u200d\U0001F467"  # an emoji sequence joined by ZWJ
    assert escape_text(family) == family
