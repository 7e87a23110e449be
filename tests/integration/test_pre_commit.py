"""The hooks of .pre-commit-hooks.yaml run by the real pre-commit, in temporary git repos.

pre-commit installs the hook repository with pip into its own venv. A session fixture copies
this checkout (tracked and untracked, not ignored files) into a temporary repository with one
commit, so every test uses the same repo and rev, and PRE_COMMIT_HOME (one per session) holds
one environment for `pre-commit run` and `git commit`: the first pays the install (about 25 s
here, from pip's local find-links and cache), the rest reuse it. `pre-commit try-repo` always
installs into a fresh temporary store of its own, so only one test uses it. The hook venv
imports its installed cardguard, not this checkout (PYTHONPATH is removed).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from helpers import BAD_CARD, BAD_CODE, GOOD_CARD, REPO_ROOT, copy_tree, git, make_model_repo, run, subprocess_env

PRE_COMMIT = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or "pre-commit"
ALL_HOOKS = ["cardguard-validate", "cardguard-check", "cardguard-sync", "cardguard-fix"]


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    files = git(REPO_ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
    destination = tmp_path_factory.mktemp("hook_repo")
    copy_tree(REPO_ROOT, destination, [name for name in files if name and (REPO_ROOT / name).is_file()])
    git(destination, "init", "-q", "-b", "main")
    git(destination, "add", "-A")
    git(destination, "commit", "-q", "-m", "snapshot of the checkout under test")
    return destination, git(destination, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="session")
def pre_commit_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = subprocess_env(PRE_COMMIT_HOME=str(tmp_path_factory.mktemp("pre_commit_home")), PRE_COMMIT_COLOR="never")
    env.pop("PYTHONPATH", None)
    return env


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    return make_model_repo(tmp_path / "repo")


def pre_commit(args: list[str], cwd: Path, env: dict[str, str]):
    return run([PRE_COMMIT, *args], cwd, env)


def try_repo(hook_repo: tuple[Path, str], hook: str, cwd: Path, env: dict[str, str], *extra: str):
    return pre_commit(["try-repo", str(hook_repo[0]), hook, "--ref", hook_repo[1], *extra], cwd, env)


def write_config(repo: Path, hook_repo: tuple[Path, str], hooks: list[str] = ALL_HOOKS) -> None:
    listed = "\n".join(f"      - id: {hook}" for hook in hooks)
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hook_repo[0]}\n    rev: {hook_repo[1]}\n    hooks:\n{listed}\n")
    git(repo, "add", ".pre-commit-config.yaml")


def run_hook(hook: str, repo: Path, env: dict[str, str], *extra: str):
    """`pre-commit run HOOK` with the session's store (installed once)."""
    return pre_commit(["run", hook, *extra], repo, env)


EVAL_REGION_CARD = GOOD_CARD + """
## Evaluation

<!-- cardguard:begin eval-results -->
<!-- cardguard:end eval-results -->
"""


def test_manifest_is_valid() -> None:
    result = run([PRE_COMMIT, "validate-manifest", ".pre-commit-hooks.yaml"], REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_try_repo_validate_fails_on_a_bad_card(hook_repo, pre_commit_env, repo: Path) -> None:
    (repo / "model" / "README.md").write_text(BAD_CARD)
    git(repo, "add", "-A")
    failed = try_repo(hook_repo, "cardguard-validate", repo, pre_commit_env, "--all-files")
    assert failed.returncode == 1
    assert f"model/README.md:4:15: {BAD_CODE} error" in failed.stdout


@pytest.mark.parametrize("hook", ALL_HOOKS)
def test_every_hook_passes_a_good_card(hook_repo, pre_commit_env, repo: Path, hook: str) -> None:
    write_config(repo, hook_repo)
    result = run_hook(hook, repo, pre_commit_env, "--all-files")
    assert result.returncode == 0, result.stdout + result.stderr


def test_commit_through_pre_commit_install(hook_repo, pre_commit_env, repo: Path) -> None:
    write_config(repo, hook_repo, ["cardguard-validate"])
    git(repo, "commit", "-q", "-m", "config", env=pre_commit_env)
    installed = pre_commit(["install"], repo, pre_commit_env)
    assert installed.returncode == 0, installed.stderr

    (repo / "model" / "README.md").write_text(BAD_CARD)
    git(repo, "add", "model/README.md")
    refused = run(["git", "commit", "-m", "bad card"], repo, pre_commit_env)
    assert refused.returncode != 0
    assert f"model/README.md:4:15: {BAD_CODE} error" in refused.stdout + refused.stderr
    assert git(repo, "rev-list", "--count", "HEAD").strip() == "2"

    (repo / "model" / "README.md").write_text(GOOD_CARD.replace("small.", "tiny."))
    git(repo, "add", "model/README.md")
    accepted = run(["git", "commit", "-m", "good card"], repo, pre_commit_env)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr


def test_card_and_artifact_of_one_folder_check_it_once(hook_repo, pre_commit_env, repo: Path) -> None:
    write_config(repo, hook_repo)
    (repo / "model" / "README.md").write_text(BAD_CARD)
    result = run_hook("cardguard-validate", repo, pre_commit_env, "--files", "model/README.md", "model/config.json")
    assert result.returncode == 1
    assert result.stdout.count(f"{BAD_CODE} error") == 1
    assert "1 card checked" in result.stdout


def test_a_change_to_an_artifact_alone_checks_its_card(hook_repo, pre_commit_env, repo: Path) -> None:
    write_config(repo, hook_repo)
    (repo / "model" / "README.md").write_text(BAD_CARD)
    (repo / "model" / "eval_results.json").write_text('{"eval_accuracy": 0.5}\n')
    result = run_hook("cardguard-validate", repo, pre_commit_env, "--files", "model/eval_results.json")
    assert result.returncode == 1
    assert BAD_CODE in result.stdout


def test_sync_rewrites_and_fails_then_passes(hook_repo, pre_commit_env, repo: Path) -> None:
    write_config(repo, hook_repo)
    (repo / "model" / "README.md").write_text(EVAL_REGION_CARD)
    (repo / "model" / "eval_results.json").write_text('{"eval_accuracy": 0.5}\n')
    git(repo, "add", "-A")
    first = run_hook("cardguard-sync", repo, pre_commit_env, "--all-files")
    assert first.returncode == 1, first.stdout
    assert "- Accuracy: 0.5" in (repo / "model" / "README.md").read_text()
    git(repo, "add", "-A")
    second = run_hook("cardguard-sync", repo, pre_commit_env, "--all-files")
    assert second.returncode == 0, second.stdout


def test_check_fails_when_only_eval_results_changed(hook_repo, pre_commit_env, repo: Path) -> None:
    write_config(repo, hook_repo)
    (repo / "model" / "README.md").write_text(EVAL_REGION_CARD)
    (repo / "model" / "eval_results.json").write_text('{"eval_accuracy": 0.5}\n')
    git(repo, "add", "-A")
    run_hook("cardguard-sync", repo, pre_commit_env, "--all-files")
    git(repo, "add", "-A")
    assert run_hook("cardguard-check", repo, pre_commit_env, "--all-files").returncode == 0
    git(repo, "commit", "-q", "-m", "synced card", env=pre_commit_env)

    write_config(repo, hook_repo, ["cardguard-check"])
    git(repo, "commit", "-q", "-m", "check on commit", env=pre_commit_env)
    assert pre_commit(["install"], repo, pre_commit_env).returncode == 0
    (repo / "model" / "eval_results.json").write_text('{"eval_accuracy": 0.9}\n')
    git(repo, "add", "model/eval_results.json")
    refused = run(["git", "commit", "-m", "new eval only"], repo, pre_commit_env)
    assert refused.returncode != 0, refused.stdout + refused.stderr
    assert "model/README.md" in refused.stdout + refused.stderr
    assert "CG405" in refused.stdout + refused.stderr


PROJECT_README = "# Our models\n\nTraining scripts and the checkpoints we publish.\n\n## License\n\nMIT\n"
# The project's README.md gets the hub profile (CG201 errors if it were checked as a card).
HUB_PROFILE_ABOVE_THE_MODEL = 'profile = "hub"\n\n[[overrides]]\npaths = ["model"]\nprofile = "minimal"\n'


@pytest.mark.parametrize("hook", ALL_HOOKS)
def test_a_project_readme_at_the_top_is_not_a_model_card(hook_repo, pre_commit_env, repo: Path, hook: str) -> None:
    """Issue 12 item 9: pre-commit passes README.md by name; it is not a card, the model's is."""
    (repo / ".cardguard.toml").write_text(HUB_PROFILE_ABOVE_THE_MODEL)
    (repo / "README.md").write_text(PROJECT_README)
    write_config(repo, hook_repo)
    git(repo, "add", "-A")
    result = run_hook(hook, repo, pre_commit_env, "--all-files", "--verbose")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "README.md: skipped, not a model card" in result.stdout
    assert (repo / "README.md").read_text() == PROJECT_README

    if hook == "cardguard-sync":  # sync reports only what it would rewrite
        return
    (repo / "model" / "README.md").write_text(BAD_CARD)  # the model's card is still checked
    git(repo, "add", "-A")
    failed = run_hook(hook, repo, pre_commit_env, "--files", "README.md", "model/README.md")
    assert failed.returncode == 1 and f"model/README.md:4:15: {BAD_CODE} error" in failed.stdout


def test_committing_only_the_project_readme_passes_the_hook(hook_repo, pre_commit_env, repo: Path) -> None:
    (repo / ".cardguard.toml").write_text(HUB_PROFILE_ABOVE_THE_MODEL)
    write_config(repo, hook_repo, ["cardguard-check"])
    git(repo, "add", ".cardguard.toml")
    git(repo, "commit", "-q", "-m", "config", env=pre_commit_env)
    assert pre_commit(["install"], repo, pre_commit_env).returncode == 0
    (repo / "README.md").write_text(PROJECT_README)
    git(repo, "add", "README.md")
    accepted = run(["git", "commit", "-m", "project readme"], repo, pre_commit_env)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr


def test_fix_rewrites_and_fails_then_passes(hook_repo, pre_commit_env, repo: Path) -> None:
    """pre-commit's convention for a hook that fixes: it fails when it changed a file."""
    write_config(repo, hook_repo)
    (repo / "model" / "README.md").write_text(GOOD_CARD.replace("license: apache-2.0", "licence: Apache-2.0"))
    git(repo, "add", "-A")
    first = run_hook("cardguard-fix", repo, pre_commit_env, "--all-files")
    assert first.returncode == 1, first.stdout
    assert "fixed: model/README.md:2 CG112 key 'licence' -> 'license'" in first.stdout
    assert "files were modified by this hook" in first.stdout
    assert (repo / "model" / "README.md").read_text() == GOOD_CARD
    git(repo, "add", "-A")
    second = run_hook("cardguard-fix", repo, pre_commit_env, "--all-files")
    assert second.returncode == 0, second.stdout
