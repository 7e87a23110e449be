"""``cardguard audit --join`` as the last job of docs/audit.md's GitHub Actions matrix runs it: the
shards' results.jsonl files (all a matrix job uploads) joined into one run's folder, the exit
code of that run, and a join given options that check something as a one-line usage error."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from helpers import BAD_CARD, GOOD_CARD, run
from test_audit_cli import make_fleet

AUDIT = [sys.executable, "-m", "cardguard", "audit"]
SHARDS = 3


def upload_shards(tmp_path: Path) -> list[str]:
    """Each shard's run, and only its results.jsonl kept, as actions/download-artifact lays them out."""
    folders = []
    for index in range(1, SHARDS + 1):
        result = run([*AUDIT, "fleet", "--out", f"run-{index}", "--shard", f"{index}/{SHARDS}"], tmp_path)
        assert result.returncode in (0, 1), result.stderr
        (tmp_path / "shards" / f"audit-{index}").mkdir(parents=True)
        shutil.copy(tmp_path / f"run-{index}" / "results.jsonl", tmp_path / "shards" / f"audit-{index}")
        folders.append(f"shards/audit-{index}")
    return folders


def test_the_join_job_writes_the_whole_fleets_folder_and_fails_as_the_whole_run(tmp_path: Path) -> None:
    make_fleet(tmp_path / "fleet", [GOOD_CARD, BAD_CARD, GOOD_CARD, GOOD_CARD, BAD_CARD, GOOD_CARD])
    whole = run([*AUDIT, "fleet", "--out", "whole"], tmp_path)
    joined = run([*AUDIT, "--join", *upload_shards(tmp_path), "--out", "audit"], tmp_path)
    assert (whole.returncode, joined.returncode) == (1, 1)
    assert joined.stdout == "" and joined.stderr.startswith(
        f"cardguard audit: joined {SHARDS} shards: 6 repos, 2 failing (0 unreadable); ")
    assert joined.stderr.count("\n") == 1
    for name in ("results.jsonl", "report.html"):
        assert (tmp_path / "audit" / name).read_bytes() == (tmp_path / "whole" / name).read_bytes()
    assert "| 6 | 2 | 0 | n/a |" in (tmp_path / "audit" / "summary.md").read_text(encoding="utf-8")


def test_a_join_with_options_that_check_something_is_a_usage_error(tmp_path: Path) -> None:
    make_fleet(tmp_path / "fleet", [GOOD_CARD])
    shard = upload_shards(tmp_path)[0]
    for arguments, named in ((["fleet"], "PATH"), (["--shard", "1/2"], "--shard"),
                             (["--hub-author", "org"], "--hub-author"), (["--jobs", "0"], "--jobs"),
                             (["--threads", "--profile", "trainer"], "--threads, --profile")):
        result = run([*AUDIT, "--join", shard, "--out", "out", *arguments], tmp_path)
        assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
        assert result.stderr.startswith("cardguard: error: --join checks nothing") and named in result.stderr
    missing = run([*AUDIT, "--join", shard, "fleet", "--out", "out"], tmp_path)
    assert missing.returncode == 2 and missing.stderr == (
        "cardguard: error: fleet: no results.jsonl in it (give the --out folders of the shards' runs)\n")
    assert not (tmp_path / "out").exists()
