"""``cardguard sync --hub ORG/NAME [--create-pr]`` against the fake Hub (the bot's use case).

examples/tiny-bert-classifier is served as the repo, its card drifted in a generated region
(the evaluation loss). The command runs in a child pointed at the server (tests/hub/client.py);
the tests compare the pull request it opens with what ``cardguard sync`` writes into a local
copy of the same files, and check that nothing is written when there is nothing to propose.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import cardguard
from hub.repos import blob_for, folder_files
from hub.server import FakeHub
from hub.test_push import DRIFTED_LOSS, EXAMPLE, WRITES, cardguard_cli, one_line_error

REPO = "org/tiny-bert-imdb"


@pytest.fixture()
def files() -> dict[str, bytes]:
    return folder_files(EXAMPLE)


def drifted(files: dict[str, bytes]) -> dict[str, bytes]:
    card = files["README.md"].decode("utf-8")
    assert DRIFTED_LOSS[0] in card
    return {**files, "README.md": card.replace(*DRIFTED_LOSS).encode("utf-8")}


@pytest.fixture()
def hub(files: dict[str, bytes]) -> Iterator[FakeHub]:
    with FakeHub({REPO: {"main": drifted(files)}}) as server:
        yield server


def synced_locally(files: dict[str, bytes], tmp_path: Path) -> dict[str, bytes]:
    """What `cardguard sync` makes of ``files`` in a local folder (no Hub involved)."""
    folder = tmp_path / "local" / "tiny-bert-imdb"
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    report = cardguard.sync(folder)
    assert [card.written for card in report.cards] == [True]
    return folder_files(folder)


def write_requests(hub: FakeHub) -> list[Any]:
    return [record for record in hub.requests
            if record.method != "GET" and any(part in record.path for part in WRITES)]


def test_create_pr_proposes_the_synced_card_and_only_it(hub: FakeHub, home: Path, tmp_path: Path,
                                                       files: dict[str, bytes]) -> None:
    served = hub.files(REPO)
    main_before = hub.sha(REPO)
    code, out, err = cardguard_cli(hub, home, "sync", "--hub", REPO, "--create-pr")
    assert code == 0, err
    assert f"opened pull request {hub.url}/{REPO}/discussions/1" in out
    assert f"+{DRIFTED_LOSS[0]}" in out and f"-{DRIFTED_LOSS[1]}" in out  # the diff it proposes
    expected = synced_locally(drifted(files), tmp_path)
    assert expected["README.md"] == files["README.md"]  # sync puts the region back as the example has it
    assert hub.files(REPO, "refs/pr/1") == {**served, "README.md": expected["README.md"]}
    assert hub.sha(REPO) == main_before  # main untouched
    (commit,) = hub.requests_to("/commit/", "POST")
    assert commit.path == f"/api/models/{REPO}/commit/main?create_pr=1"
    (pull_request,) = hub.repos[REPO].discussions
    assert pull_request.is_pull_request and pull_request.title.startswith("cardguard sync")
    assert "README.md" in pull_request.description


def test_a_card_in_sync_opens_nothing(home: Path, files: dict[str, bytes]) -> None:
    with FakeHub({REPO: {"main": files}}) as hub:
        code, out, err = cardguard_cli(hub, home, "sync", "--hub", REPO, "--create-pr")
        assert code == 0, err
        assert "the card is in sync; nothing to propose" in err and "pull request" not in out
        assert write_requests(hub) == [] and hub.repos[REPO].discussions == []


def test_without_create_pr_the_diff_is_printed_and_nothing_written(hub: FakeHub, home: Path) -> None:
    code, out, err = cardguard_cli(hub, home, "sync", "--hub", REPO)
    assert code == 1
    assert f"+{DRIFTED_LOSS[0]}" in out
    assert "add --create-pr" in err
    assert write_requests(hub) == [] and hub.repos[REPO].discussions == []


def test_a_branch_is_read_and_the_pull_request_targets_it(home: Path, files: dict[str, bytes]) -> None:
    with FakeHub({REPO: {"main": files, "dev": drifted(files)}}) as hub:
        code, _, err = cardguard_cli(hub, home, "sync", "--hub", REPO, "--revision", "dev", "--create-pr")
        assert code == 0, err
        (commit,) = hub.requests_to("/commit/", "POST")
        assert commit.path == f"/api/models/{REPO}/commit/dev?create_pr=1"
        assert hub.files(REPO, "refs/pr/1")["README.md"] == files["README.md"]


@pytest.mark.parametrize(("set_up", "token", "message"), [
    (lambda hub: None, "hf_not_known_here", "not authorised (HTTP 401)"),
    (lambda hub: hub.repos.pop(REPO), "hf_fake_token", f"hf://{REPO}: no such repo"),
    (lambda hub: hub.fail(429, Retry_After="1", method="POST", path_contains="/commit/"), "hf_fake_token",
     "rate limited by the Hub (HTTP 429); retry after 1 s"),
    (lambda hub: hub.fail(403, method="POST", path_contains="/commit/"), "hf_fake_token",
     "not allowed to write (HTTP 403)"),
])
def test_a_hub_error_is_one_line_and_exit_2(hub: FakeHub, home: Path, set_up: Any, token: str, message: str) -> None:
    set_up(hub)
    code, _, err = cardguard_cli(hub, home, "sync", "--hub", REPO, "--create-pr", token=token)
    assert code == 2
    line = one_line_error(err)
    assert line.startswith("cardguard: error: ") and message in line, line
    assert REPO not in hub.repos or hub.repos[REPO].discussions == []


@pytest.mark.parametrize(("arguments", "message"), [
    (["--hub", REPO, "some/path"], "give no PATH beside it"),
    (["--create-pr"], "go with --hub"),
    (["--hub", "not-a-repo"], "not a Hub model repo id"),
    (["--hub", REPO, "--check", "--create-pr"], "--check writes nothing"),
])
def test_options_that_do_not_go_together_are_refused_before_any_request(hub: FakeHub, home: Path,
                                                                        arguments: list[str], message: str) -> None:
    code, _, err = cardguard_cli(hub, home, "sync", *arguments)
    assert code == 2 and message in one_line_error(err)
    assert hub.requests == []


def test_a_scheduled_run_does_not_open_the_same_pull_request_twice(hub: FakeHub, home: Path) -> None:
    first = cardguard_cli(hub, home, "sync", "--hub", REPO, "--create-pr")
    second = cardguard_cli(hub, home, "sync", "--hub", REPO, "--create-pr")
    url = f"{hub.url}/{REPO}/discussions/1"
    assert first[0] == second[0] == 0
    assert f"opened pull request {url}" in first[1]
    assert f"already proposed in open pull request {url}" in second[1]
    assert len(hub.repos[REPO].discussions) == 1 and len(hub.requests_to("/commit/", "POST")) == 1


@pytest.mark.parametrize("what_happened", ["closed", "edited"])
def test_a_new_pull_request_opens_when_the_old_one_is_closed_or_holds_other_files(
        hub: FakeHub, home: Path, what_happened: str) -> None:
    assert cardguard_cli(hub, home, "sync", "--hub", REPO, "--create-pr")[0] == 0
    (old,) = hub.repos[REPO].discussions
    if what_happened == "closed":
        old.status = "closed"
    else:  # someone pushed another README.md to the pull request's ref
        files = hub.repos[REPO].resolve(old.git_reference).files
        hub.repos[REPO].add_commit(old.git_reference, "edit", {**files, "README.md": blob_for("README.md", b"# x\n")})
    code, out, _ = cardguard_cli(hub, home, "sync", "--hub", REPO, "--create-pr")
    assert code == 0 and f"opened pull request {hub.url}/{REPO}/discussions/2" in out


def test_the_synced_snippet_loads_the_hub_repo_not_the_temporary_folder(home: Path, files: dict[str, bytes]) -> None:
    # the get-started region renders the id a snippet loads: for a Hub repo it is the repo's id
    card = files["README.md"] + b"\n## How to Get Started\n\n<!-- cardguard:begin get-started -->\n<!-- cardguard:end get-started -->\n"
    with FakeHub({REPO: {"main": {**files, "README.md": card}}}) as hub:
        code, _, err = cardguard_cli(hub, home, "sync", "--hub", REPO, "--create-pr")
        assert code == 0, err
        proposed = hub.files(REPO, "refs/pr/1")["README.md"].decode("utf-8")
        assert f'model="{REPO}"' in proposed


def test_json_output_stays_one_document_and_names_the_pull_request_on_stderr(hub: FakeHub, home: Path) -> None:
    code, out, err = cardguard_cli(hub, home, "sync", "--hub", REPO, "--create-pr", "--format", "json")
    assert code == 0, err
    document = json.loads(out)
    assert [item["path"] for item in document["diffs"]] == [f"hf://{REPO}@{hub.sha(REPO)}/README.md"]
    assert f"cardguard: opened pull request {hub.url}/{REPO}/discussions/1" in err
