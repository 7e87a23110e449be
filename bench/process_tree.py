"""Peak memory of a command together with the processes it starts (worker pools).

``harness.measure`` reports the child's ``ru_maxrss`` from ``wait4``: on Linux that is the
largest peak of any one process in the tree (the child's own, or a reaped descendant's), not
their sum. A pool of N workers that each hold 30 MiB costs about N x 30 MiB, so this module
also samples the tree: every ``interval`` it adds up the resident set (VmRSS) of the child and
of every descendant it can see in /proc, and keeps the largest sum. Two things to know when
reading the figure: pages shared between processes (the interpreter, libraries) are counted
once per process, so the sum overstates what the tree takes from the machine; and a peak
shorter than the interval can be missed. Where /proc does not list children (not Linux), the
sum is None and only the largest single process is reported.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from harness import Sample

PROC = Path("/proc")
SAMPLE_EVERY = 0.05  # seconds between two samples of the tree


@dataclass(frozen=True)
class TreeSample:
    sample: Sample  # wall, CPU (the tree's, reaped children included), largest single peak RSS, status
    tree_peak_rss_mib: float | None  # the largest sampled sum over the tree, None where /proc cannot say


def children_of(pid: int) -> list[int]:
    """The processes whose parent is ``pid``, from /proc/PID/task/*/children (any thread may
    have started them); empty once ``pid`` is gone."""
    found: list[int] = []
    try:
        for task in (PROC / str(pid) / "task").iterdir():
            found += [int(text) for text in (task / "children").read_text().split()]
    except (OSError, ValueError):
        pass
    return found


def tree_of(pid: int) -> list[int]:
    """``pid`` and every descendant of it."""
    tree, waiting = [], [pid]
    while waiting:
        current = waiting.pop()
        tree.append(current)
        waiting += children_of(current)
    return tree


def resident_kib(pid: int) -> int:
    """VmRSS of ``pid`` in KiB; 0 when it is gone (or a zombie, which has none)."""
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def can_see_children() -> bool:
    return (PROC / str(os.getpid()) / "task" / str(os.getpid()) / "children").exists()


class TreePeak:
    """A thread that samples the tree under ``pid`` until stopped, keeping the largest sum."""

    def __init__(self, pid: int, interval: float = SAMPLE_EVERY) -> None:
        self.pid, self.interval = pid, interval
        self.peak_kib = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while not self.done.is_set():
            self.peak_kib = max(self.peak_kib, sum(resident_kib(pid) for pid in tree_of(self.pid)))
            self.done.wait(self.interval)

    def __enter__(self) -> TreePeak:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join()


def measure_tree(command: list[str], env: dict[str, str], cwd: Path | None = None) -> TreeSample:
    """``harness.measure`` plus the sampled peak of the whole tree's resident memory."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=cwd)
    sampling = can_see_children()
    with TreePeak(process.pid) as peak:
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    sample = Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status))
    return TreeSample(sample, peak.peak_kib / 1024 if sampling else None)
