"""Shared pieces of the integration tests: model folders, cards, git repositories."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

GOOD_CARD = """\
---
license: apache-2.0
library_name: transformers
pipeline_tag: text-classification
---
# Tiny classifier

A small model for the tests.

## Limitations

It is small.
"""

# CG105: not a Hub task, reported on line 4.
BAD_CARD = GOOD_CARD.replace("pipeline_tag: text-classification", "pipeline_tag: not-a-task")
BAD_CODE = "CG105"

CONFIG = 'profile = "minimal"\n'


def subprocess_env(**extra: str) -> dict[str, str]:
    """The environment for child processes: this checkout importable, the venv's tools first."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH", "")]))
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.update({
        "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.invalid",
        "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.invalid",
        "GIT_CONFIG_NOSYSTEM": "1", "HOME": env.get("HOME", "/tmp"),
        "NO_COLOR": "1", "HF_HUB_OFFLINE": "1",
    })
    env.pop("CARDGUARD", None)
    env.update(extra)
    return env


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 600,
        input_text: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env or subprocess_env(), capture_output=True, text=True,
                          timeout=timeout, input=input_text)


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = run(["git", *args], repo, env)
    if result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def make_model_repo(root: Path, card: str = GOOD_CARD) -> Path:
    """A git repository with one committed model folder ``model/`` and a minimal profile."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "commit.gpgsign", "false")
    (root / ".cardguard.toml").write_text(CONFIG)
    model = root / "model"
    model.mkdir()
    (model / "README.md").write_text(card)
    (model / "config.json").write_text('{"model_type": "bert", "hidden_size": 8}\n')
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "model")
    return root


def copy_tree(source: Path, destination: Path, files: list[str]) -> None:
    for name in files:
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / name, target)


def cardguard_has(subcommand: str) -> bool:
    """True when this checkout's CLI knows ``subcommand`` (issue 4 adds check and sync)."""
    result = run([sys.executable, "-m", "cardguard", subcommand, "--help"], REPO_ROOT)
    return result.returncode == 0



def hook_run_deleting(hook: str, repo: Path, deleted: str) -> subprocess.CompletedProcess[str]:
    """cardguard's plain ``hook`` ("pre-commit" or "pre-push") installed in ``repo``, then a
    commit deleting ``deleted`` (pushed, for pre-push, to a new bare repository beside ``repo``):
    what the hook made of it. When the hook refuses, nothing lands: the commit, or the push."""
    remote = repo.parent / f"{repo.name}-remote.git"
    if hook == "pre-push":
        git(repo.parent, "init", "-q", "--bare", str(remote))
        git(repo, "remote", "add", "origin", str(remote))
        git(repo, "push", "-q", "origin", "main")
    also_pre_push = ["--pre-push"] if hook == "pre-push" else []
    installed = run([sys.executable, "-m", "cardguard", "install-hooks", *also_pre_push], repo)
    assert installed.returncode == 0, installed.stderr
    before = git(repo, "rev-parse", "HEAD")
    git(repo, "rm", "-q", deleted)
    if hook == "pre-commit":
        result = run(["git", "commit", "-m", f"{deleted}, deleted"], repo)
        landed = git(repo, "rev-parse", "HEAD") != before
    else:
        git(repo, "commit", "-q", "--no-verify", "-m", f"{deleted}, deleted")
        result = run(["git", "push", "origin", "main"], repo)
        landed = git(remote, "rev-parse", "main") != before
    assert landed == (result.returncode == 0), (result.stdout, result.stderr)
    return result
