"""A managed key's value is replaced whole, whatever non-YAML blanks it holds.

To YAML only a space or a tab is a blank: U+00A0 before '#' does not start a comment, and at the
end of a plain value it is part of the value. sync must read the value's extent the same way, or
its edit leaves a piece of the old value behind and is refused (CG409) where a clean edit exists.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

import cardguard

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tiny-bert-classifier"
RIGHT = "pipeline_tag: text-classification"


@pytest.mark.parametrize("written", [
    pytest.param("pipeline_tag: fill-mask\u00a0#old", id="nbsp-before-hash"),
    pytest.param("pipeline_tag: fill-mask\u00a0", id="trailing-nbsp"),
    pytest.param("pipeline_tag: fill-mask # a real comment", id="comment-kept"),
])
def test_sync_replaces_the_whole_value(tmp_path: Path, written: str) -> None:
    folder = Path(shutil.copytree(EXAMPLE, tmp_path / "model"))
    card = folder / "README.md"
    card.write_text(card.read_text(encoding="utf-8").replace(RIGHT, written, 1), encoding="utf-8")

    report = cardguard.sync(folder)

    codes = [finding.code for card_report in report.cards for finding in card_report.findings]
    assert "CG409" not in codes
    text = card.read_text(encoding="utf-8")
    metadata = yaml.safe_load(text.split("---\n")[1])
    assert metadata["pipeline_tag"] == "text-classification"
    if "real comment" in written:
        assert f"{RIGHT} # a real comment\n" in text
