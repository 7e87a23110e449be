"""``cardguard audit`` keys its cache on a hash of every file in a model folder and of the
configuration above it (cardguard/run/audit.py, ``file_fingerprint``). A pull request controls
those files: a FIFO (whose open waits for a writer for ever) or a link to /dev/zero (whose read
never ends) must neither hang the run nor fill its memory, and a link's target still counts."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.hostile.helpers import ROOT, run_cli

EXAMPLE = ROOT / "examples" / "tiny-bert-classifier"

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")


def fleet_with_traps(tmp_path: Path) -> Path:
    fleet = tmp_path / "fleet"
    shutil.copytree(EXAMPLE, fleet / "model")
    os.mkfifo(fleet / "model" / "eval_results.fifo")
    (fleet / "model" / "zeros.bin").symlink_to("/dev/zero")
    os.mkfifo(fleet / ".cardguard.toml")  # a configuration file above the folder, as a FIFO
    return fleet


def test_a_fifo_and_a_link_to_dev_zero_neither_hang_nor_fill_the_audit(tmp_path: Path) -> None:
    fleet = fleet_with_traps(tmp_path)
    run = run_cli(["audit", str(fleet), "--out", str(tmp_path / "out"), "--jobs", "1"], cwd=tmp_path, timeout=120)
    assert "Traceback" not in run.stderr and run.returncode in (0, 1, 2), run.stderr
    assert run.peak_mb < 200, run.peak_mb  # /dev/zero read to its end would take all memory
    lines = (tmp_path / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["repo"] for line in lines] == ["fleet/model"]


def test_a_change_behind_a_link_checks_the_folder_again(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet"
    shutil.copytree(EXAMPLE, fleet / "model")
    shared = tmp_path / "shared.json"
    shared.write_text('{"a": 1}', encoding="utf-8")
    (fleet / "model" / "notes.json").symlink_to(shared)
    out = tmp_path / "out"
    args = ["audit", str(fleet), "--out", str(out), "--jobs", "1"]
    run_cli(args, cwd=tmp_path)
    assert "(0 unreadable, 1 from cache)" in run_cli(args, cwd=tmp_path).stderr  # nothing changed
    shared.write_text('{"a": 2}', encoding="utf-8")
    assert "(0 unreadable, 0 from cache)" in run_cli(args, cwd=tmp_path).stderr
