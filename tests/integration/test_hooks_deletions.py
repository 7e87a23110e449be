"""A commit, push or pull request that deletes a file of a checkpoint checks the card it
belonged to: a deleted shard leaves the index naming a file that is gone (CG305).

The plain git hooks (hooks/pre-commit, hooks/pre-push) and the Action's ``only-changed`` map
each deleted watched file to the README.md of the nearest folder above it that still holds one
(``card_of_deleted``, in shell and in cardguard/integrations/hookfiles.py; a test keeps the two
in agreement). The pre-commit framework passes no deleted file to a hook, so there only the next
commit touching the folder, or CI, sees it (docs/integrations.md).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from action_harness import run_action
from helpers import GOOD_CARD, REPO_ROOT, git, hook_run_deleting, make_model_repo, run

from cardguard.integrations.hookfiles import card_of_deleted

np = pytest.importorskip("numpy")
safetensors_numpy = pytest.importorskip("safetensors.numpy")

SHARDS = ("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors")
DELETED = f"model/{SHARDS[1]}"

CARDS = ("README.md", "model/README.md", "model/sub/README.md")


@pytest.mark.parametrize(("deleted", "card"), [
    ("model/model-00002-of-00002.safetensors", "model/README.md"),
    ("model/.eval_results/glue.yaml", "model/README.md"),
    ("model/assets/training_curves.svg", "model/README.md"),
    ("model/sub/deeper/config.json", "model/sub/README.md"),
    ("other/config.json", "README.md"),
    ("config.json", "README.md"),
    ("model/README.md", None),  # a deleted card: nothing left to check
    ("README.md", None),
])
def test_card_of_deleted(deleted: str, card: str | None) -> None:
    assert card_of_deleted(deleted, lambda path: path in CARDS) == card


def test_card_of_deleted_without_any_card() -> None:
    assert card_of_deleted("model/config.json", lambda path: False) is None


@pytest.mark.parametrize("hook", ["pre-commit", "pre-push"])
def test_the_hooks_shell_function_agrees_with_python(tmp_path: Path, hook: str) -> None:
    source = (REPO_ROOT / "hooks" / hook).read_text(encoding="utf-8")
    function = re.search(r"^card_of_deleted\(\) \{\n.*?^\}\n", source, re.M | re.S)
    assert function is not None, f"hooks/{hook} has no card_of_deleted function"
    for card in CARDS:
        (tmp_path / card).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / card).write_text("card\n")
    (tmp_path / "model" / "config.json").write_text("{}\n")  # still there: gives nothing
    paths = ["model/model-00002-of-00002.safetensors", "model/assets/training_curves.svg",
             "model/sub/deeper/config.json", "other/config.json", "model/README.md", "model/config.json"]
    shell = subprocess.run(["sh", "-c", function.group(0) + "card_of_deleted"], cwd=tmp_path, text=True,
                           input="\n".join(paths) + "\n", capture_output=True, check=True)
    in_python = [card_of_deleted(path, lambda card: (tmp_path / card).is_file()) for path in paths]
    expected = [card for path, card in zip(paths, in_python) if card is not None and not (tmp_path / path).exists()]
    assert shell.stdout.splitlines() == expected == ["model/README.md", "model/README.md", "model/sub/README.md", "README.md"]


def sharded_repo(root: Path) -> Path:
    """A git repo whose model folder holds a two-shard checkpoint written by safetensors, its
    index, and a card that passes ``check``."""
    repo = make_model_repo(root, GOOD_CARD)
    model = repo / "model"
    weight_map = {}
    for number, shard in enumerate(SHARDS):
        tensors = {f"layer{number}.weight": np.zeros((4, 4), dtype=np.float32)}
        safetensors_numpy.save_file(tensors, str(model / shard))
        weight_map.update(dict.fromkeys(tensors, shard))
    index = {"metadata": {"total_size": 2 * 64}, "weight_map": weight_map}
    (model / "model.safetensors.index.json").write_text(json.dumps(index, indent=2) + "\n")
    checked = run([sys.executable, "-m", "cardguard", "check", "model"], repo)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "a sharded checkpoint")
    return repo


def assert_refused_for_the_missing_shard(refused: subprocess.CompletedProcess[str]) -> None:
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "model/model.safetensors.index.json" in output and "CG305" in output, output


@pytest.mark.parametrize("hook", ["pre-commit", "pre-push"])
def test_the_plain_hooks_refuse_a_change_that_deletes_a_shard(tmp_path: Path, hook: str) -> None:
    assert_refused_for_the_missing_shard(hook_run_deleting(hook, sharded_repo(tmp_path / "plain"), DELETED))


def test_only_changed_checks_the_card_of_a_deleted_shard(tmp_path: Path) -> None:
    repo = sharded_repo(tmp_path / "workspace")
    base = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "rm", "-q", DELETED)
    git(repo, "commit", "-q", "-m", "a shard, deleted")
    head = git(repo, "rev-parse", "HEAD").strip()
    event = {"pull_request": {"number": 1, "base": {"sha": base}, "head": {"sha": head}}}
    inputs = {"command": "check", "python": sys.executable, "only-changed": "true"}
    result = run_action(REPO_ROOT, repo, tmp_path / "runner_temp", inputs, event)
    assert result.outputs["cards"] == "1", result.stdout + result.stderr
    assert result.returncode == 1 and "CG305" in result.stdout, result.stdout + result.stderr
