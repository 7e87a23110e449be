"""What every benchmark here shares: running one fresh process and measuring it.

Child processes get bytecode caching on, as for any installed package (some shells export
PYTHONDONTWRITEBYTECODE, which would recompile cardguard in every process and measure the
compiler instead); the cache goes to a temporary folder, never into the source tree. They
import cardguard from the checkout this script lives in (put first on PYTHONPATH), so the
numbers are this tree's even where another checkout is installed into the same Python (an
editable install's console script would otherwise import that one). They never reach the
network (HF_HUB_OFFLINE=1).
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]

# Given to every cardguard command the benches run. Under callgrind a process runs about 50x
# slower, and the default 60 s budget of a run would stop it part-way: the cards left over get
# CG009 ("not checked"), exit status 0 with --fail-on never, and the count silently covers
# only part of the work. A budget that is never reached costs nothing in the timed runs.
NO_TIME_BUDGET = ["--timeout", "86400"]


@dataclass(frozen=True)
class Sample:
    wall: float  # seconds
    cpu: float  # user + system seconds of the child
    peak_rss_mib: float
    status: int


def child_environment(pycache: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CHECKOUT), env.get("PYTHONPATH")]))
    env["HF_HUB_OFFLINE"] = "1"
    return env


def load_average() -> str:
    """The one-minute load average and the core count: how busy the machine is right now."""
    return f"load average (1 min) {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


# Above this one-minute load the wall-clock columns are not worth quoting: other processes take
# turns on the cores with the timed ones (a loaded run once printed a 2.6x ratio that a quiet run
# measured at 1.1x). Instruction counts stay valid.
BUSY_LOAD = 1.0


def busy_warning() -> str | None:
    """A warning to print when the machine is too busy for wall times to mean much, else None."""
    load = os.getloadavg()[0]
    if load <= BUSY_LOAD:
        return None
    return (f"WARNING: the machine is busy (load average {load:.1f} > {BUSY_LOAD:.0f}): wall times and the "
            "ratios computed from them are unreliable; trust the instruction counts, or re-run when quiet.")


def print_busy(*warnings: str | None) -> None:
    """Print the first busy-machine warning of a run (taken at its start and at its end), if any."""
    found = next((warning for warning in warnings if warning), None)
    if found:
        print(f"\n{found}\n")


def measure(command: list[str], env: dict[str, str], cwd: Path | None = None) -> Sample:
    """One fresh process: wall and CPU time, peak RSS and exit status."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=cwd)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status))


def median_samples(command: list[str], env: dict[str, str], runs: int, cwd: Path | None = None) -> Sample:
    """Median wall and CPU over ``runs`` after one unmeasured warm-up (page cache, .pyc)."""
    measure(command, env, cwd)
    samples = [measure(command, env, cwd) for _ in range(runs)]
    return Sample(
        wall=statistics.median(s.wall for s in samples),
        cpu=statistics.median(s.cpu for s in samples),
        peak_rss_mib=max(s.peak_rss_mib for s in samples),
        status=max(s.status for s in samples),
    )


def interleaved_samples(commands: dict[str, list[str]], env: dict[str, str], runs: int,
                        cwd: Path | None = None) -> dict[str, Sample]:
    """``median_samples`` for several commands compared with each other: each round runs every
    command once, in turn, so a machine that slows down mid-benchmark (a shared VM does) slows
    all of them alike instead of whichever ran in that stretch."""
    for command in commands.values():
        measure(command, env, cwd)
    rounds = [{name: measure(command, env, cwd) for name, command in commands.items()} for _ in range(runs)]
    return {
        name: Sample(
            wall=statistics.median(r[name].wall for r in rounds),
            cpu=statistics.median(r[name].cpu for r in rounds),
            peak_rss_mib=max(r[name].peak_rss_mib for r in rounds),
            status=max(r[name].status for r in rounds),
        )
        for name in commands
    }


def instructions(command: list[str], env: dict[str, str], cwd: Path | None = None) -> int | None:
    """Instructions the command executes, counted by valgrind's callgrind: unlike time, the same
    on a busy machine and an idle one. None where valgrind is not installed."""
    if shutil.which("valgrind") is None:
        return None
    result = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
        check=False, env=env, cwd=cwd, capture_output=True, text=True,
    )
    match = re.search(r"Collected\s*:\s*(\d+)", result.stderr)
    return int(match.group(1)) if match else None


def millions(count: int | None) -> str:
    """An instruction count as a table cell."""
    return f"{count / 1e6:,.0f} M" if count else "n/a"
