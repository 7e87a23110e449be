"""select_targets: what a path names (a folder, a link to one, a card, a dangling link, nothing),
and one model folder object shared by the cards of a folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cardguard.settings.targets import TargetError, select_targets

CARD = "---\nlicense: mit\nlibrary_name: transformers\n---\n# Model\n"


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "README.md").write_text(CARD)
    (tmp_path / "model" / "other.md").write_text(CARD)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_folder_and_a_link_to_it_give_its_card(tree: Path) -> None:
    os.symlink("model", tree / "linked")
    assert [target.display for target in select_targets(["model"]).targets] == ["model/README.md"]
    assert [target.display for target in select_targets(["linked"]).targets] == ["linked/README.md"]


def test_a_dangling_link_named_as_a_card_is_a_target(tree: Path) -> None:
    os.symlink("nowhere.md", tree / "model" / "gone.md")
    assert [target.display for target in select_targets(["model/gone.md"]).targets] == ["model/gone.md"]


@pytest.mark.parametrize("path", ["missing", "model/missing.md", "model/README.md/x", "a\0b"])
def test_nothing_there_is_a_usage_error(tree: Path, path: str) -> None:
    with pytest.raises(TargetError, match="no such file or directory"):
        select_targets([path])


def test_the_cards_of_a_folder_share_one_model_folder(tree: Path) -> None:
    first, second = select_targets(["model/README.md", "model/other.md"]).targets
    assert first.model_dir == Path("model")
    assert first.model_dir is second.model_dir


def test_a_walk_skips_readmes_that_are_not_cards_and_a_named_one_is_checked(tree: Path) -> None:
    (tree / "docs").mkdir()
    (tree / "docs" / "README.md").write_text("# Project documentation\n")
    (tree / "model" / "0-sub").mkdir()
    (tree / "model" / "0-sub" / "README.md").write_text(CARD)
    walked = select_targets(["."])
    # in Path order: "0-sub" sorts before "README.md" (the walk meets the folder's own first)
    assert [target.display for target in walked.targets] == ["model/0-sub/README.md", "model/README.md"]
    assert walked.skipped == ["docs/README.md"]
    assert [target.display for target in select_targets(["docs/README.md"]).targets] == ["docs/README.md"]
    named_but_not_a_card = select_targets(["docs/README.md"], skip_non_cards=True)
    assert (named_but_not_a_card.targets, named_but_not_a_card.skipped) == ([], ["docs/README.md"])


def test_the_models_folder_of_two_spellings_is_the_first_spelling_met_each(tree: Path) -> None:
    relative, absolute = select_targets(["model/README.md", str(tree / "model" / "other.md")]).targets
    assert relative.model_dir == Path("model")
    assert absolute.model_dir == tree / "model"
