"""FIFOs (whose open waits for a writer for ever) and links to /dev/zero (whose read never ends)
where ``cardguard audit`` reads files: it must neither hang nor fill its memory.

- The cache key hashes every file in a model folder and the configuration above it
  (cardguard/run/audit.py, ``file_fingerprint``): a pull request controls those files. A
  link's target still counts.
- ``--since DIR`` reads an earlier run's results.jsonl, often an artifact or a cache restored
  in CI: anything but a regular file is one line and exit 2."""

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


@pytest.mark.parametrize("planted", ["fifo", "link to /dev/zero"])
def test_since_refuses_a_results_file_that_is_not_a_regular_file(tmp_path: Path, planted: str) -> None:
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    if planted == "fifo":
        os.mkfifo(earlier / "results.jsonl")
    else:
        (earlier / "results.jsonl").symlink_to("/dev/zero")
    shutil.copytree(EXAMPLE, tmp_path / "fleet" / "model")
    run = run_cli(["audit", str(tmp_path / "fleet"), "--out", str(tmp_path / "out"), "--since", str(earlier)],
                  cwd=tmp_path)
    assert run.returncode == 2 and run.peak_mb < 200, (run.returncode, run.peak_mb)
    assert run.stderr.strip().endswith("results.jsonl: not a regular file"), run.stderr
    assert run.stderr.count("\n") == 1
