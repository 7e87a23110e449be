"""Issue 6.2: cards and card-side files an attacker controls: FIFOs, folders, unreadable files,
other encodings, links out of the repository. Each ends as a finding, through the CLI.

Covered elsewhere, not repeated: tests/unit/test_bad_inputs.py (binary card, 50 MB YAML,
10,000-deep flow and 1,000-deep block nesting, YAML alias bomb, ``!!python/object/apply``:
each through ``cardguard validate`` in a child with a peak-RSS bound).
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from cardguard.cli import main
from tests.hostile.helpers import LABELS_CARD, assert_clean_failure, classifier_repo, git_track, run_cli

SECRET = "s3cr3t-token-outside-the-repo"


def _validate(folder: Path, *paths: str) -> "tuple[object, set[str]]":
    run = run_cli(["validate", "--profile", "minimal", "--format", "json", *(paths or ("README.md",))], cwd=folder)
    assert_clean_failure(run)
    return run, run.codes()


def _fifo(card: Path) -> None:
    os.mkfifo(card)


def _folder(card: Path) -> None:
    card.mkdir()


def _latin1(card: Path) -> None:
    card.write_bytes("---\nlicense: mit\n---\n# Caf\u00e9\n".encode("latin-1"))


def _utf16(card: Path) -> None:
    card.write_bytes("---\nlicense: mit\n---\n# Model\n".encode("utf-16"))


def _lone_surrogate(card: Path) -> None:
    card.write_bytes(b"---\nlicense: mit\n---\n# \xed\xa0\x80\n")  # UTF-8 of U+D800: not valid UTF-8


CARDS = {
    "FIFO": (_fifo, "CG001"),
    "directory": (_folder, "CG001"),
    "Latin-1": (_latin1, "CG002"),
    "UTF-16": (_utf16, "CG002"),
    "encoded surrogate": (_lone_surrogate, "CG002"),
}


@pytest.mark.parametrize("command", ["validate", "check", "sync"])
@pytest.mark.parametrize("make, code", CARDS.values(), ids=CARDS.keys())
def test_hostile_card_is_a_finding(tmp_path: Path, make, code: str, command: str) -> None:
    make(tmp_path / "README.md")
    run = run_cli([command, "--profile", "minimal", "--format", "json", "."], cwd=tmp_path, timeout=30)
    assert_clean_failure(run)
    assert run.returncode == 1 and code in run.codes()


def test_non_utf8_finding_points_at_the_byte(tmp_path: Path) -> None:
    _latin1(tmp_path / "README.md")
    run, _ = _validate(tmp_path)
    assert '"line": 4' in run.stdout and "0xe9" in run.stdout


# -- unreadable files ---------------------------------------------------------------------------


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode (CI runs as root): "
                    "test_unreadable_files_simulated covers this case")
def test_unreadable_card_by_mode(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text(LABELS_CARD, encoding="utf-8")
    os.chmod(tmp_path / "README.md", 0)
    run, codes = _validate(tmp_path)
    assert run.returncode == 1 and codes == {"CG001"}


def _refusing_open(refused: str):
    real_open = os.open

    def fake_open(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        if os.path.basename(str(file)) == refused:
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    return fake_open


# Every file is opened by cardguard.safe_paths with os.open (the gate); refusing it there
# refuses the card and the artifacts alike.
@pytest.mark.parametrize("refused, module, code", [
    ("README.md", "cardguard.safe_paths.os", "CG001"),
    ("config.json", "cardguard.safe_paths.os", "CG001"),
])
def test_unreadable_files_simulated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                    refused: str, module: str, code: str) -> None:
    repo = classifier_repo(tmp_path / "repo")
    monkeypatch.chdir(repo)
    monkeypatch.setattr(f"{module}.open", _refusing_open(refused), raising=False)
    assert main(["check", "--profile", "minimal", "--format", "json", "README.md"]) == 1
    output = capsys.readouterr()
    assert "Traceback" not in output.err
    assert f'"code": "{code}"' in output.out and "Permission denied" in output.out


# -- links out of the repository ------------------------------------------------------------------


def _secret_card(tmp_path: Path) -> Path:
    secret = tmp_path / "outside.md"
    secret.write_text(f"---\nlicense: {SECRET}\n---\n<!-- cardguard: {SECRET} -->\n"
                      "<!-- cardguard:begin labels -->\nstale\n<!-- cardguard:end labels -->\n", encoding="utf-8")
    return secret


@pytest.mark.parametrize("command", ["validate", "check", "sync"])
def test_card_linked_outside_the_repository_is_neither_read_nor_written(tmp_path: Path, command: str) -> None:
    repo = classifier_repo(tmp_path / "repo")
    secret = _secret_card(tmp_path)
    before = secret.read_bytes()
    (repo / "README.md").unlink()
    os.symlink(secret, repo / "README.md")
    run = run_cli([command, "--format", "json", "README.md"], cwd=repo)
    assert_clean_failure(run)
    assert run.returncode == 1 and "CG307" in run.codes()
    assert SECRET not in run.stdout + run.stderr
    assert secret.read_bytes() == before


def test_card_linked_inside_the_repository_is_synced_through_the_link(tmp_path: Path) -> None:
    repo = classifier_repo(tmp_path / "repo")
    docs = repo / "docs"
    docs.mkdir()
    (repo / "README.md").rename(docs / "card.md")
    os.symlink("docs/card.md", repo / "README.md")
    git_track(repo)  # a link may lead only to a file git tracks
    run = run_cli(["sync", "README.md"], cwd=repo)
    assert run.returncode == 1 and "rewrote README.md" in run.stderr
    assert (repo / "README.md").is_symlink()
    assert "| 1 | positive |" in (docs / "card.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("linked", ["file", "folder"])
def test_eval_results_linked_outside_are_not_read(tmp_path: Path, linked: str) -> None:
    repo = classifier_repo(tmp_path / "repo")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "leak.yaml").write_text(f"- dataset: {{id: '{SECRET}'}}\n  value: oops\n", encoding="utf-8")
    if linked == "file":
        (repo / ".eval_results").mkdir()
        os.symlink(outside / "leak.yaml", repo / ".eval_results" / "leak.yaml")
    else:
        os.symlink(outside, repo / ".eval_results")
    run, codes = _validate(repo)
    assert "CG307" in codes and "CG116" not in codes
    assert SECRET not in run.stdout + run.stderr
