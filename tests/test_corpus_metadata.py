"""The metadata rules on the 789 real cards in ../shared/corpus: no exception, every finding at a
real line inside the front matter, and the share of cards each rule flags stays plausible."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from cardguard.card.reader import Card, parse_card_bytes
from cardguard.codes import RULES
from cardguard.rules.metadata import check_metadata

CORPUS_CARDS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "cards"

pytestmark = pytest.mark.skipif(not CORPUS_CARDS.is_dir(), reason="../shared/corpus is not here")


@pytest.fixture(scope="module")
def corpus_cards() -> list[Card]:
    paths = sorted(path for path in CORPUS_CARDS.iterdir() if path.name != "SOURCES.tsv")
    return [parse_card_bytes(path.read_bytes(), path.name) for path in paths]


@pytest.fixture(scope="module")
def findings_by_card(corpus_cards: list[Card]) -> dict[str, list]:
    return {card.path: check_metadata(card) for card in corpus_cards}


def test_every_card_is_checked_without_exception(corpus_cards: list[Card], findings_by_card: dict) -> None:
    assert len(corpus_cards) == 789
    with_metadata = [card for card in corpus_cards if card.metadata is not None]
    assert len(with_metadata) > 700


def test_every_finding_is_a_metadata_rule_inside_the_front_matter(
    corpus_cards: list[Card], findings_by_card: dict
) -> None:
    for card in corpus_cards:
        for finding in findings_by_card[card.path]:
            assert finding.code in RULES and finding.code.startswith("CG1")
            assert card.front_matter is not None
            assert card.front_matter.first_line <= finding.line <= card.front_matter.closing_line, finding


def cards_flagged(findings_by_card: dict) -> Counter:
    return Counter(code for findings in findings_by_card.values() for code in {f.code for f in findings})


# Cards per rule measured on this corpus (2026-11); a large swing means a rule changed its mind.
EXPECTED_CARDS_PER_RULE = {
    "CG101": 8, "CG102": 3, "CG103": 15, "CG104": 11, "CG106": 1, "CG107": 264, "CG108": 683,
    "CG109": 25, "CG110": 40, "CG111": 122, "CG112": 48, "CG113": 1, "CG114": 6, "CG118": 33,
}


def test_cards_flagged_per_rule(findings_by_card: dict) -> None:
    flagged = cards_flagged(findings_by_card)
    for code in sorted(set(flagged) | set(EXPECTED_CARDS_PER_RULE)):
        expected = EXPECTED_CARDS_PER_RULE.get(code, 0)
        assert abs(flagged[code] - expected) <= max(2, expected // 10), (code, flagged[code], expected)


def test_empty_results_are_about_half_of_the_cards_with_model_index(corpus_cards: list[Card], findings_by_card: dict) -> None:
    with_index = [card for card in corpus_cards if card.metadata and "model-index" in card.metadata]
    empty = [card for card in with_index if any(f.code == "CG111" for f in findings_by_card[card.path])]
    assert 0.40 < len(empty) / len(with_index) < 0.55
