"""Ctrl-C during ``cardguard audit --hub-author ORG`` against a slow fake Hub: the audit stops at
once with exit 130 and no traceback, instead of first checking every repo it had queued.

The audit runs as a terminal runs a command: in its own process group, with SIGINT at its
default, and the interrupt goes to the whole group (worker processes included), as Ctrl-C does.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.repos import folder_files
from hub.server import FakeHub
from hub.test_push import EXAMPLE

REPOS = [f"org/model-{number:02d}" for number in range(60)]
LATENCY = 0.25  # a repo's check takes ~6 s at this latency (its requests, some in parallel)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def hub() -> Iterator[FakeHub]:
    files = folder_files(EXAMPLE)
    with FakeHub({repo: {"main": files} for repo in REPOS}, latency=LATENCY) as server:
        yield server


def default_sigint() -> None:  # a shell that runs the tests in the background ignores SIGINT
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def started_audit(hub: FakeHub, home: Path, out: Path, jobs: int) -> subprocess.Popen:
    base = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.Popen(
        [sys.executable, "-m", "cardguard", "audit", "--hub-author", "org", "--jobs", str(jobs), "--out", str(out)],
        env=hub.client_env(home, base), cwd=home, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True, preexec_fn=default_sigint)


def wait_for_first_result(audit: subprocess.Popen, results: Path) -> None:
    deadline = time.monotonic() + 120
    while not (results.exists() and results.read_bytes().count(b"\n") >= 1):
        assert audit.poll() is None, audit.communicate()
        assert time.monotonic() < deadline, "no repo was checked in 120 s"
        time.sleep(0.05)


# 2 jobs: threads of the audit's process, 8 repos queued ahead (two running); 16 jobs: worker
# processes (on 2 CPUs or more), 64 queued. Checking the queued ones first took ~25 s with 2 jobs.
@pytest.mark.parametrize("jobs", [2, 16])
def test_ctrl_c_stops_the_audit_without_checking_the_queued_repos(hub: FakeHub, home: Path, tmp_path: Path,
                                                                   jobs: int) -> None:
    out = tmp_path / "out"
    audit = started_audit(hub, home, out, jobs)
    try:
        wait_for_first_result(audit, out / "results.jsonl")
        os.killpg(audit.pid, signal.SIGINT)
        interrupted = time.monotonic()
        _, err = audit.communicate(timeout=60)
        stopped_after = time.monotonic() - interrupted
    finally:
        if audit.poll() is None:
            os.killpg(audit.pid, signal.SIGKILL)
    assert audit.returncode == 130, err
    assert "Traceback" not in err, err
    # the checks running may finish (a thread cannot be stopped): one check's ~6 s, not the queue's
    assert stopped_after < 12, stopped_after
