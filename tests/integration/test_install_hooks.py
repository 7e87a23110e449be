"""`cardguard install-hooks`, then real `git commit` / `git push` through the installed hooks."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from helpers import BAD_CARD, BAD_CODE, GOOD_CARD, git, make_model_repo, run, subprocess_env

from cardguard.integrations.hookfiles import WATCHED_FILES
from cardguard.integrations.install_hooks import InstallError, hook_text, install, is_cardguard_hook

HOOKS = Path(__file__).resolve().parents[2] / "hooks"


def install_hooks(repo: Path, *flags: str):
    return run([sys.executable, "-m", "cardguard", "install-hooks", *flags], repo)


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    return make_model_repo(tmp_path / "repo")


def test_bad_card_commit_refused_good_one_goes_through(repo: Path) -> None:
    result = install_hooks(repo)
    assert result.returncode == 0, result.stderr
    assert "pre-commit: installed" in result.stdout

    (repo / "model" / "README.md").write_text(BAD_CARD)
    git(repo, "add", "model/README.md")
    refused = run(["git", "commit", "-m", "bad card"], repo)
    assert refused.returncode != 0
    assert BAD_CODE in refused.stdout + refused.stderr
    assert "model/README.md:4:" in refused.stdout + refused.stderr
    assert git(repo, "rev-list", "--count", "HEAD").strip() == "1"

    (repo / "model" / "README.md").write_text(GOOD_CARD.replace("It is small.", "It is very small."))
    git(repo, "add", "model/README.md")
    accepted = run(["git", "commit", "-m", "good card"], repo)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert git(repo, "rev-list", "--count", "HEAD").strip() == "2"


def test_commit_touching_only_an_artifact_checks_the_card(repo: Path) -> None:
    (repo / "model" / "README.md").write_text(BAD_CARD)
    git(repo, "commit", "-q", "-am", "bad card, before the hook was installed")
    assert install_hooks(repo).returncode == 0
    (repo / "model" / "eval_results.json").write_text('{"eval_accuracy": 0.9}\n')
    git(repo, "add", "model/eval_results.json")
    refused = run(["git", "commit", "-m", "new eval"], repo)
    assert refused.returncode != 0
    assert BAD_CODE in refused.stdout + refused.stderr


def test_commit_of_unrelated_files_does_not_run_cardguard(repo: Path) -> None:
    (repo / "model" / "README.md").write_text(BAD_CARD)
    git(repo, "commit", "-q", "-am", "bad card")
    assert install_hooks(repo).returncode == 0
    (repo / "notes.py").write_text("print('hi')\n")
    git(repo, "add", "notes.py")
    assert run(["git", "commit", "-m", "code"], repo).returncode == 0


def test_pre_push_refuses_a_push_of_a_bad_card(repo: Path, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "origin", "main")
    assert install_hooks(repo, "--pre-push").returncode == 0

    (repo / "model" / "README.md").write_text(BAD_CARD)
    git(repo, "commit", "-q", "--no-verify", "-am", "bad card")
    refused = run(["git", "push", "origin", "main"], repo)
    assert refused.returncode != 0
    assert BAD_CODE in refused.stdout + refused.stderr

    (repo / "model" / "README.md").write_text(GOOD_CARD)
    git(repo, "commit", "-q", "-am", "fixed")
    pushed = run(["git", "push", "origin", "main"], repo)
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr


def test_foreign_hook_is_kept_unless_forced(repo: Path) -> None:
    foreign = repo / ".git" / "hooks" / "pre-commit"
    foreign.write_text("#!/bin/sh\necho mine\n")
    refused = install_hooks(repo)
    assert refused.returncode == 2
    assert "--force" in refused.stderr
    assert foreign.read_text() == "#!/bin/sh\necho mine\n"

    forced = install_hooks(repo, "--force")
    assert forced.returncode == 0, forced.stderr
    assert is_cardguard_hook(foreign)
    assert (repo / ".git" / "hooks" / "pre-commit.cardguard-backup").read_text() == "#!/bin/sh\necho mine\n"


def test_reinstall_updates_its_own_hook(repo: Path) -> None:
    assert install_hooks(repo).returncode == 0
    again = install_hooks(repo)
    assert again.returncode == 0
    assert "pre-commit: unchanged" in again.stdout


def test_core_hooks_path_is_respected(repo: Path) -> None:
    git(repo, "config", "core.hooksPath", ".githooks")
    assert install_hooks(repo).returncode == 0
    assert is_cardguard_hook(repo / ".githooks" / "pre-commit")
    assert not (repo / ".git" / "hooks" / "pre-commit").exists()
    (repo / "model" / "README.md").write_text(BAD_CARD)
    git(repo, "add", "model/README.md")
    assert run(["git", "commit", "-m", "bad"], repo).returncode != 0


def test_outside_a_repository_is_a_usage_error(tmp_path: Path) -> None:
    result = run([sys.executable, "-m", "cardguard", "install-hooks"], tmp_path,
                 subprocess_env(GIT_CEILING_DIRECTORIES=str(tmp_path)))
    assert result.returncode == 2
    assert "not inside a git repository" in result.stderr


def test_install_refuses_before_writing_anything(tmp_path: Path) -> None:
    (tmp_path / "pre-push").write_text("#!/bin/sh\n")
    with pytest.raises(InstallError):
        install(["pre-commit", "pre-push"], tmp_path)
    assert not (tmp_path / "pre-commit").exists()


@pytest.mark.parametrize("name", ["pre-commit", "pre-push"])
def test_hook_scripts_carry_the_watched_pattern_and_the_python(name: str) -> None:
    shipped = (HOOKS / name).read_text()
    assert f"watched='{WATCHED_FILES}'" in shipped
    assert os.access(HOOKS / name, os.X_OK)
    text = hook_text(name, python="/opt/it's here/python")
    assert "cardguard_python='/opt/it'\"'\"'s here/python'" in text
    assert run(["sh", "-n", "-c", text], HOOKS).returncode == 0


def test_commit_of_the_project_readme_is_not_checked_as_a_model_card(repo: Path) -> None:
    """Issue 12 item 9: the plain hook names README.md; the project's is not a model card."""
    (repo / ".cardguard.toml").write_text('profile = "hub"\n\n[[overrides]]\npaths = ["model"]\nprofile = "minimal"\n')
    git(repo, "commit", "-q", "-am", "hub profile above the model folder")
    assert install_hooks(repo).returncode == 0
    (repo / "README.md").write_text("# Our models\n\nTraining scripts.\n\n## License\n\nMIT\n")
    git(repo, "add", "README.md")
    accepted = run(["git", "commit", "-m", "project readme"], repo)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "README.md: skipped, not a model card" in accepted.stderr
