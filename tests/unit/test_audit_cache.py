"""The audit's result cache: its keys do not depend on what it remembered earlier in the run,
the configuration above sibling folders is hashed once, and a write makes its folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from cardguard.run import audit as fleet
from cardguard.run.audit import AuditItem, ResultCache, settings_hash


def local_item(card: Path) -> AuditItem:
    return AuditItem(repo=card.parent.name, source="local", target=str(card))


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    """org-a/{m1,m2,m3}/README.md and org-b/m1/README.md, a configuration above org-b only."""
    for org, models in (("org-a", ("m1", "m2", "m3")), ("org-b", ("m1",))):
        for model in models:
            (tmp_path / org / model).mkdir(parents=True)
            (tmp_path / org / model / "README.md").write_text(f"---\nlicense: mit\n---\n# {org}/{model}\n")
    (tmp_path / "org-b" / ".cardguard.toml").write_text('profile = "minimal"\n')
    return tmp_path


def cards(tree: Path) -> list[Path]:
    return sorted(tree.glob("*/*/README.md"))


def test_a_key_is_the_same_with_or_without_what_the_run_remembered(tree: Path) -> None:
    remembering = ResultCache(tree / "cache", "salt")
    keys = [remembering.key(local_item(card)) for card in cards(tree)]
    fresh = [ResultCache(tree / "cache", "salt").key(local_item(card)) for card in cards(tree)]
    assert keys == fresh
    assert len(set(keys)) == len(keys)


def test_what_the_cache_remembers_of_folders_is_bounded_and_keys_stay_the_same(tree: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fleet, "FOLDERS_REMEMBERED", 3)
    remembering = ResultCache(tree / "cache", "salt")
    keys = []
    for card in cards(tree) * 3:
        keys.append(remembering.key(local_item(card)))
        # one lookup adds the folder and those above it up to the answer: at most the limit plus one walk
        assert len(remembering.config_file_of_folder) <= 3 + len(card.parents)
    assert keys == [ResultCache(tree / "cache", "salt").key(local_item(card)) for card in cards(tree) * 3]


def test_the_settings_above_are_those_of_settings_hash_and_differ_per_parent(tree: Path) -> None:
    cache = ResultCache(tree / "cache", "salt")
    for card in cards(tree):
        assert cache.settings_above(card.parent) == settings_hash(card.parent)
    assert settings_hash(tree / "org-a" / "m1") != settings_hash(tree / "org-b" / "m1")  # the .cardguard.toml


def test_sibling_folders_hash_the_configuration_above_them_once(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hashed: list[Path] = []

    def counted(folder: Path) -> str:
        hashed.append(folder)
        return settings_hash(folder)

    monkeypatch.setattr(fleet, "settings_hash", counted)
    cache = ResultCache(tree / "cache", "salt")
    for card in cards(tree):
        cache.key(local_item(card))
    assert sorted({folder.parent for folder in hashed}) == [tree / "org-a", tree / "org-b"]
    assert len(hashed) == 2


def test_a_write_makes_the_folder_of_its_key_and_is_read_back(tree: Path) -> None:
    cache = ResultCache(tree / "cache", "salt")
    line = {"repo": "m1", "status": "checked", "findings": []}
    keys = [cache.key(local_item(card)) for card in cards(tree)]
    for key in keys:
        cache.put(key, line)
    for key in keys:
        assert cache.get(key) == line
    assert not list((tree / "cache").glob("*/*.part"))
    cache.put(keys[0], {**line, "repo": "again"})  # its folder exists now
    assert cache.get(keys[0])["repo"] == "again"
