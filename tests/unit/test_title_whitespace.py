"""normalize_title collapses whitespace with str.split(): the same characters as re's \\s."""

from __future__ import annotations

import re
import sys

from cardguard.card.markdown import normalize_title


def test_str_split_and_re_whitespace_agree_on_every_character() -> None:
    pattern = re.compile(r"\s")
    disagree = [code for code in range(sys.maxunicode + 1) if bool(pattern.match(chr(code))) != chr(code).isspace()]
    assert disagree == []


def test_runs_of_any_whitespace_become_one_space() -> None:
    assert normalize_title(" Model\u00a0\t Details\u3000 ") == "model details"
    assert normalize_title("**Training**  _data_") == "training data"
