"""``cardguard audit --hub-author ORG --jobs N`` past 8 jobs: Hub repos are checked in worker
processes with threads (docs/audit.md, "Workers"), against the fake Hub, in a child
(tests/hub/client.py).

Which processes asked the Hub is read from the operating system while the run goes on: on each
request for a repo's model info, the fake Hub's side looks up (psutil) which processes hold a
TCP connection to it. The audit's own child is started by this test; its worker processes are
started by it, so any process holding a connection whose parent is not this test is a worker.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.endpoints import Reply, Request
from hub.repos import folder_files
from hub.server import FakeHub
from hub.test_audit_hub import broken
from hub.test_push import EXAMPLE, cardguard_cli

psutil = pytest.importorskip("psutil")

REPOS = [f"org/model-{number:02d}" for number in range(24)]


@pytest.fixture()
def hub() -> Iterator[FakeHub]:
    files = folder_files(EXAMPLE)
    # every third card has a placeholder: the lines differ in findings, not only in their ids
    fleet = {repo: {"main": broken(files) if number % 3 == 0 else files} for number, repo in enumerate(REPOS)}
    with FakeHub(fleet) as server:
        yield server


class WorkerWatch:
    """An interceptor that, on each model-info request (the first request of a repo's check),
    notes when it came and which processes not started by this test hold a connection to the
    fake Hub (the audit's worker processes)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.workers: set[int] = set()
        self.model_infos: list[tuple[float, str]] = []  # (time.monotonic(), repo id)
        self.lock = threading.Lock()

    def __call__(self, request: Request) -> Reply | None:
        if request.method == "GET" and request.path.startswith("/api/models/org/"):
            with self.lock:
                self.model_infos.append((time.monotonic(), repo_of(request.path)))
            started_by_audit = audit_workers_connected_to(self.port)
            with self.lock:
                self.workers |= started_by_audit
        return None


def repo_of(path: str) -> str:
    """``/api/models/ORG/NAME/revision/SHA?...`` -> ``ORG/NAME``."""
    return "/".join(path.split("?")[0].split("/")[3:5])


def audit_workers_connected_to(port: int) -> set[int]:
    """The processes holding a TCP connection to ``port`` that this test did not start (the
    audit's own child is started by this test; its worker processes are started by it)."""
    holders = {connection.pid for connection in psutil.net_connections("tcp")
               if connection.raddr and connection.raddr.port == port and connection.pid}
    return {pid for pid in holders if pid != os.getpid() and parent_of(pid) != os.getpid()}


def parent_of(pid: int) -> int | None:
    try:
        return psutil.Process(pid).ppid()
    except psutil.Error:  # gone since: not one of ours to count
        return None


def watch(hub: FakeHub) -> WorkerWatch:
    watcher = WorkerWatch(int(hub.url.rsplit(":", 1)[1].strip("/")))
    hub.interceptors.append(watcher)
    return watcher


def test_32_jobs_write_the_same_bytes_as_one_and_more_than_one_process_asks_the_hub(
        hub: FakeHub, home: Path, tmp_path: Path) -> None:
    hub.latency = 0.1  # each check waits on the network: every thread of every process gets repos
    watcher = watch(hub)
    code, _, err = cardguard_cli(hub, home, "audit", "--hub-author", "org", "--out", str(tmp_path / "many"),
                                 "--jobs", "32")
    assert code == 1 and "24 repos, 8 failing" in err, err
    assert len(watcher.workers) >= 2, watcher.workers
    hub.latency, watcher.workers = 0.0, set()
    code, _, _ = cardguard_cli(hub, home, "audit", "--hub-author", "org", "--out", str(tmp_path / "one"),
                               "--jobs", "1")
    assert code == 1 and watcher.workers == set()  # one job: the audit's own threads ask, no worker process
    many, one = (tmp_path / name / "results.jsonl" for name in ("many", "one"))
    assert many.read_bytes() == one.read_bytes()
    assert [line.split('"repo": "')[1].split('"')[0] for line in one.read_text().splitlines()] == REPOS


def test_a_429_in_one_worker_process_pauses_every_process(hub: FakeHub, home: Path, tmp_path: Path) -> None:
    # 9 jobs: two processes of 5 and 4 threads, 24 repos; at 0.2 s a request a check takes over
    # 1.4 s, so a process the gate did not hold would start repos all through the pause
    hub.latency = 0.2
    watcher = watch(hub)
    limited = REPOS[0]  # the first repo handed out: most others are still to start when it is refused
    # 6 s: longer than hf:// waits within one check (5 s, docs/hub.md), so the audit's gate pauses
    hub.fail(429, Retry_After="6", path_contains=f"/api/models/{limited}", times=1)
    code, _, err = cardguard_cli(hub, home, "audit", "--hub-author", "org", "--out", str(tmp_path / "out"),
                                 "--jobs", "9")
    assert code == 1 and "24 repos, 8 failing" in err, err  # the limited repo was asked again, and checked
    assert len(watcher.workers) >= 2, watcher.workers
    refused_at = next(moment for moment, repo in watcher.model_infos if repo == limited)
    started_in_pause = [repo for moment, repo in watcher.model_infos if refused_at + 0.5 < moment < refused_at + 5.5]
    assert started_in_pause == []
    assert len(watcher.model_infos) == len(REPOS) + 1  # every repo once, the limited one twice
    assert max(moment for moment, _ in watcher.model_infos) >= refused_at + 6


class KillTheAsker:
    """An interceptor that, on the model-info request of ``repo``, kills (SIGKILL, as the kernel's
    out-of-memory killer does) the audit worker process that asked."""

    def __init__(self, port: int, repo: str) -> None:
        self.port, self.repo, self.killed = port, repo, []

    def __call__(self, request: Request) -> Reply | None:
        if request.method == "GET" and repo_of(request.path) == self.repo and not self.killed:
            for pid in sorted(audit_workers_connected_to(self.port)):
                with contextlib.suppress(ProcessLookupError):  # gone since it was listed
                    os.kill(pid, signal.SIGKILL)
                    self.killed.append(pid)
                    break
        return None


def test_a_worker_process_killed_mid_run_ends_the_audit_with_one_line(hub: FakeHub, home: Path, tmp_path: Path) -> None:
    killer = KillTheAsker(int(hub.url.rsplit(":", 1)[1].strip("/")), REPOS[10])
    hub.interceptors.append(killer)
    code, _, err = cardguard_cli(hub, home, "audit", "--hub-author", "org", "--out", str(tmp_path / "out"),
                                 "--jobs", "16")
    assert killer.killed
    assert code == 2 and "Traceback" not in err and err.count("\n") == 1, err
    assert "a Hub worker process was killed by SIGKILL" in err and "the audit stopped after" in err, err
    done = (tmp_path / "out" / "results.jsonl").read_text().splitlines()
    assert len(done) < len(REPOS) and f"after {len(done)} of {len(REPOS)} repos" in err, err
