"""The audit's local listing as a stream (run/audit.local_items, LocalListing; the walk in
settings/targets.stream_targets): the cards select_targets takes, in the one order of
run/audit.audit_order, each once, sharded, counted, and held a folder at a time, not as a list."""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import pytest

import cardguard
from cardguard.run import audit as fleet
from cardguard.settings import targets
from cardguard.settings.targets import TargetError, display_path, select_targets

CARD = "---\nlicense: mit\nlibrary_name: transformers\n---\n# Model\n"
NOT_A_CARD = "# A project\n\nNo model metadata here.\n"
# Folders whose order by path parts differs from plain string order ("a-c" < "a/b" as strings).
FOLDERS = ("a", "a/b", "a/b/c", "a-c", "A", "a.d", "b b", "z/y")


def make_tree(root: Path) -> Path:
    for name in FOLDERS:
        (root / name).mkdir(parents=True, exist_ok=True)
        (root / name / "README.md").write_text(CARD, encoding="utf-8")
    (root / "README.md").write_text(NOT_A_CARD, encoding="utf-8")  # the project's own: skipped
    (root / "docs").mkdir()
    (root / "docs" / "README.md").write_text(NOT_A_CARD, encoding="utf-8")
    for hidden in (".hidden/m", "node_modules/m"):
        (root / hidden).mkdir(parents=True)
        (root / hidden / "README.md").write_text(CARD, encoding="utf-8")
    return root


def repos(items: object) -> list[str]:
    return [item.repo for item in items]  # type: ignore[attr-defined]


def in_audit_order(names: list[str], source: str = "local") -> list[str]:
    return sorted(names, key=lambda name: fleet.audit_order(source, name))


def test_the_stream_lists_what_select_targets_takes_in_audit_order(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(make_tree(tmp_path / "fleet").parent)
    listed = repos(fleet.local_items(["fleet"]))
    selected = [display_path(target.model_dir) for target in select_targets(["fleet"]).targets]
    assert sorted(listed) == sorted(selected) == sorted(f"fleet/{name}" for name in FOLDERS)
    assert listed == in_audit_order(listed)
    assert listed != sorted(listed)  # the tree does tell the two orders apart
    assert listed.index("fleet/a/b/c") < listed.index("fleet/a-c")


def test_overlapping_paths_list_each_folder_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(make_tree(tmp_path / "fleet").parent)
    whole = repos(fleet.local_items(["fleet"]))
    paths = ["fleet/a", "fleet", "fleet/a-c/README.md", "fleet/z/y/config.json", "fleet/a/b"]
    (tmp_path / "fleet" / "z" / "y" / "config.json").write_text("{}", encoding="utf-8")
    assert repos(fleet.local_items(paths)) == whole


def test_a_path_above_the_working_folder_is_listed_in_order_too(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # Inside the working folder, folders show relative; beside it, absolute.
    monkeypatch.chdir(make_tree(tmp_path / "fleet") / "a")
    listed = repos(fleet.local_items([".."]))
    assert "b" in listed and os.path.join(os.path.dirname(os.getcwd()), "a-c") in listed
    assert listed == in_audit_order(listed) and len(listed) == len(FOLDERS)


def test_shards_of_the_stream_are_disjoint_ordered_parts_of_it(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "fleet")
    for index in range(30):
        (root / "many" / f"m-{index}").mkdir(parents=True)
        (root / "many" / f"m-{index}" / "README.md").write_text(CARD, encoding="utf-8")
    whole = repos(fleet.local_items([str(root)]))
    shards = [repos(fleet.local_items([str(root)], (index, 3))) for index in (1, 2, 3)]
    assert all(shards) and sorted(sum(shards, [])) == sorted(whole)
    for shard in shards:
        assert shard == [repo for repo in whole if repo in shard]


def test_the_listing_counts_first_and_tests_each_readme_once(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_tree(tmp_path / "fleet")
    asked: list[str] = []
    real = targets.card_test()

    def counting_test() -> object:
        def test(card: Path) -> bool:
            asked.append(os.path.abspath(card))
            return real(card)
        return test

    monkeypatch.setattr(targets, "card_test", counting_test)
    listing = fleet.LocalListing([str(root)], None)
    assert len(listing) == len(FOLDERS)
    counted = len(asked)
    assert repos(listing) == repos(fleet.local_items([str(root)], None, real))
    assert len(asked) == counted  # the second walk asks nothing
    # every README.md the walk meets once; the top one twice (is the folder itself a card?)
    assert sorted(set(asked)) == sorted(asked[1:])
    assert len(set(asked)) == len(FOLDERS) + 2


def test_a_path_without_a_card_fails_when_the_listing_is_made(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "README.md").write_text(NOT_A_CARD, encoding="utf-8")
    for path, message in (("empty", "no README.md found"), ("docs", "no model card found"),
                          ("nowhere", "no such file")):
        with pytest.raises(TargetError, match=message):
            fleet.LocalListing([str(tmp_path / path)], None)
        with pytest.raises(TargetError, match=message):
            select_targets([str(tmp_path / path)])
        assert not (tmp_path / "out").exists()


def test_joined_shards_keep_the_parts_order_of_one_run(tmp_path: Path) -> None:
    root = tmp_path / "fleet"
    for name in ("a", "a/b", "a-c", "b"):
        (root / name).mkdir(parents=True)
        (root / name / "README.md").write_text(CARD, encoding="utf-8")
    whole = cardguard.audit([root], out=tmp_path / "whole", threads=True)
    shards = [cardguard.audit([root], out=tmp_path / f"shard-{index}", shard=f"{index}/3", threads=True).out
              for index in (1, 2, 3)]
    cardguard.join_audits(shards, out=tmp_path / "joined")
    assert (tmp_path / "joined" / "results.jsonl").read_bytes() == (whole.out / "results.jsonl").read_bytes()


# -- memory -----------------------------------------------------------------------------------

def flat_fleet(root: Path, size: int) -> Path:
    for index in range(size):
        folder = root / f"model-{index:05d}"
        folder.mkdir(parents=True)
        (folder / "README.md").write_text(CARD, encoding="utf-8")
    return root


def listing_peak(root: Path) -> int:
    """The most memory Python allocated at once while the local listing of ``root`` went by."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in fleet.local_items([str(root)]):
            pass
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def test_the_listing_does_not_hold_an_object_per_folder(tmp_path: Path) -> None:
    small, large = flat_fleet(tmp_path / "small", 200), flat_fleet(tmp_path / "large", 2000)
    listing_peak(small)  # the first listing fills the caches of the card reader and the schema
    growth = listing_peak(large) - listing_peak(small)
    # what grows is the one folder's list of names (the walk sorts it): about 100 bytes a folder;
    # a list of the targets and items held about 1.5 kB a folder
    assert growth / 1800 < 400, f"{growth / 1800:.0f} bytes more per folder"


# -- --since ----------------------------------------------------------------------------------

def test_since_results_are_read_once_for_the_comparison_and_the_trend(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "fleet"
    for name in ("a", "b"):
        (root / name).mkdir(parents=True)
        (root / name / "README.md").write_text(CARD, encoding="utf-8")
    before = cardguard.audit([root], out=tmp_path / "before", threads=True).out  # both fail: bare cards
    opened: list[Path] = []
    real_read = fleet.read_results

    def counted_read(results: Path) -> object:
        opened.append(results)
        return real_read(results)

    monkeypatch.setattr(fleet, "read_results", counted_read)
    result = cardguard.audit([root], out=tmp_path / "after", since=before, threads=True)
    assert opened.count(before / "results.jsonl") == 1
    assert result.comparison is not None and result.comparison.new == []
    assert [Path(repo).name for repo in result.comparison.still_failing] == ["a", "b"]


def test_a_hostile_tree_streams_what_select_targets_takes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_tree(tmp_path / "fleet")
    (root / "loop").mkdir()
    os.symlink("..", root / "loop" / "up")  # a link back up: not followed
    os.symlink("a", root / "linked-a")  # a link to a model folder: not walked into
    (root / "fifo").mkdir()
    if hasattr(os, "mkfifo"):
        os.mkfifo(root / "fifo" / "README.md")  # not read (it would wait for a writer)
    (root / "dangling").mkdir()
    os.symlink("nowhere.md", root / "dangling" / "README.md")
    odd = os.fsdecode(b"caf\xe9-\xff")  # not UTF-8: a surrogate escape
    (root / odd).mkdir()
    (root / odd / "README.md").write_text(CARD, encoding="utf-8")
    (root / "binary").mkdir()
    (root / "binary" / "README.md").write_bytes(b"---\xff\xfe\x00 not text")
    monkeypatch.chdir(tmp_path)
    listed = repos(fleet.local_items(["fleet"]))
    selected = [display_path(target.model_dir) for target in select_targets(["fleet"]).targets]
    assert sorted(listed) == sorted(selected) and len(set(listed)) == len(listed)
    assert listed == in_audit_order(listed)
    assert f"fleet/{odd}" in listed and "fleet/linked-a" not in listed and "fleet/loop/up/a" not in listed
    # a dangling card is listed (the check says what is wrong with it), without a time
    dangling = [item for item in fleet.local_items(["fleet/dangling"])]
    assert [(item.repo, item.last_modified) for item in dangling] == [("fleet/dangling", None)]
