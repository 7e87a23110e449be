"""Remote == local on real library outputs: ``check hf://ORG/NAME`` of a folder the fake Hub
serves gives the same findings as ``check`` of that folder on disk, only the paths differ.

The outputs are the compatibility matrix's (tests/generators.py, built once per session by the
fixtures of tests/conftest.py, so these tests are marked slow like the matrix): the Trainer's
classifier, a sentence-transformers model, a PEFT LoRA adapter and a sharded safetensors
checkpoint. Each is copied into a clone of the served repo (a git work tree whose remote is
the repo: that gives the local folder the repo's Hub id), and served as it was written, every
file, LFS by the Hub's own patterns (an output without a card, the sharded checkpoint, first
gets one from ``cardguard init``, as the matrix does); both checks run in a child process
pointed at the fake (tests/hub/client.py says why a child).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

import cardguard
from hub.repos import folder_files
from hub.server import FakeHub
from hub.test_hf_target import findings_in_child, lfs_object_path, with_paths_after

REPO = "org/served"
OUTPUTS = ["trainer_classifier_run", "sentence_transformer_run", "peft_lora_run", "sharded_checkpoint_output"]


@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("command", ["validate", "check"])
def test_a_served_library_output_gives_the_findings_of_the_folder(request: pytest.FixtureRequest, tmp_path: Path,
                                                                   output: str, command: str) -> None:
    folder = clone_of(request.getfixturevalue(output).out, tmp_path / "clone")
    files = folder_files(folder)
    home = tmp_path / "home"
    home.mkdir()
    with FakeHub({REPO: {"main": files}}) as hub:
        remote = findings_in_child(hub, home, command, f"hf://{REPO}")
        local = findings_in_child(hub, home, command, str(folder))
        sha = hub.sha(REPO)
        weights = [name for name in files if name.endswith(".safetensors")]
        whole_weight_reads = [r for name in weights for r in hub.requests_to(lfs_object_path(files[name]))
                              if r.method == "GET" and r.range is None]
    assert with_paths_after(f"hf://{REPO}@{sha}/", remote) == with_paths_after(f"{folder}/", local)
    assert weights and whole_weight_reads == []  # headers by Range only, never a whole weights file



def clone_of(output: Path, clone: Path) -> Path:
    """A copy of ``output`` set up as a clone of the served repo (its git remote is what gives a
    local folder its Hub id, which the get-started snippet names), with a card: an output
    without one gets it from ``cardguard init``, as in the matrix."""
    shutil.copytree(output, clone)
    for command in (["init", "-q"], ["remote", "add", "origin", f"https://huggingface.co/{REPO}"]):
        subprocess.run(["git", *command], cwd=clone, check=True, capture_output=True)
    if not (clone / "README.md").exists():
        cardguard.init(clone)
    return clone
