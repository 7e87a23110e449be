"""Issue 6.4: `cardguard sync` under faults leaves the card as the old bytes or the new bytes,
never anything else, and leaves no temporary file behind.

In-process fault injection (exception after half the temporary file, ENOSPC from write, fsync
or replace) is in tests/sync/test_write_render_init.py::test_failure_mid_write_leaves_card_intact.
Here the real CLI runs in a child: killed by SIGKILL at a controlled point, failing with ENOSPC,
racing another sync on the same card, and keeping mode, owner and links.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.hostile.helpers import ROOT, classifier_repo, run_cli

# Runs `cardguard sync` with one step of the atomic write patched (FAULT names it): the step
# signals READY (creates that file) and sleeps until killed, or raises ENOSPC.
_FAULTY_SYNC = """
import errno, os, sys, time
import cardguard.safe_paths as safe_paths

fault, ready = os.environ["FAULT"], os.environ["READY"]

def hang(*args, **kwargs):
    open(ready, "w").close()
    time.sleep(600)

real_fdopen, real_replace = os.fdopen, os.replace

class HalfThenFault:
    def __init__(self, stream):
        self.stream = stream
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        self.stream.close()
    def fileno(self):
        return self.stream.fileno()
    def flush(self):
        self.stream.flush()
    def write(self, data):
        self.stream.write(data[: len(data) // 2])
        self.stream.flush()
        if fault == "enospc":
            raise OSError(errno.ENOSPC, "No space left on device")
        hang()

if fault in ("mid-write", "enospc"):
    os.fdopen = lambda fd, mode: HalfThenFault(real_fdopen(fd, mode))
elif fault == "before-rename":
    os.replace = hang
elif fault == "after-rename":
    safe_paths._fsync_folder = hang
from cardguard.cli import main
sys.exit(main(["sync", "README.md"]))
"""


def _temporaries(folder: Path) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name.endswith(".cardguard-tmp"))


def _expected_after_sync(tmp_path: Path) -> bytes:
    """The bytes a clean sync writes, from a copy of the repo."""
    twin = classifier_repo(tmp_path / "twin")
    assert run_cli(["sync", "README.md"], cwd=twin).returncode == 1
    return (twin / "README.md").read_bytes()


def _start_faulty_sync(repo: Path, fault: str) -> tuple[subprocess.Popen, Path]:
    ready = repo.parent / f"ready-{fault}"
    child = subprocess.Popen(
        [sys.executable, "-c", _FAULTY_SYNC], cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT), "FAULT": fault, "READY": str(ready)},
    )
    return child, ready


def _wait_for(ready: Path, child: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not ready.exists():
        assert child.poll() is None, child.communicate()
        assert time.monotonic() < deadline, "the child never reached the fault"
        time.sleep(0.02)


@pytest.mark.parametrize("fault, survivor", [("mid-write", "old"), ("before-rename", "old"), ("after-rename", "new")])
def test_sigkill_leaves_old_or_new_bytes_and_the_next_sync_cleans_up(tmp_path: Path, fault: str, survivor: str) -> None:
    repo = classifier_repo(tmp_path / "repo")
    old, new = (repo / "README.md").read_bytes(), _expected_after_sync(tmp_path)
    child, ready = _start_faulty_sync(repo, fault)
    _wait_for(ready, child)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    assert (repo / "README.md").read_bytes() == (old if survivor == "old" else new)
    leftovers = _temporaries(repo)
    assert len(leftovers) == (0 if survivor == "new" else 1)
    assert all(f".README.md.{child.pid}." in name for name in leftovers)  # named by the dead pid
    run = run_cli(["sync", "README.md"], cwd=repo)
    assert run.returncode == (1 if survivor == "old" else 0), run.stderr
    assert (repo / "README.md").read_bytes() == new
    assert _temporaries(repo) == []


def test_temporary_of_a_live_process_is_left_alone(tmp_path: Path) -> None:
    repo = classifier_repo(tmp_path / "repo")
    live = repo / f".README.md.{os.getpid()}.abc123.cardguard-tmp"  # this test process is alive
    live.write_bytes(b"someone else's write in progress")
    assert run_cli(["sync", "README.md"], cwd=repo).returncode == 1
    assert live.exists()


def test_disk_full_mid_write_is_one_line_and_keeps_the_card(tmp_path: Path) -> None:
    repo = classifier_repo(tmp_path / "repo")
    old = (repo / "README.md").read_bytes()
    child, _ = _start_faulty_sync(repo, "enospc")
    out, err = child.communicate(timeout=60)
    assert child.returncode == 2 and b"Traceback" not in err
    assert b"No space left on device" in err
    assert (repo / "README.md").read_bytes() == old
    assert _temporaries(repo) == []


ROUNDS = 12


def test_concurrent_syncs_end_with_a_valid_card(tmp_path: Path) -> None:
    """Two syncs of one card at once, many times: the card is always exactly the synced bytes."""
    new = _expected_after_sync(tmp_path)
    repo = classifier_repo(tmp_path / "repo")
    stale = (repo / "README.md").read_bytes()
    command = [sys.executable, "-m", "cardguard", "sync", "README.md"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for _ in range(ROUNDS):
        (repo / "README.md").write_bytes(stale)
        racers = [subprocess.Popen(command, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                  for _ in range(2)]
        results = [racer.communicate(timeout=60) for racer in racers]
        assert all(b"Traceback" not in err for _, err in results)
        assert {racer.returncode for racer in racers} <= {0, 1}
        assert (repo / "README.md").read_bytes() == new
        assert _temporaries(repo) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="making a file owned by another user needs root")
def test_mode_and_ownership_are_kept(tmp_path: Path) -> None:
    repo = classifier_repo(tmp_path / "repo")
    card = repo / "README.md"
    os.chown(card, 1234, 4321)
    os.chmod(card, 0o640)
    assert run_cli(["sync", "README.md"], cwd=repo).returncode == 1
    info = card.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (1234, 4321, 0o640)
    assert b"| 1 | positive |" in card.read_bytes()


def test_mode_is_kept(tmp_path: Path) -> None:
    repo = classifier_repo(tmp_path / "repo")
    os.chmod(repo / "README.md", 0o604)
    assert run_cli(["sync", "README.md"], cwd=repo).returncode == 1
    assert stat.S_IMODE((repo / "README.md").stat().st_mode) == 0o604
