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
