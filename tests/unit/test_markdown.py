"""Headings and sections of the Markdown body."""

from __future__ import annotations

import pytest

from cardguard.card.markdown import normalize_title, parse_body


def titles(text: str) -> list[tuple[int, str, int]]:
    return [(h.level, h.title, h.line) for h in parse_body(text, 1).headings]


def test_atx_headings_with_closing_hashes() -> None:
    assert titles("# One\ntext\n## Two ##\n###### Six\n####### seven\n#nospace\n") == [
        (1, "One", 1), (2, "Two", 3), (6, "Six", 4),
    ]


@pytest.mark.parametrize("fence", ["```", "~~~", "````"])
def test_headings_in_fenced_code_are_not_headings(fence: str) -> None:
    text = f"## Real\n{fence}python\n# comment in code\n{fence}\n## After\n"
    assert titles(text) == [(2, "Real", 1), (2, "After", 5)]


def test_unclosed_fence_swallows_the_rest() -> None:
    assert titles("## A\n```\n## B\n") == [(2, "A", 1)]


def test_headings_in_html_comments_are_not_headings() -> None:
    text = "## Usage\n<!--\n### Out-of-Scope Use\n*List how*\n-->\n## Training\n<!-- ## Hidden -->\n"
    assert titles(text) == [(2, "Usage", 1), (2, "Training", 6)]


def test_setext_headings() -> None:
    assert titles("Title\n=====\n\nSub\n---\ntext\n") == [(1, "Title", 1), (2, "Sub", 4)]


def test_a_rule_after_a_list_or_table_is_not_a_heading() -> None:
    assert titles("- item\n---\n| a |\n---\n") == []


def test_sections_nest_and_own_text_stops_at_subsections() -> None:
    body = parse_body("## Uses\nintro\n### Direct Use\nuse it\n## Next\nx\n", 10)
    uses = body.sections[0]
    assert (uses.first_line, uses.last_line) == (11, 13)
    assert uses.own_text == "intro"
    assert "use it" in uses.text
    assert body.sections[1].heading.line == 12


def test_comments_are_not_section_text() -> None:
    body = parse_body("## Model Description\n<!-- Provide a longer summary. -->\n\n## Next\n", 1)
    assert body.sections[0].text.strip() == ""


@pytest.mark.parametrize(
    ("title", "key"),
    [
        ("Model Sources [optional]", "model sources"),
        ("**Bias, Risks, and Limitations**", "bias, risks, and limitations"),
        ("Model Card Contact:", "model card contact"),
        ("  How to   Get Started with the Model ", "how to get started with the model"),
    ],
)
def test_normalize_title(title: str, key: str) -> None:
    assert normalize_title(title) == key
