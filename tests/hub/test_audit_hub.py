"""``cardguard audit --hub-author ORG`` against the fake Hub, in a child (tests/hub/client.py).

Two repos of ``org`` are served: examples/tiny-bert-classifier as it is (clean) and with a
template placeholder in its card (an error); a repo of another organisation must not be listed.
The tests read results.jsonl and summary.md, and what the server was asked for.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.repos import blob_for, folder_files
from hub.server import FakeHub
from hub.test_push import EXAMPLE, cardguard_cli, one_line_error

CLEAN, BROKEN, OTHER = "org/clean-bert", "org/broken-bert", "someone/else-bert"
PLACEHOLDER = "[More Information Needed]"


def broken(files: dict[str, bytes]) -> dict[str, bytes]:
    card = files["README.md"].decode("utf-8")
    return {**files, "README.md": (card + f"\n## Limitations\n\n{PLACEHOLDER}\n").encode("utf-8")}


@pytest.fixture()
def hub() -> Iterator[FakeHub]:
    files = folder_files(EXAMPLE)
    with FakeHub({CLEAN: {"main": files}, BROKEN: {"main": broken(files)}, OTHER: {"main": files}}) as server:
        yield server


def read_lines(out: Path) -> list[dict]:
    return [json.loads(text) for text in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]


def test_every_model_of_the_author_is_checked_at_the_listed_commit(hub: FakeHub, home: Path, tmp_path: Path) -> None:
    code, _, err = cardguard_cli(hub, home, "audit", "--hub-author", "org", "--out", str(tmp_path / "out"))
    lines = read_lines(tmp_path / "out")
    assert [line["repo"] for line in lines] == [BROKEN, CLEAN]  # sorted by id; the other org left out
    for line in lines:
        sha = hub.sha(line["repo"])
        assert (line["source"], line["revision"], line["status"]) == ("hub", sha, "checked")
        assert line["card_url"] == f"https://huggingface.co/{line['repo']}/blob/{sha}/README.md"
        assert all(item["path"].startswith(f"hf://{line['repo']}@{sha}/") for item in line["findings"])
    broken_line, clean_line = lines
    assert clean_line["errors"] == 0 and broken_line["errors"] >= 1
    assert any(item["code"] == "CG203" for item in broken_line["findings"])
    assert code == 1 and "2 repos, 1 failing" in err
    assert f"`{BROKEN}`" in (tmp_path / "out" / "summary.md").read_text(encoding="utf-8")
    assert hub.requests_to(f"/api/models/{OTHER}") == []


def test_a_rerun_reads_only_the_listing_when_no_commit_changed(hub: FakeHub, home: Path, tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    cardguard_cli(hub, home, "audit", "--hub-author", "org", "--out", out)
    first = read_lines(Path(out))
    hub.requests.clear()
    code, _, err = cardguard_cli(hub, home, "audit", "--hub-author", "org", "--out", out)
    assert read_lines(Path(out)) == first
    assert [record.path.split("?")[0] for record in hub.requests] == ["/api/models"]
    assert "2 from cache" in err and code == 1


def test_a_rate_limited_listing_is_waited_out(hub: FakeHub, home: Path, tmp_path: Path) -> None:
    hub.fail(429, Retry_After="1", path_contains="/api/models?", times=1)
    code, _, _ = cardguard_cli(hub, home, "audit", "--hub-author", "org", "--out", str(tmp_path / "out"))
    assert [line["repo"] for line in read_lines(tmp_path / "out")] == [BROKEN, CLEAN]
    statuses = [record.status for record in hub.requests if record.path.split("?")[0] == "/api/models"]
    assert statuses[0] == 429 and statuses[-1] == 200 and code == 1


def test_a_repo_rate_limited_past_the_retries_is_unreadable_and_the_rest_is_checked(
        hub: FakeHub, home: Path, tmp_path: Path) -> None:
    hub.fail(429, Retry_After="3600", path_contains=f"/api/models/{CLEAN}")  # longer than an audit waits
    code, _, _ = cardguard_cli(hub, home, "audit", "--hub-author", "org", "--out", str(tmp_path / "out"))
    broken_line, clean_line = read_lines(tmp_path / "out")
    assert clean_line["status"] == "unreadable" and "429" in clean_line["error"] and clean_line["findings"] == []
    assert clean_line["retry_after"] == 3600
    assert broken_line["status"] == "checked" and code == 1


def test_a_listing_that_fails_is_one_line_and_exit_2(hub: FakeHub, home: Path, tmp_path: Path) -> None:
    hub.fail(403, path_contains="/api/models?")  # not retried (a 5xx is, for 23 s)
    code, _, err = cardguard_cli(hub, home, "audit", "--hub-author", "org", "--out", str(tmp_path / "out"))
    line = one_line_error(err)
    assert code == 2 and "model listing (author=org)" in line and "forbidden (HTTP 403)" in line, line


def test_a_search_lists_the_matching_models_of_every_author(hub: FakeHub, home: Path, tmp_path: Path) -> None:
    code, _, _ = cardguard_cli(hub, home, "audit", "--hub-search", "clean", "--out", str(tmp_path / "out"))
    assert [line["repo"] for line in read_lines(tmp_path / "out")] == [CLEAN] and code == 0
    code, _, _ = cardguard_cli(hub, home, "audit", "--hub-search", "bert", "--out", str(tmp_path / "all"))
    assert [line["repo"] for line in read_lines(tmp_path / "all")] == [BROKEN, CLEAN, OTHER]


def test_a_new_commit_is_checked_again_and_the_unchanged_repo_is_not(hub: FakeHub, home: Path, tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    cardguard_cli(hub, home, "audit", "--hub-author", "org", "--out", out)
    before = hub.sha(CLEAN)
    files = folder_files(EXAMPLE)
    blobs = {path: blob_for(path, data) for path, data in broken(files).items()}
    hub.repos[CLEAN].add_commit("main", "break the card", blobs)
    hub.requests.clear()
    code, _, err = cardguard_cli(hub, home, "audit", "--hub-author", "org", "--out", out)
    assert code == 1
    clean_line = read_lines(Path(out))[1]
    assert hub.sha(CLEAN) != before and clean_line["revision"] == hub.sha(CLEAN) and clean_line["errors"] >= 1
    assert "1 from cache" in err and hub.requests_to(f"/api/models/{BROKEN}") == []


def test_a_short_rate_limit_on_a_repo_is_waited_out_by_the_hf_read(hub: FakeHub, home: Path, tmp_path: Path) -> None:
    hub.fail(429, Retry_After="1", path_contains=f"/api/models/{CLEAN}", times=1)
    cardguard_cli(hub, home, "audit", "--hub-author", "org", "--out", str(tmp_path / "out"))
    assert read_lines(tmp_path / "out")[1]["status"] == "checked"
    assert [record.status for record in hub.requests_to(f"/api/models/{CLEAN}")][:2] == [429, 200]


def test_a_rate_limit_longer_than_one_check_waits_pauses_the_audit_and_the_repo_is_asked_again(
        hub: FakeHub, home: Path, tmp_path: Path) -> None:
    # 6 s: longer than hf:// waits within one check (5 s, docs/hub.md), short enough for an audit
    hub.fail(429, Retry_After="6", path_contains=f"/api/models/{CLEAN}", times=1)
    started = time.monotonic()
    cardguard_cli(hub, home, "audit", "--hub-author", "org", "--out", str(tmp_path / "out"), "--jobs", "1")
    assert time.monotonic() - started >= 6
    assert [line["status"] for line in read_lines(tmp_path / "out")] == ["checked", "checked"]
    assert [record.status for record in hub.requests_to(f"/api/models/{CLEAN}")][:2] == [429, 200]
