"""cardguard over the real cards in ../shared/corpus: no crash, every finding at a real line.

Skips when the corpus is absent. The cards are read in place, never copied into the project.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cardguard.settings.targets import Target
from cardguard.run.validate import ConfigCache, Options, validate_target

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "cards"
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not here")


def corpus_cards() -> list[Path]:
    return sorted(p for p in CORPUS.iterdir() if p.suffix in (".md", ".txt"))


def line_count(path: Path) -> int:
    text = path.read_bytes().decode("utf-8", errors="replace").lstrip("\ufeff")
    return max(1, len(text.splitlines()))


@pytest.mark.parametrize("profile", ["auto", "hub", "trainer", "minimal"])
def test_every_corpus_card_validates_without_crashing_and_findings_sit_on_real_lines(profile: str) -> None:
    configs = ConfigCache(Options(profile=profile))
    cards = corpus_cards()
    assert len(cards) > 700
    for card in cards:
        result = validate_target(Target(card=card, model_dir=card.parent, display=card.name), configs)
        lines = line_count(card)
        for finding in result.findings:
            assert 1 <= finding.line <= lines, (card.name, finding)
            assert finding.column >= 1, (card.name, finding)
            assert finding.code and finding.message, (card.name, finding)


def test_the_cards_huggingface_hub_cannot_load_become_findings() -> None:
    """huggingface_hub's ModelCard.load raises on about 63 corpus cards; each is a finding here."""
    from huggingface_hub import ModelCard

    configs = ConfigCache(Options(profile="minimal"))
    raising = 0
    for card in corpus_cards():
        try:
            ModelCard.load(card, ignore_metadata_errors=False).data.to_dict()
        except Exception:
            raising += 1
            result = validate_target(Target(card=card, model_dir=card.parent, display=card.name), configs)
            assert any(f.severity >= 1 for f in result.findings), card.name
    assert raising > 0
