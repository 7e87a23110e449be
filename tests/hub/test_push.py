"""``cardguard push DIR ORG/NAME`` against the fake Hub, with the real huggingface_hub client.

The command runs in a child process (tests/hub/client.py says why) pointed at the server; the
tests look at its exit code and output, and at what the server stored and was asked for. The
folder pushed is a copy of examples/tiny-bert-classifier (a real Trainer output whose card
passes its check); a failing card gets an ``.eval_results`` entry without dataset and value.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import cardguard
from hub.client import run_client
from hub.repos import GITATTRIBUTES, folder_files
from hub.server import FakeHub

REPO = "org/tiny-bert-imdb"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tiny-bert-classifier"
BAD_EVAL_RESULTS = b"- task: {type: text-classification}\n"  # no dataset, no value: CG116 errors
DRIFTED_LOSS = ("- Loss: 0.8448", "- Loss: 0.1234")  # inside the card's eval-results region
WRITES = ("/preupload/", "/commit/", "/api/repos/create", "/discussions")


@pytest.fixture()
def hub() -> Iterator[FakeHub]:
    with FakeHub({REPO: {"main": {".gitattributes": GITATTRIBUTES.encode()}}}) as server:
        yield server


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    copy = tmp_path / "tiny-bert-imdb"
    shutil.copytree(EXAMPLE, copy)
    return copy


def cardguard_cli(hub: FakeHub, home: Path, *arguments: str, token: str | None = "hf_fake_token") -> tuple[int, str, str]:
    """``cardguard ARGUMENTS`` in a child pointed at ``hub``: (exit code, stdout, stderr)."""
    answer = run_client(hub, home, f"""
        import contextlib, io
        from cardguard.cli import main
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main({list(arguments)!r})
        result = [code, out.getvalue(), err.getvalue()]
    """, token=token, timeout=180)
    assert answer["error"] is None, answer["error"]["traceback"]
    return tuple(answer["result"])  # type: ignore[return-value]


def write_requests(hub: FakeHub) -> list[Any]:
    return [record for record in hub.requests if any(part in record.path for part in WRITES)]


def one_line_error(err: str) -> str:
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err.strip()


def test_a_failing_card_is_refused_and_the_server_sees_no_request(hub: FakeHub, home: Path, folder: Path) -> None:
    (folder / ".eval_results").mkdir()
    (folder / ".eval_results" / "imdb.yaml").write_bytes(BAD_EVAL_RESULTS)
    before = hub.sha(REPO)
    code, out, err = cardguard_cli(hub, home, "push", str(folder), REPO)
    assert code == 1
    assert ".eval_results/imdb.yaml:1:3: CG116 error" in out  # printed as `check` prints it
    assert "push refused" in err and "nothing was sent" in err
    assert hub.requests == []  # not a read, not a preupload, not a commit, not a create_repo
    assert hub.sha(REPO) == before


def test_a_passing_card_is_uploaded_in_one_commit_holding_the_folder(hub: FakeHub, home: Path, folder: Path) -> None:
    (folder / ".git").mkdir()  # upload_folder's default ignore patterns leave it out
    (folder / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    code, out, err = cardguard_cli(hub, home, "push", str(folder), REPO, "--commit-message", "Train again")
    assert code == 0, err
    (commit,) = hub.requests_to("/commit/main", "POST")
    assert commit.status == 200
    sha = hub.sha(REPO)
    expected = folder_files(folder)  # every file but those under .git
    assert f"uploaded {len(expected)} files to {REPO}: {hub.url}/{REPO}/commit/{sha}" in out
    assert hub.files(REPO) == {".gitattributes": GITATTRIBUTES.encode(), **expected}
    assert hub.repos[REPO].commits[sha].summary == "Train again"


def test_create_pr_opens_a_pull_request_and_prints_its_url(hub: FakeHub, home: Path, folder: Path) -> None:
    main_before = hub.sha(REPO)
    code, out, err = cardguard_cli(hub, home, "push", str(folder), REPO, "--create-pr")
    assert code == 0, err
    assert f"opened pull request {hub.url}/{REPO}/discussions/1" in out
    assert hub.sha(REPO) == main_before  # main untouched: the pull request's ref holds the upload
    assert hub.files(REPO, "refs/pr/1")["README.md"] == (folder / "README.md").read_bytes()
    assert [item.is_pull_request for item in hub.repos[REPO].discussions] == [True]


def test_dry_run_lists_the_files_and_their_sizes_and_sends_nothing(hub: FakeHub, home: Path, folder: Path) -> None:
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    code, out, err = cardguard_cli(hub, home, "push", str(folder), REPO, "--dry-run")
    assert code == 0, err
    files = folder_files(folder)
    assert f"would upload {len(files)} files ({sum(map(len, files.values()))} bytes) to {REPO}:" in out
    listed = [line.split() for line in out.splitlines() if line.startswith(" ")]
    assert listed == [[str(len(data)), path] for path, data in sorted(files.items())]
    assert ".git/HEAD" not in out
    assert hub.requests == []


def test_dry_run_of_a_failing_card_is_refused_too(hub: FakeHub, home: Path, folder: Path) -> None:
    (folder / ".eval_results").mkdir()
    (folder / ".eval_results" / "imdb.yaml").write_bytes(BAD_EVAL_RESULTS)
    code, _, err = cardguard_cli(hub, home, "push", str(folder), REPO, "--dry-run")
    assert code == 1 and "push refused" in err
    assert hub.requests == []


def drift(folder: Path) -> str:
    card = folder / "README.md"
    text = card.read_text(encoding="utf-8")
    assert DRIFTED_LOSS[0] in text
    card.write_text(text.replace(*DRIFTED_LOSS), encoding="utf-8")
    return text


def test_drift_is_refused_and_sync_first_fixes_it_then_pushes(hub: FakeHub, home: Path, folder: Path) -> None:
    original = drift(folder)
    code, out, err = cardguard_cli(hub, home, "push", str(folder), REPO)
    assert code == 1 and "CG4" in out and write_requests(hub) == []
    assert "fixable with `cardguard push --sync`" in out  # push's own option, not `cardguard sync`
    code, out, err = cardguard_cli(hub, home, "push", str(folder), REPO, "--sync")
    assert code == 0, err
    assert "cardguard: rewrote" in err
    assert (folder / "README.md").read_text(encoding="utf-8") == original  # the region is back as written
    assert hub.files(REPO)["README.md"] == original.encode()
    assert len(hub.requests_to("/commit/main", "POST")) == 1


def test_trainers_null_config_is_refused_and_fix_removes_it_then_pushes(hub: FakeHub, home: Path,
                                                                       folder: Path) -> None:
    """Evaluated on a dataset built in memory, Trainer writes `config: null` (the Hub refuses it)
    and `split: None` into model-index: refused as it is; --fix removes both lines, then pushes."""
    card = folder / "README.md"
    original = card.read_text(encoding="utf-8")
    assert original.count("      split: test\n") == 1
    card.write_text(original.replace("      split: test\n", "      config: null\n      split: None\n"), encoding="utf-8")
    code, out, err = cardguard_cli(hub, home, "push", str(folder), REPO)
    assert code == 1 and " CG110 " in out and " CG119 " in out and write_requests(hub) == []
    assert "[*] 2 fixable with `cardguard push --fix`" in out.splitlines()  # push's own option
    code, out, err = cardguard_cli(hub, home, "push", str(folder), REPO, "--fix")
    assert code == 0, err
    assert [line.split()[2] for line in out.splitlines() if line.startswith("fixed: ")] == ["CG110", "CG119"]
    fixed = original.replace("      split: test\n", "")
    assert card.read_text(encoding="utf-8") == fixed
    assert hub.files(REPO)["README.md"] == fixed.encode()
    assert len(hub.requests_to("/commit/main", "POST")) == 1


@pytest.mark.parametrize(("set_up", "token", "message"), [
    (lambda hub: None, "hf_not_known_here", "not authorised to write (HTTP 401)"),
    (lambda hub: hub.fail(403, method="POST", path_contains="/preupload/"), "hf_fake_token",
     "not allowed to write (HTTP 403)"),
    (lambda hub: hub.repos.pop(REPO), "hf_fake_token", f"hf://{REPO}: no such repo"),
    (lambda hub: hub.fail(429, Retry_After="1", method="POST", path_contains="/preupload/"), "hf_fake_token",
     "rate limited by the Hub (HTTP 429); retry after 1 s"),
])
def test_a_hub_error_is_one_line_and_exit_2(hub: FakeHub, home: Path, folder: Path, set_up: Any, token: str,
                                            message: str) -> None:
    set_up(hub)
    code, _, err = cardguard_cli(hub, home, "push", str(folder), REPO, token=token)
    assert code == 2
    line = one_line_error(err)
    assert line.startswith("cardguard: error: ") and message in line, line
    assert hub.requests_to("/commit/", "POST") == []


@pytest.mark.parametrize(("arguments", "message"), [
    (["{missing}", REPO], "not a folder"),
    (["{empty}", REPO], "no README.md to check"),
    (["{folder}", "not-a-repo-id"], "not a Hub model repo id"),
    (["{folder}", REPO, "--create-pr", "--revision", "dev"], "--create-pr opens a pull request against the default"),
    (["{pointers}", REPO], "model.safetensors is a Git LFS pointer, not the file"),
])
def test_a_push_that_cannot_be_made_is_refused_before_any_request(hub: FakeHub, home: Path, folder: Path,
                                                                  tmp_path: Path, arguments: list[str],
                                                                  message: str) -> None:
    (tmp_path / "empty").mkdir()
    pointers = shutil.copytree(folder, tmp_path / "clone-without-lfs")  # a clone made without LFS content
    weights = (folder / "model.safetensors").read_bytes()
    (pointers / "model.safetensors").write_text(
        f"version https://git-lfs.github.com/spec/v1\noid sha256:{hashlib.sha256(weights).hexdigest()}\n"
        f"size {len(weights)}\n", encoding="ascii")
    places = {"missing": tmp_path / "missing", "empty": tmp_path / "empty", "folder": folder, "pointers": pointers}
    code, _, err = cardguard_cli(hub, home, "push", *[item.format(**places) for item in arguments])
    assert code == 2 and message in one_line_error(err)
    assert hub.requests == []


def test_the_card_is_checked_and_synced_as_the_repo_it_goes_to(hub: FakeHub, home: Path, folder: Path) -> None:
    # the get-started region renders the id a snippet loads: ORG/NAME, not the folder's name
    card = folder / "README.md"
    card.write_text(card.read_text(encoding="utf-8") + "\n## How to Get Started\n\n"
                    "<!-- cardguard:begin get-started -->\n<!-- cardguard:end get-started -->\n", encoding="utf-8")
    code, out, err = cardguard_cli(hub, home, "push", str(folder), REPO, "--sync")
    assert code == 0, out + err
    assert f'model="{REPO}"' in hub.files(REPO)["README.md"].decode("utf-8")
    assert card.read_bytes() == hub.files(REPO)["README.md"]


@pytest.mark.parametrize("command", [["push", "{folder}", REPO], ["sync", "--hub", REPO, "--create-pr"]])
def test_offline_is_one_line_and_exit_2_and_nothing_reaches_the_server(hub: FakeHub, home: Path, folder: Path,
                                                                       command: list[str]) -> None:
    env = {**hub.client_env(home, dict(os.environ)), "HF_HUB_OFFLINE": "1"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(cardguard.__file__).parents[1]), env.get("PYTHONPATH")]))
    run = subprocess.run([sys.executable, "-m", "cardguard", *[word.format(folder=folder) for word in command]],
                         env=env, cwd=home, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 2
    assert "HF_HUB_OFFLINE is set" in one_line_error(run.stderr)
    assert hub.requests == []


def test_fail_on_decides_what_refuses_a_push(hub: FakeHub, home: Path, folder: Path) -> None:
    (folder / ".eval_results").mkdir()
    (folder / ".eval_results" / "imdb.yaml").write_bytes(BAD_EVAL_RESULTS)
    code, out, err = cardguard_cli(hub, home, "push", str(folder), REPO, "--fail-on", "never")
    assert code == 0, err
    assert "CG116 error" in out  # still shown; it no longer refuses the push
    assert hub.files(REPO)[".eval_results/imdb.yaml"] == BAD_EVAL_RESULTS
