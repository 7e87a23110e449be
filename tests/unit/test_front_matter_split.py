"""split_front_matter finds exactly what the Hub's pattern (huggingface_hub's REGEX_YAML_BLOCK)
matches, on texts built from the pieces that decide it: dashes, line breaks, spaces, tabs,
other whitespace, the start of a YAML line."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from huggingface_hub.repocard import REGEX_YAML_BLOCK

from cardguard.card.reader import FrontMatterSplit, split_front_matter

_PIECES = ["---", "-", "--", "----", "\n", "\r", "\r\n", " ", "\t", "\x0c", "\u2028", "\xa0", "a: 1", "#", "..."]


def hub_split(text: str) -> FrontMatterSplit | None:
    """The Hub pattern's match in the shape split_front_matter gives."""
    match = REGEX_YAML_BLOCK.search(text)
    if match is None:
        return None
    opening = match.start(1) + len(match.group(1)) - len(match.group(1).lstrip())
    closing_break = re.match(r"\r\n|\r|\n", match.group(3)).group(0)
    return FrontMatterSplit(opening, match.start(2), match.end(2), match.start(3) + len(closing_break), match.end())


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=14))
def test_the_split_is_the_hub_pattern_s_match(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert split_front_matter(text) == hub_split(text), text


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from("-\r\n \t\x85ab:"), max_size=30))
def test_the_split_agrees_on_any_text_of_the_deciding_characters(text: str) -> None:
    assert split_front_matter(text) == hub_split(text), text


def test_the_opening_crlf_read_as_cr_when_only_its_lf_can_start_the_closing_line() -> None:
    text = "---\r\n---\nbody"
    assert split_front_matter(text) == hub_split(text) == FrontMatterSplit(0, 4, 4, 5, 9)


def test_a_closing_crlf_begins_at_its_cr() -> None:
    text = " \n---\r\na: 1\r\n---  \r\nbody"
    split = split_front_matter(text)
    assert split == hub_split(text)
    assert text[split.yaml_start:split.yaml_end] == "a: 1"
    assert text[split.end:] == "body"
