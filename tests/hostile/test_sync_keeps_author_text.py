"""Issue 11, item 5: ``sync --add-missing`` adopts only the lines a library wrote.

Real cards written by transformers' Trainer, sentence-transformers and PEFT (tests/generators.py)
get the author's prose and images under the very headings whose library lines cardguard adopts,
and a ``### Labels`` section with prose, an image, a stale label table and a note. After the
real ``cardguard sync --add-missing`` every author line is still in the card, byte-identical,
in its order, and outside every region.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cardguard.card.regions import scan_regions
from tests.generators import copy_output
from tests.hostile.helpers import assert_clean_failure, run_cli

# Headings whose library lines `--add-missing` adopts, per generated card.
ADOPTED_UNDER = {
    "trainer_classifier_run": ("### Training hyperparameters", "### Training results", "### Framework versions"),
    "peft_lora_run": ("### Training hyperparameters", "### Framework versions"),
    "sentence_transformer_run": ("### Full Model Architecture", "### Framework Versions"),
}
LABELS_SECTION = [
    "### Labels", "", "Our labels, as the annotators saw them:", "", "![label guide](labels.png)", "",
    "| ID | Label |", "|---:|:------|", "| 0 | stale |", "", "Label 0 is the negative class.", "",
]


def _author_lines(slug: str) -> tuple[list[str], list[str]]:
    """What an author writes right under a heading, and at the end of its section."""
    return (["", f"AUTHOR {slug}: why this section matters.", "", f"![AUTHOR {slug}](plot-{slug}.png)"],
            [f"AUTHOR {slug}: closing words, with **emphasis** and a [link](https://example.org).", ""])


def _with_author_text(card: str, headings: tuple[str, ...], labels: bool) -> tuple[str, list[str]]:
    lines = card.split("\n")
    added: list[str] = []
    for number, heading in enumerate(headings):
        index = lines.index(heading)
        before, after = _author_lines(f"S{number}")
        lines[index + 1:index + 1] = before
        following = next((i for i in range(index + 1, len(lines)) if lines[i].startswith("#")), len(lines))
        lines[following:following] = after
        added += [line for line in before + after if line]
    if labels:
        index = lines.index(headings[-1])
        lines[index:index] = LABELS_SECTION
        added += [line for line in LABELS_SECTION if line and not line.startswith("|")]
    return "\n".join(lines), added


def _outside_regions(text: str) -> list[str]:
    kept, position = [], 0
    for region in scan_regions(text, "README.md").regions:
        kept.append(text[position:region.content_start])
        position = region.content_end
    return "".join(kept + [text[position:]]).split("\n")


@pytest.mark.parametrize("fixture", sorted(ADOPTED_UNDER))
def test_add_missing_keeps_every_author_line(fixture: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    run: Any = copy_output(request.getfixturevalue(fixture), tmp_path)
    (run.out / ".git").mkdir()
    card = run.out / "README.md"
    text, author = _with_author_text(card.read_text(encoding="utf-8"), ADOPTED_UNDER[fixture],
                                     labels=fixture == "trainer_classifier_run")
    card.write_text(text, encoding="utf-8")

    result = run_cli(["sync", "--add-missing", "--format", "json", "README.md"], cwd=run.out)

    assert_clean_failure(result)  # 1: the card was rewritten
    synced = card.read_text(encoding="utf-8")
    regions = {region.name for region in scan_regions(synced, "README.md").regions}
    assert len(regions) >= 2, synced  # the library's sections were adopted
    in_order = [line for line in text.split("\n") if line in author]
    assert len(in_order) == len(author)
    outside = _outside_regions(synced)
    assert [line for line in outside if line in author] == in_order, synced  # all there, in order, unchanged
    if fixture == "trainer_classifier_run":
        assert "labels" in regions and "| 0 | stale |" not in synced


def _trainer_card_with(tmp_path: Path, run: Any, old: str, new: str) -> tuple[Path, str]:
    run = copy_output(run, tmp_path)
    (run.out / ".git").mkdir()
    card = run.out / "README.md"
    text = card.read_text(encoding="utf-8")
    assert old in text
    card.write_text(text.replace(old, new, 1), encoding="utf-8")
    return card, text.replace(old, new, 1)


def test_author_bullet_in_the_hyperparameter_list_stays_outside(trainer_classifier_run: Any, tmp_path: Path) -> None:
    mine = "- hardware: one laptop, two evenings"
    card, text = _trainer_card_with(tmp_path, trainer_classifier_run, "- num_epochs: 2\n", f"- num_epochs: 2\n{mine}\n")

    assert_clean_failure(run_cli(["sync", "--add-missing", "README.md"], cwd=card.parent))

    synced = card.read_text(encoding="utf-8")
    assert "hyperparameters" in {region.name for region in scan_regions(synced, "README.md").regions}
    assert mine in _outside_regions(synced)


def test_trainer_table_with_an_author_row_is_not_taken(trainer_classifier_run: Any, tmp_path: Path) -> None:
    row = "| **our pick** | 2.0 | 12 | see the plot | - | - |"
    table_end = "\n\n\n### Framework versions"
    card, text = _trainer_card_with(tmp_path, trainer_classifier_run, table_end, f"\n{row}{table_end}")

    run_cli(["sync", "--add-missing", "README.md"], cwd=card.parent)

    synced = card.read_text(encoding="utf-8")
    table = text[text.index("| Training Loss"):text.index(row) + len(row)]
    assert table in synced and row in _outside_regions(synced)
