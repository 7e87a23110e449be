"""``cardguard audit --join`` over shards that hold local folders and Hub repos (the fake Hub,
tests/hub/server.py): the joined results.jsonl has the unsharded run's order, local folders
first and then Hub repos, each by id, byte for byte. The runs are children pointed at the fake
Hub (tests/hub/client.py); the join reads only files, so it runs here."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import cardguard
from hub.repos import folder_files
from hub.server import FakeHub
from hub.test_audit_hub import broken
from hub.test_push import EXAMPLE, cardguard_cli

HUB_REPOS = [f"org/model-{letter}" for letter in "fbdaec"]  # listed by the Hub in its own order
SHARDS = 3


@pytest.fixture()
def hub() -> Iterator[FakeHub]:
    files = folder_files(EXAMPLE)
    repos = {repo: {"main": broken(files) if index % 2 else files} for index, repo in enumerate(HUB_REPOS)}
    with FakeHub(repos) as server:
        yield server


def audit_in_child(hub: FakeHub, home: Path, fleet: Path, out: Path, *options: str) -> int:
    code, _, err = cardguard_cli(hub, home, "audit", str(fleet), "--hub-author", "org", "--threads",
                                 "--out", str(out), *options)
    assert code in (0, 1), err
    return code


def test_joined_shards_of_local_folders_and_hub_repos_are_the_unsharded_run(hub: FakeHub, home: Path,
                                                                             tmp_path: Path) -> None:
    for name in ("local-b", "local-a", "local-c"):
        shutil.copytree(EXAMPLE, tmp_path / "fleet" / name)
    whole_code = audit_in_child(hub, home, tmp_path / "fleet", tmp_path / "whole")
    shards = [tmp_path / f"shard-{index}" for index in range(1, SHARDS + 1)]
    for index, shard in enumerate(shards, 1):
        audit_in_child(hub, home, tmp_path / "fleet", shard, "--shard", f"{index}/{SHARDS}")
    joined = cardguard.join_audits(shards, out=tmp_path / "joined")
    whole_bytes = (tmp_path / "whole" / "results.jsonl").read_bytes()
    assert (tmp_path / "joined" / "results.jsonl").read_bytes() == whole_bytes
    assert (tmp_path / "joined" / "report.html").read_bytes() == (tmp_path / "whole" / "report.html").read_bytes()
    lines = [json.loads(text) for text in whole_bytes.decode("utf-8").splitlines()]
    assert [line["source"] for line in lines] == ["local"] * 3 + ["hub"] * len(HUB_REPOS)
    assert [line["repo"] for line in lines[3:]] == sorted(HUB_REPOS)
    hub_shards = [{json.loads(text)["source"] for text in (shard / "results.jsonl").read_text().splitlines()}
                  for shard in shards]
    assert sum("hub" in sources for sources in hub_shards) >= 2  # Hub lines from several shards interleaved
    assert joined.exit_code() == whole_code == 1
