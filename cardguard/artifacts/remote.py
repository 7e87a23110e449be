"""Safetensors headers of files on the Hub, read by HTTP range requests.

CI checkouts usually hold Git LFS pointers instead of weights. Given the Hub repository the
folder mirrors (``--hub-repo``), a pointer to a ``.safetensors`` file is opened remotely: the
8-byte length and the JSON header are fetched with ``Range`` requests (never the tensor data)
and parsed by the same reader as a local file (cardguard/artifacts/safetensors.py). Only the
HTTP part lives here; huggingface_hub is imported on this path only, and supplies the URL
(``HF_ENDPOINT``), the auth headers (``HF_TOKEN``, the saved login) and the HTTP client.

Every request has a timeout and every file a deadline; whatever fails (offline mode, HTTP
errors, a server that hangs, trickles or sends garbage) becomes an ``OSError`` that the reader
reports as a finding.

A checkpoint of many shards is read ahead (:class:`HeadReadAhead`): when the weights reader
announces the shards it is about to open (``ReadContext.reading_ahead``), the first
``SPECULATIVE_READ_BYTES`` of each are fetched by a few threads at once, so a shard usually
costs one range request, made while the shards before it are parsed; a header longer than that
takes a second request, for the missing part only. huggingface_hub's
``get_safetensors_metadata`` does the same (100 kB first, a thread pool over the shards).
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from contextvars import copy_context
from pathlib import Path
from typing import Any

from cardguard.artifacts.files import ReadContext, is_plain_relative
from cardguard.budget import budget_spent, spent_message, time_left
from cardguard.artifacts.lfs import MAX_POINTER_BYTES, parse_lfs_pointer
from cardguard.record import Record, factory
from cardguard.safe_paths import Refused, open_for_reading

REMOTE_SUFFIXES = (".safetensors",)
# The first read of a shard read ahead. huggingface_hub measured that 97% of the safetensors
# headers of the top 1000 Hub models are under 100 kB, and reads 100 kB first
# (HfApi.parse_safetensors_file_metadata); the same bound makes no more requests than it does.
SPECULATIVE_READ_BYTES = 100_000
# Shards fetched at once: the waits are the network's, not the CPU's, and a few connections
# hide the round trips without opening hundreds to one server. The standard library's default
# for such pools (ThreadPoolExecutor), which huggingface_hub's thread map uses too: 6 on two cores.
READ_AHEAD_WORKERS = min(32, (os.cpu_count() or 1) + 4)
# Heads fetched but not yet parsed, at most: bounds the memory of a read ahead (1.2 to 6.4 MB).
READ_AHEAD_WINDOW = 2 * READ_AHEAD_WORKERS


class RateLimited(OSError):
    """The Hub answered HTTP 429: asking again at once, for this file or another, is pointless."""


class HubSource(Record, frozen=True):
    """Where the weights of a model folder live on the Hub."""

    repo_id: str
    revision: str = "main"
    subfolder: str = ""  # the model folder's path inside the Hub repo
    request_timeout: float = 10.0  # seconds to connect, and between two received chunks
    file_deadline: float = 30.0  # seconds for all requests of one file


def hub_source_for(repo_id: str, revision: str | None, model_dir: Path) -> HubSource:
    """The Hub location of a model folder: ``repo_id`` at ``revision``, the folder's path inside
    it being its path inside the git work tree that holds it (a clone of the Hub repo keeps
    the layout); a folder outside any work tree is the repo's root."""
    folder = model_dir.resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            inside = folder.relative_to(candidate).as_posix()
            return HubSource(repo_id, revision or "main", "" if inside == "." else inside)
    return HubSource(repo_id, revision or "main")


class RangeReader:
    """A read-only file whose ``read(n)`` fetches the next ``n`` bytes with one range request,
    after the bytes already fetched by a read ahead (``head``), or raises the error that read
    ahead met (``failure``) rather than asking the server again."""

    def __init__(self, source: HubSource, filename: str, size: int, head: bytes = b"",
                 failure: OSError | None = None) -> None:
        self.source, self.filename, self.size = source, filename, size
        self.head, self.failure = head, failure
        self.position = 0
        # the file's own deadline, or the run's (--timeout) when that comes first
        self.deadline = file_deadline(source)

    def read(self, count: int = -1) -> bytes:
        if self.failure is not None:
            raise self.failure
        if count < 0:
            count = self.size - self.position
        count = min(count, self.size - self.position)
        if count <= 0:
            return b""
        data = self.head[self.position:self.position + count]
        if len(data) < count:
            start = self.position + len(data)
            data += fetch_range(self.source, self.filename, start, count - len(data), self.deadline)
        self.position += len(data)
        return data

    def close(self) -> None:
        self.position = self.size

    def __enter__(self) -> "RangeReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def file_deadline(source: HubSource) -> float:
    """When reading one file must be done: its own deadline or the run's, on the monotonic clock."""
    return time.monotonic() + time_left(source.file_deadline)


def file_url(source: HubSource, filename: str) -> str:
    from huggingface_hub import hf_hub_url

    path = f"{source.subfolder.strip('/')}/{filename}" if source.subfolder.strip("/") else filename
    return hf_hub_url(source.repo_id, path, revision=source.revision)


def fetch_range(source: HubSource, filename: str, start: int, count: int, deadline: float) -> bytes:
    """Bytes ``start`` to ``start + count - 1`` of a Hub file; OSError on any failure."""
    left = min(deadline - time.monotonic(), time_left(source.request_timeout))
    if left <= 0:
        raise OSError(f"{filename}: not read: {spent_message() if budget_spent() else 'its deadline passed'}")
    try:
        return _fetch(file_url(source, filename), start, count, min(source.request_timeout, left), deadline)
    except OSError:
        raise
    except Exception as error:  # httpx errors, huggingface_hub errors: all mean "not available"
        raise OSError(f"{type(error).__name__}: {error}") from None


def _fetch(url: str, start: int, count: int, timeout: float, deadline: float) -> bytes:
    from huggingface_hub import get_session
    from huggingface_hub.utils import build_hf_headers

    headers = {**build_hf_headers(), "Range": f"bytes={start}-{start + count - 1}"}
    with get_session().stream("GET", url, headers=headers, timeout=timeout, follow_redirects=True) as response:
        if response.status_code == 429:
            raise RateLimited(rate_limit_message(response))
        if response.status_code not in (200, 206):
            raise OSError(f"HTTP {response.status_code} from {url}")
        skip = start if response.status_code == 200 else 0  # a server that ignores Range
        return _collect(response, skip, count, deadline, url)


SHORT_HEADER = 20  # digits of a Content-Length or Retry-After worth reading as a number


def rate_limit_message(response: Any) -> str:
    """What a 429 says, with its Retry-After when that is a number of seconds."""
    wait = retry_after(response)
    return "rate limited by the Hub (HTTP 429)" + (f"; retry after {wait} s" if wait is not None else "")


def retry_after(response: Any) -> int | None:
    """A Retry-After given in seconds (the Hub's form); None for a date or anything else."""
    value = response.headers.get("Retry-After", "").strip()
    return int(value) if value.isdigit() and len(value) <= SHORT_HEADER else None


def _collect(response: Any, skip: int, count: int, deadline: float, url: str) -> bytes:
    buffer = bytearray()
    for chunk in response.iter_bytes():
        if time.monotonic() > deadline:
            # the run's budget (--timeout) is the deadline of every file still being read ahead
            raise OSError(f"timed out reading {url}" + (f": {spent_message()}" if budget_spent() else ""))
        buffer += chunk
        if len(buffer) >= skip + count:
            break
    data = bytes(buffer[skip:skip + count])
    if len(data) < count:
        raise OSError(f"{url} ended after {len(data)} of {count} bytes")
    return data


class HeadReadAhead:
    """The first bytes of files about to be opened in a known order, fetched by a few threads.

    At most ``READ_AHEAD_WINDOW`` heads are asked for before they are taken (``take``, in the
    order given), so memory stays bounded however many shards an index names. Each fetch runs
    under the deadline its file would have had, counted from when it is asked for, in the
    caller's context (the run's budget). After an HTTP 429 nothing more is asked for: the files
    not yet fetched fail with the same message.
    """

    def __init__(self, source: HubSource, sizes: dict[str, int]) -> None:
        self.source = source
        self.waiting = deque(sizes.items())  # (relative path, size), not asked for yet
        self.asked: dict[str, Future[bytes]] = {}
        self.refusal: RateLimited | None = None
        self.lock = threading.Lock()  # guards ``refusal``, set by the fetching threads
        self.pool = ThreadPoolExecutor(min(READ_AHEAD_WORKERS, len(sizes)), thread_name_prefix="cardguard-head")
        self._ask_for_more()

    def take(self, relative: str) -> tuple[bytes, OSError | None] | None:
        """The head of ``relative`` and the error that fetching it met, or None for a file this
        read ahead was not given (or was given and already taken)."""
        future = self.asked.pop(relative, None)
        if future is None:
            return None
        try:
            head, failure = future.result(), None
        except OSError as error:
            head, failure = b"", error
        self._ask_for_more()
        return head, failure

    def _ask_for_more(self) -> None:
        while self.waiting and len(self.asked) < READ_AHEAD_WINDOW:
            relative, size = self.waiting.popleft()
            count, deadline = min(size, SPECULATIVE_READ_BYTES), file_deadline(self.source)
            self.asked[relative] = self.pool.submit(copy_context().run, self._fetch_head, relative, count, deadline)

    def _fetch_head(self, relative: str, count: int, deadline: float) -> bytes:
        with self.lock:
            refusal = self.refusal
        if refusal is not None:
            raise RateLimited(f"not asked: {refusal}")
        if count == 0:
            return b""
        try:
            return fetch_range(self.source, relative, 0, count, deadline)
        except RateLimited as error:
            with self.lock:
                self.refusal = self.refusal or error
            raise

    def __enter__(self) -> HeadReadAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        # heads not taken (the reader stopped early) are dropped; one in flight ends by its deadline
        self.waiting.clear()
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.asked.clear()


class RemoteReadContext(ReadContext):
    """A ReadContext that opens LFS pointers to safetensors files on the Hub instead."""

    hub: HubSource | None = None
    remote_files: list[str] = factory(list)
    read_ahead: HeadReadAhead | None = None  # of the files being read now

    def reading_ahead(self, relatives: list[str]) -> Any:
        """Fetch the heads of the LFS pointers among ``relatives`` (safetensors files about to
        be opened in this order) while the earlier ones are parsed; for the ``with`` block."""
        sizes = {relative: size for relative in relatives
                 if self.hub is not None and relative.endswith(REMOTE_SUFFIXES)
                 if (size := self._pointer_size(relative)) is not None}
        if self.hub is None or not sizes:
            return nullcontext()
        self.read_ahead = HeadReadAhead(self.hub, sizes)
        return self.read_ahead

    def open_binary(self, relative: str) -> Any:
        if self.hub is not None and relative.endswith(REMOTE_SUFFIXES):
            size = self._pointer_size(relative)
            if size is not None:
                self.note_read(relative)
                self.remote_files.append(relative)
                taken = self.read_ahead.take(relative) if self.read_ahead is not None else None
                head, failure = taken if taken is not None else (b"", None)
                return RangeReader(self.hub, relative, size, head, failure), size
        return super().open_binary(relative)

    def _pointer_size(self, relative: str) -> int | None:
        """The size an LFS pointer file names; None for anything else (the local read that
        follows then reports what is wrong with the file)."""
        if not is_plain_relative(relative):
            return None
        try:
            handle, _ = open_for_reading(os.path.join(self.root, relative), self.root)
            with handle:
                pointer = parse_lfs_pointer(handle.read(MAX_POINTER_BYTES + 1))
        except (OSError, Refused):
            return None
        return pointer.size if pointer is not None else None
