"""The training-curves figure through the hooks. The real pre-commit: the hooks' `files`
pattern sends ``assets/training_curves.svg`` to cardguard, so a commit that edits only the
figure re-runs ``check`` (CG420), and the sync hook writes the figure (and fails, so it is
staged). The plain git hooks (`cardguard install-hooks`, pre-commit and pre-push) also check
the card of a figure a commit deletes; pre-commit passes no deleted file to a hook, so there only the next commit
touching the folder, or CI, sees it.

Drawing needs matplotlib in the hook's environment: pre-commit installs cardguard without
extras, so the configuration adds it with ``additional_dependencies`` (docs/sync.md says so),
the version this venv has, from the local package index. Without matplotlib here, the
pre-commit tests skip; the pattern test runs everywhere.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from helpers import REPO_ROOT, git, hook_run_deleting, make_model_repo, run
from test_pre_commit import (  # noqa: F401 (fixtures)
    hook_repo,
    pre_commit,
    pre_commit_env,
    repo,
    run_hook,
)

from cardguard.integrations.hookfiles import WATCHED_FILES, is_watched

FIGURE = "model/assets/training_curves.svg"
CURVES_CARD = """\
---
license: apache-2.0
library_name: transformers
pipeline_tag: text-classification
---
# Tiny classifier

## Training curves

<!-- cardguard:begin training-curves -->
<!-- cardguard:end training-curves -->
"""
LOG = [
    {"epoch": 1.0, "step": 10, "loss": 0.9},
    {"epoch": 1.0, "step": 10, "eval_loss": 0.8, "eval_accuracy": 0.6},
    {"epoch": 2.0, "step": 20, "loss": 0.6},
    {"epoch": 2.0, "step": 20, "eval_loss": 0.7, "eval_accuracy": 0.7},
]


def test_the_manifest_and_the_hook_scripts_watch_the_figure() -> None:
    manifest = (REPO_ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    assert re.search(r"files: &watched-files (.*)\n", manifest).group(1) == WATCHED_FILES
    assert is_watched(FIGURE) and is_watched("assets/training_curves.svg")
    assert not is_watched("model/assets/other.svg") and not is_watched("model/training_curves.svg")


def matplotlib_requirement() -> str:
    matplotlib = pytest.importorskip("matplotlib", reason="the plots extra is not installed here")
    return f"matplotlib=={matplotlib.__version__}"


def write_config_with_plots(repo: Path, hook_repo: tuple[Path, str], hooks: list[str]) -> None:  # noqa: F811
    listed = "".join(f"      - id: {hook}\n        additional_dependencies: ['{matplotlib_requirement()}']\n"
                     for hook in hooks)
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hook_repo[0]}\n    rev: {hook_repo[1]}\n    hooks:\n{listed}")
    git(repo, "add", ".pre-commit-config.yaml")


def test_sync_writes_the_figure_and_an_edit_of_the_figure_alone_fails_the_commit(
        hook_repo, pre_commit_env, repo: Path) -> None:  # noqa: F811 (the fixtures imported above)
    write_config_with_plots(repo, hook_repo, ["cardguard-sync", "cardguard-check"])
    (repo / "model" / "README.md").write_text(CURVES_CARD)
    (repo / "model" / "trainer_state.json").write_text(json.dumps({"global_step": 20, "log_history": LOG}))
    git(repo, "add", "-A")

    synced = run_hook("cardguard-sync", repo, pre_commit_env, "--all-files")
    assert synced.returncode == 1, synced.stdout + synced.stderr  # it wrote: stage and commit again
    assert (repo / FIGURE).read_bytes().startswith(b"<?xml")
    git(repo, "add", "-A")
    assert run_hook("cardguard-check", repo, pre_commit_env, "--all-files").returncode == 0
    git(repo, "commit", "-q", "-m", "synced card and figure", env=pre_commit_env)

    write_config_with_plots(repo, hook_repo, ["cardguard-check"])  # check alone: sync would redraw it first
    git(repo, "commit", "-q", "-m", "check on commit", env=pre_commit_env)
    assert pre_commit(["install"], repo, pre_commit_env).returncode == 0
    (repo / FIGURE).write_text((repo / FIGURE).read_text().replace("<svg", "<svg data-hand-edit='1'", 1))
    git(repo, "add", FIGURE)
    refused = run(["git", "commit", "-m", "the figure, edited by hand"], repo, pre_commit_env)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert f"{FIGURE}:1:1: CG420" in output

    write_config_with_plots(repo, hook_repo, ["cardguard-sync"])
    resynced = run_hook("cardguard-sync", repo, pre_commit_env, "--files", FIGURE)
    assert resynced.returncode == 1, resynced.stdout + resynced.stderr  # drawn again from the log
    assert "rewrote" in resynced.stdout + resynced.stderr
    assert "data-hand-edit" not in (repo / FIGURE).read_text()


def committed_with_figure(root: Path) -> Path:
    """A git repo whose model folder holds a log, a card showing its figure, and the figure."""
    pytest.importorskip("matplotlib", reason="the plots extra is not installed here")
    plain_repo = make_model_repo(root, CURVES_CARD)
    (plain_repo / "model" / "trainer_state.json").write_text(json.dumps({"global_step": 20, "log_history": LOG}))
    synced = run([sys.executable, "-m", "cardguard", "sync", "model"], plain_repo)
    assert synced.returncode == 1 and (plain_repo / FIGURE).is_file(), synced.stdout + synced.stderr
    git(plain_repo, "add", "-A")
    git(plain_repo, "commit", "-q", "-m", "log, card and figure")
    return plain_repo


def assert_refused_for_the_missing_figure(refused) -> None:
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert f"{FIGURE}:1:1: CG420" in output and "does not exist yet" in output


@pytest.mark.parametrize("hook", ["pre-commit", "pre-push"])
def test_the_plain_hooks_refuse_a_change_that_deletes_the_figure(tmp_path: Path, hook: str) -> None:
    assert_refused_for_the_missing_figure(hook_run_deleting(hook, committed_with_figure(tmp_path / "plain"), FIGURE))
