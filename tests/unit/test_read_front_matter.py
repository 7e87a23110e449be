"""read_front_matter: parse_card's reading of the metadata block, without the body.

Whether a README.md is a model card is decided from its metadata alone
(settings/targets._front_matter_verdict); it must read exactly what parse_card reads there.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cardguard.card.reader import parse_card, read_front_matter

DIRECTIVE_CODES = {"CG501", "CG502"}  # the body's directives: parse_card's alone

CARDS = [
    pytest.param("---\nlicense: mit\n---\n# Model\n", id="plain"),
    pytest.param("\ufeff---\r\nlicense: mit\r\n---\r\nbody\r\n", id="bom-crlf"),
    pytest.param("# Model\nno metadata\n", id="no-block"),
    pytest.param("---\nlicense: mit\n# never closed\n", id="unterminated"),
    pytest.param("---\n---\n# Model\n", id="empty-block"),
    pytest.param("# Title\n\n---\nlicense: mit\nlibrary_name: peft\n---\n", id="late-block"),
    pytest.param("----\nlicense: mit\n---\n# Model\n", id="near-miss"),
    pytest.param("---\nlicense: [mit\n---\n", id="bad-yaml"),
    pytest.param("---\n- a\n- b\n---\n", id="a-list"),
    pytest.param("---\nlicense: mit\n---\n<!-- cardguard: ignore CG999 -->\n<!-- cardguard: what -->\n", id="directives"),
]


def assert_reads_like_parse_card(text: str) -> None:
    whole = parse_card(text, "README.md")
    head = read_front_matter(text, "README.md")
    assert head.body is None and head.body_text == "" and head.ignored_codes == frozenset()
    assert (head.text, head.has_bom, head.newline) == (whole.text, whole.has_bom, whole.newline)
    assert head.front_matter == whole.front_matter
    assert head.metadata == whole.metadata
    assert whole.findings[:len(head.findings)] == head.findings
    assert {finding.code for finding in whole.findings[len(head.findings):]} <= DIRECTIVE_CODES


@pytest.mark.parametrize("text", CARDS)
def test_the_metadata_block_reads_as_parse_card_reads_it(text: str) -> None:
    assert_reads_like_parse_card(text)


def test_the_directive_cases_do_find_directive_findings() -> None:
    """The comparison above leaves directive findings out: they exist, and only parse_card has them."""
    text = CARDS[-1].values[0]
    assert {finding.code for finding in parse_card(text, "README.md").findings} >= DIRECTIVE_CODES
    assert not {finding.code for finding in read_front_matter(text, "README.md").findings} & DIRECTIVE_CODES


_LINE = st.sampled_from(["---", "----", "license: mit", "tags: [a", "  - x", "# Title", "", "text", "--- ", "```"])


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(_LINE, max_size=10), line_break=st.sampled_from(["\n", "\r\n", "\r"]))
def test_any_arrangement_of_lines_reads_alike(lines: list[str], line_break: str) -> None:
    assert_reads_like_parse_card(line_break.join(lines))
