"""The plain git hooks (``cardguard install-hooks``) say why a commit or push is refused: the
card's findings, an error cardguard explained, or cardguard itself not starting (not
installed, or a Python that cannot import it, which exits 1 just as findings do)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from helpers import BAD_CARD, GOOD_CARD, git, make_model_repo, run, subprocess_env

from cardguard.integrations.install_hooks import hooks_dir, install

CANNOT_START = "cardguard itself could not start"
FINDINGS = "fix the findings above"


@pytest.fixture(scope="module")
def python_without_cardguard(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment's Python: it cannot import cardguard (no PYTHONPATH either)."""
    venv = tmp_path_factory.mktemp("bare") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    assert python.exists()
    return python


def environment_without_cardguard(**extra: str) -> dict[str, str]:
    env = subprocess_env(**extra)
    env.pop("PYTHONPATH", None)
    return env


def repo_with_staged_card(root: Path, card: str, hook: str, python: str) -> Path:
    repo = make_model_repo(root)
    install([hook], hooks_dir(repo), python=python)
    (repo / "model" / "README.md").write_text(card)
    git(repo, "add", "model/README.md")
    return repo


def commit(repo: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run(["git", "commit", "-m", "card"], repo, env)


def commits(repo: Path) -> int:
    return int(git(repo, "rev-list", "--count", "HEAD").strip())


def test_a_python_that_cannot_import_cardguard_is_not_blamed_on_the_card(
        tmp_path: Path, python_without_cardguard: Path) -> None:
    repo = repo_with_staged_card(tmp_path / "repo", GOOD_CARD + "\nMore.\n", "pre-commit", str(python_without_cardguard))
    refused = commit(repo, environment_without_cardguard())
    assert refused.returncode != 0
    assert "No module named cardguard" in refused.stderr  # Python's own line, kept
    assert CANNOT_START in refused.stderr
    assert FINDINGS not in refused.stderr
    assert commits(repo) == 1


def test_a_cardguard_command_that_does_not_exist(tmp_path: Path) -> None:
    repo = repo_with_staged_card(tmp_path / "repo", GOOD_CARD + "\nMore.\n", "pre-commit", sys.executable)
    refused = commit(repo, subprocess_env(CARDGUARD=str(tmp_path / "no-such-cardguard")))
    assert refused.returncode != 0
    assert CANNOT_START in refused.stderr
    assert FINDINGS not in refused.stderr


def test_a_usage_error_is_not_called_findings(tmp_path: Path) -> None:
    repo = repo_with_staged_card(tmp_path / "repo", GOOD_CARD + "\nMore.\n", "pre-commit", sys.executable)
    refused = commit(repo, subprocess_env(CARDGUARD_ARGS="--profile no-such-profile"))
    assert refused.returncode != 0  # git reports any failing hook as 1
    assert "could not check the files" in refused.stderr
    assert FINDINGS not in refused.stderr and CANNOT_START not in refused.stderr


def test_findings_are_still_called_findings(tmp_path: Path) -> None:
    repo = repo_with_staged_card(tmp_path / "repo", BAD_CARD, "pre-commit", sys.executable)
    refused = commit(repo)
    assert refused.returncode != 0
    assert FINDINGS in refused.stderr and CANNOT_START not in refused.stderr


def test_pre_push_with_a_python_that_cannot_import_cardguard(tmp_path: Path, python_without_cardguard: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    repo = make_model_repo(tmp_path / "repo")
    git(repo, "remote", "add", "origin", str(remote))
    install(["pre-push"], hooks_dir(repo), python=str(python_without_cardguard))
    (repo / "model" / "README.md").write_text(GOOD_CARD + "\nMore.\n")
    git(repo, "commit", "-q", "-am", "card")
    refused = run(["git", "push", "origin", "main"], repo, environment_without_cardguard())
    assert refused.returncode != 0
    assert "push refused: " + CANNOT_START in refused.stderr
    assert "fix the findings above" not in refused.stderr
