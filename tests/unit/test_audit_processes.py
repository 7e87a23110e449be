"""The Hub pool past 8 jobs (run/audit.py: hub_processes, threads_of, ProcessThreadPool, and the
RateGate shared across processes), with spawned worker processes running this module's functions."""

from __future__ import annotations

import array
import fcntl
import multiprocessing
import os
import signal
import subprocess
import sys
import termios
import textwrap
import threading
import time
from pathlib import Path

import pytest

from cardguard.run import audit as fleet

SPAWN = multiprocessing.get_context("spawn")


@pytest.mark.parametrize(("jobs", "repos", "cpus", "processes"), [
    (1, 100, 2, 1), (8, 100, 2, 1),  # up to 8 jobs: threads of this process, as before
    (9, 100, 2, 2), (32, 100, 2, 2), (32, 100, 8, 4), (32, 100, 1, 1),  # one per 8 jobs, at most one per CPU
    (32, 5, 8, 1), (32, 20, 8, 3), (32, 0, 8, 1),  # no more than the repos keep busy
])
def test_the_hub_uses_one_process_per_8_jobs_up_to_the_cpus(jobs: int, repos: int, cpus: int, processes: int) -> None:
    assert fleet.hub_processes(jobs, repos, cpus) == processes


@pytest.mark.parametrize(("jobs", "processes", "threads"), [(32, 2, [16, 16]), (9, 2, [5, 4]), (10, 4, [3, 3, 2, 2])])
def test_the_jobs_are_split_among_the_processes_threads(jobs: int, processes: int, threads: list[int]) -> None:
    assert fleet.threads_of(jobs, processes) == threads and sum(threads) == jobs


# -- functions the spawned workers run (module level: pickled by name) --------------------------

def pid_of_check(item: int, gate: fleet.RateGate) -> tuple[dict, bool]:
    time.sleep(0.05)  # long enough that every thread of both processes gets items
    gate.wait()
    return {"item": item, "pid": os.getpid()}, False


def fails_on_seven(item: int, gate: fleet.RateGate) -> tuple[dict, bool]:
    if item == 7:
        raise ValueError("seven")
    return {"item": item}, False


def dies_on_three(item: int, gate: fleet.RateGate) -> tuple[dict, bool]:
    if item == 3:
        os._exit(9)  # a worker killed mid-run (out of memory, a signal)
    return {"item": item}, False


CHECKS_IN_THIS_PROCESS: list[fleet.AuditItem] = []


def rate_limited_once(item: fleet.AuditItem) -> dict:
    CHECKS_IN_THIS_PROCESS.append(item)
    retry = 2 if len(CHECKS_IN_THIS_PROCESS) == 1 else None
    return fleet.unreadable_line(item, "rate limited by the Hub (HTTP 429)", None, retry)


def check_through(gate: fleet.RateGate) -> None:
    fleet.RateGate.checked(gate, fleet.AuditItem("org/a", "hub", "hf://org/a"), rate_limited_once)


# -- the pool -----------------------------------------------------------------------------------

def test_results_come_in_order_from_every_worker_process() -> None:
    with fleet.ProcessThreadPool([3, 3], fleet.RateGate.across_processes(SPAWN), SPAWN) as pool:
        lines = [line for line, _ in fleet.checked_in_order(range(60), pid_of_check, pool, 6)]
    assert [line["item"] for line in lines] == list(range(60))
    assert len({line["pid"] for line in lines}) == 2 and os.getpid() not in {line["pid"] for line in lines}


def test_an_error_in_a_check_reaches_the_caller_and_the_pool_goes_on() -> None:
    with fleet.ProcessThreadPool([2, 2], fleet.RateGate.across_processes(SPAWN), SPAWN) as pool:
        futures = [pool.submit(fails_on_seven, item) for item in range(10)]
        with pytest.raises(ValueError, match="seven"):
            futures[7].result(timeout=60)
        assert [futures[item].result(timeout=60)[0]["item"] for item in (0, 9)] == [0, 9]


def test_a_worker_process_that_dies_fails_the_waiting_futures_instead_of_hanging() -> None:
    with fleet.ProcessThreadPool([1], fleet.RateGate.across_processes(SPAWN), SPAWN) as pool:
        futures = [pool.submit(dies_on_three, item) for item in range(6)]
        with pytest.raises(RuntimeError, match="exit code 9"):
            futures[5].result(timeout=60)


def long_result(item: int, gate: fleet.RateGate) -> tuple[dict, bool]:
    return {"item": item, "text": "x" * (1 << 20)}, False  # far more than a pipe holds (64 KiB)


class HeldCollector(fleet.ProcessThreadPool):
    """A pool whose collector starts reading only when the test lets it: a worker sending a long
    result fills its pipe and waits there, halfway through the message."""

    def __init__(self, *args: object) -> None:
        self.reading = threading.Event()
        super().__init__(*args)  # type: ignore[arg-type]

    def collect(self) -> None:
        self.reading.wait()
        super().collect()


def bytes_waiting(fd: int) -> int:
    waiting = array.array("i", [0])
    fcntl.ioctl(fd, termios.FIONREAD, waiting)
    return waiting[0]


def test_a_worker_killed_halfway_through_sending_a_result_fails_the_waiting_futures() -> None:
    """Killed (out of memory, say) with part of a long result sent: the rest never comes, and
    reading on would wait for ever; the end of its pipe says it is gone."""
    with HeldCollector([1], fleet.RateGate.across_processes(SPAWN), SPAWN) as pool:
        futures = [pool.submit(long_result, item) for item in range(3)]
        deadline = time.monotonic() + 60
        while bytes_waiting(pool.results[0].fileno()) < 4096 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert bytes_waiting(pool.results[0].fileno()) >= 4096  # part of the first result is in the pipe
        os.kill(pool.workers[0].pid, signal.SIGKILL)
        pool.workers[0].join(60)
        pool.reading.set()
        with pytest.raises(RuntimeError, match="killed by SIGKILL"):
            futures[0].result(timeout=60)
    assert not pool.collector.is_alive() and all(not future.running() and future.done() for future in futures)


DIES_IN_A_RUN = textwrap.dedent("""
    import multiprocessing, os
    from cardguard.run import audit as fleet

    def dies(item, gate):
        if item == 3:
            os._exit(9)
        return {"item": item}, False

    if __name__ == "__main__":
        spawn = multiprocessing.get_context("spawn")
        for _ in range(5):  # the worker may die while it sends a result (holding the queue's lock) or not
            with fleet.ProcessThreadPool([1], fleet.RateGate.across_processes(spawn), spawn) as pool:
                futures = [pool.submit(dies, item) for item in range(6)]
                try:
                    futures[5].result(timeout=60)
                except RuntimeError as error:
                    print(error)
""")


def test_a_run_whose_worker_process_died_still_exits(tmp_path: Path) -> None:
    """A worker killed mid-run may hold the lock of the queue results come back on: the pool
    must not put anything more on it, and the exit must not wait for what it put."""
    script = tmp_path / "dies.py"
    script.write_text(DIES_IN_A_RUN)
    root = Path(fleet.__file__).parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("exit code 9") == 5


POOL_IN_A_RUN = textwrap.dedent("""
    import multiprocessing, sys, time
    from concurrent.futures import ProcessPoolExecutor
    from cardguard.run import audit as fleet

    def done(item, gate=None):
        return {"item": item}, False

    if __name__ == "__main__":
        spawn = multiprocessing.get_context("spawn")
        if sys.argv[1] == "hub":
            pool = fleet.ProcessThreadPool([2, 2], fleet.RateGate.across_processes(spawn), spawn)
            [future.result(timeout=60) for future in [pool.submit(done, item) for item in range(8)]]
        else:
            pool = ProcessPoolExecutor(2, spawn, initializer=fleet.install_work, initargs=(done,))
            list(pool.map(fleet.installed_work, range(20)))
        print(*[worker.pid for worker in multiprocessing.active_children()], flush=True)
        time.sleep(600)  # the workers wait for their next task
""")


def running(pid: int) -> bool:
    """Whether ``pid`` runs: not gone, and not a zombie nobody reaped (a container's first
    process may not reap the orphans it inherits)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


@pytest.mark.parametrize("pool", ["hub", "local"])
def test_the_worker_processes_end_when_the_audit_is_killed(tmp_path: Path, pool: str) -> None:
    """Killed, or stopped by a SIGTERM (``timeout``, a CI runner), the audit's process cleans
    nothing up: its workers, waiting for their next task, must not wait for ever."""
    script = tmp_path / "pool.py"
    script.write_text(POOL_IN_A_RUN)
    root = Path(fleet.__file__).parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
    run = subprocess.Popen([sys.executable, str(script), pool], stdout=subprocess.PIPE, text=True, env=env)
    try:
        workers = [int(pid) for pid in run.stdout.readline().split()]  # type: ignore[union-attr]
        assert len(workers) >= 2 and all(running(pid) for pid in workers)
    finally:
        run.kill()
        run.wait(60)
    deadline = time.monotonic() + 60
    while any(running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(running(pid) for pid in workers)


def test_a_429_seen_in_one_process_pauses_the_others() -> None:
    gate = fleet.RateGate.across_processes(SPAWN)
    child = SPAWN.Process(target=check_through, args=(gate,))
    child.start()
    deadline = time.monotonic() + 60
    while gate.until == 0 and time.monotonic() < deadline:  # the child's check got its 429
        time.sleep(0.01)
    slept: list[float] = []
    here = fleet.RateGate(sleep=lambda seconds: slept.append(seconds) or time.sleep(seconds), deadline=gate.deadline)
    here.wait()  # this process asks next: it waits out the child's Retry-After (a deadline not
    # shared would leave gate.until at 0 here: the loop above gives up and nothing is slept)
    child.join(60)
    assert child.exitcode == 0 and 1 < sum(slept) <= 2



# -- the local workers: their work given once per process ---------------------------------------

class CountingWork:
    """Work that counts the repos it was given: a copy pickled with each repo would count 1 each time."""

    def __init__(self) -> None:
        self.done = 0

    def __call__(self, item: int) -> tuple[dict, bool]:
        self.done += 1
        return {"item": item, "pid": os.getpid(), "done": self.done}, False


def test_a_local_worker_process_keeps_its_work_from_one_repo_to_the_next() -> None:
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(2, SPAWN, initializer=fleet.install_work, initargs=(CountingWork(),)) as pool:
        lines = [line for line, _ in fleet.checked_in_order(range(20), fleet.installed_work, pool, 2)]
    assert [line["item"] for line in lines] == list(range(20))
    for pid in {line["pid"] for line in lines}:
        counts = sorted(line["done"] for line in lines if line["pid"] == pid)
        assert counts == list(range(1, len(counts) + 1))  # one work per process, counting on
    assert max(line["done"] for line in lines) > 1



def test_a_local_worker_process_leaves_ctrl_c_to_the_audit() -> None:
    """Ctrl-C reaches the whole process group. A worker that took it as its own printed a
    traceback, or stopped while it held the lock of the queue results go back on, and the
    others and the audit's exit then waited for it for ever; the audit stops its workers."""
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, SPAWN, initializer=fleet.install_work, initargs=(CountingWork(),)) as pool:
        first, _ = pool.submit(fleet.installed_work, 1).result(timeout=60)
        os.kill(first["pid"], signal.SIGINT)
        time.sleep(0.5)  # the signal is delivered; an idle worker taking it would stop here
        second, _ = pool.submit(fleet.installed_work, 2).result(timeout=60)
    assert (second["pid"], second["done"]) == (first["pid"], 2)


def test_a_hub_worker_process_leaves_ctrl_c_to_the_audit() -> None:
    with fleet.ProcessThreadPool([1], fleet.RateGate.across_processes(SPAWN), SPAWN) as pool:
        first, _ = pool.submit(pid_of_check, 1).result(timeout=60)
        os.kill(first["pid"], signal.SIGINT)
        time.sleep(0.5)
        second, _ = pool.submit(pid_of_check, 2).result(timeout=60)
    assert second["pid"] == first["pid"]
