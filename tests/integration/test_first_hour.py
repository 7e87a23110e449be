"""A new user's first hour, end to end, with the real pre-commit and real Trainer runs.

Trainer output → `git init` → pre-commit with `cardguard-check` → the commit passes → retrain
(a second real run's files copied over the first, the card left as it was) → the commit is
refused with a diff of the stale sections → `cardguard sync --add-missing` → the commit passes.

The user has not run `sync --add-missing` before the retrain: the card has no cardguard markers,
so only the library-section comparison (CG419) and the model-index check (CG413) can catch it.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

from helpers import git, run, subprocess_env
from test_pre_commit import hook_repo, pre_commit, pre_commit_env, write_config  # noqa: F401 (fixtures)

# Until the `auto` profile is the default (issue 12 item 4), the Trainer profile is named here.
CONFIG = 'profile = "trainer"\n'


def _copy_top_level_files(source: Path, destination: Path, skip: tuple[str, ...] = ()) -> None:
    """The run's files (not its checkpoint-* folders), as a user commits an output folder."""
    destination.mkdir(parents=True, exist_ok=True)
    for path in source.iterdir():
        if path.is_file() and path.name not in skip:
            shutil.copy2(path, destination / path.name)


def _proofread(card: Path) -> None:
    """What Trainer's card asks of its reader: complete it, remove the note; and the model-index
    `config: null` / `split: None` the Hub refuses (transformers#28137) removed."""
    text = card.read_text(encoding="utf-8")
    text = re.sub(r"<!-- This model card has been generated automatically.*?-->\n\n", "", text, flags=re.S)
    text = text.replace("      config: null\n", "").replace("      split: None\n", "")
    written = iter(["A tiny BERT that sorts reviews.", "Tests only; it has seen twelve reviews.",
                    "Twelve IMDB reviews for training, six for evaluation."])
    text = re.sub(r"^More information needed$", lambda _: next(written), text, flags=re.M)
    card.write_text(text, encoding="utf-8")


def _cardguard(repo: Path, *args: str):
    return run([sys.executable, "-m", "cardguard", *args], repo, subprocess_env())


def _commit(repo: Path, message: str, env: dict[str, str]):
    git(repo, "add", "-A")
    return run(["git", "commit", "-m", message], repo, env)


def test_first_hour(hook_repo, pre_commit_env, trainer_classifier_run, continued_classifier_run,  # noqa: F811
                    tmp_path: Path) -> None:
    repo = tmp_path / "my-model"
    model = repo / "model"
    _copy_top_level_files(trainer_classifier_run.out, model)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "commit.gpgsign", "false")
    (repo / ".cardguard.toml").write_text(CONFIG, encoding="utf-8")
    write_config(repo, hook_repo, ["cardguard-check"])
    installed = pre_commit(["install"], repo, pre_commit_env)
    assert installed.returncode == 0, installed.stdout + installed.stderr

    _proofread(model / "README.md")
    assert _cardguard(repo, "sync", "model").returncode == 1  # the managed keys (pipeline_tag) written
    first = _commit(repo, "first model", pre_commit_env)
    assert first.returncode == 0, first.stdout + first.stderr

    # Retrain: a second real run (one more epoch) writes its files over the first; the card stays.
    card_before = (model / "README.md").read_bytes()
    _copy_top_level_files(continued_classifier_run.out, model, skip=("README.md",))
    refused = _commit(repo, "retrained", pre_commit_env)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert git(repo, "rev-list", "--count", "HEAD").strip() == "1"
    assert "CG419" in output and "sync --add-missing" in output
    assert "-- num_epochs: 2" in output and "+- num_epochs: 3" in output  # the stale hyperparameters
    assert "CG413" in output  # the model-index values
    assert (model / "README.md").read_bytes() == card_before  # the hook wrote nothing

    assert _cardguard(repo, "sync", "--add-missing", "model").returncode == 1  # rewritten: re-stage
    card = (model / "README.md").read_text(encoding="utf-8")
    assert "<!-- cardguard:begin hyperparameters -->" in card and "- num_epochs: 3" in card
    accepted = _commit(repo, "retrained, card synced", pre_commit_env)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert git(repo, "rev-list", "--count", "HEAD").strip() == "2"
