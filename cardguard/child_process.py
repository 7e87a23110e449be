"""Run one piece of work in a forked child under a wall-clock and an address-space bound.

For work whose cost the repository being checked decides and that cannot stop itself midway:
an organisation schema's evaluation (``anyOf`` over ``$ref`` recursion is exponential in the
metadata's depth), a repository template's render. The child is killed when its time is
up; where there is no ``fork`` (Windows) the work runs here, unbounded.
"""

from __future__ import annotations

import os
import select
import signal
import time
from collections.abc import Callable

from cardguard.safe_paths import write_descriptor


class ChildFailed(Exception):
    """The work raised in the child, or the child went over its memory bound; one line."""


class ChildTimedOut(Exception):
    """The child was still working when its time was up and was killed."""


def call_bounded(work: Callable[[], str], seconds: float, memory: int,
                 describe: Callable[[BaseException], str] | None = None) -> str:
    """``work()`` run in a child that may add ``memory`` bytes of address space and must
    answer within ``seconds``; its text, or ChildFailed / ChildTimedOut. ``describe`` words
    an exception raised in the child as ChildFailed's message (default: its type, its text
    and, for MemoryError, the bound)."""
    if not hasattr(os, "fork"):  # pragma: no cover - Windows
        return work()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child, which leaves by os._exit
        os.close(read_end)
        _run_child(work, memory, describe or _describer(memory), write_end)
    os.close(write_end)
    data, finished = b"", False
    try:
        data, finished = _read_until(read_end, time.monotonic() + seconds)
    finally:
        os.close(read_end)
        _reap(pid, kill=not finished)
    if not finished:
        raise ChildTimedOut(f"stopped after {seconds:.1f} s")
    if data[:1] == b"o":
        return data[1:].decode("utf-8")
    raise ChildFailed(data[1:].decode("utf-8", "replace") or "the child process failed")


def _describer(memory: int) -> Callable[[BaseException], str]:
    def describe(error: BaseException) -> str:
        if isinstance(error, MemoryError):
            return f"over the {memory // 2**20} MiB memory bound"
        return f"{type(error).__name__}: {error}"[:300]

    return describe


def _run_child(work: Callable[[], str], memory: int, describe: Callable[[BaseException], str],
               write_end: int) -> None:  # pragma: no cover
    reply = b"e"
    try:
        _limit_memory(memory)
        reply = b"o" + work().encode("utf-8")
    except BaseException as error:  # noqa: BLE001 - whatever happens, the child leaves below
        reply = b"e" + describe(error).encode("utf-8", "replace")
    finally:
        try:
            write_descriptor(write_end, reply)
        finally:
            os._exit(0)


def _limit_memory(extra: int) -> None:  # pragma: no cover - runs in the child
    """Cap the child's address space at what it has now plus ``extra`` bytes (Linux)."""
    try:
        import resource

        with open("/proc/self/status") as status:
            size_kb = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
        resource.setrlimit(resource.RLIMIT_AS, (size_kb * 1024 + extra, resource.getrlimit(resource.RLIMIT_AS)[1]))
    except (ImportError, OSError, ValueError, StopIteration):
        pass  # no /proc or no setrlimit: the time bound still holds


def _read_until(descriptor: int, deadline: float) -> tuple[bytes, bool]:
    """Everything written to the pipe until EOF, and False if the deadline came first."""
    chunks: list[bytes] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([descriptor], [], [], left)[0]:
            return b"".join(chunks), False
        chunk = os.read(descriptor, 65536)
        if not chunk:
            return b"".join(chunks), True
        chunks.append(chunk)


def _reap(pid: int, kill: bool) -> None:
    """Wait for the child (which closed its pipe, so is leaving), or kill it first."""
    if kill:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    os.waitpid(pid, 0)
