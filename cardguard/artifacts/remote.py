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
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from cardguard.artifacts.files import ReadContext, is_plain_relative
from cardguard.budget import budget_spent, spent_message, time_left
from cardguard.artifacts.lfs import MAX_POINTER_BYTES, parse_lfs_pointer
from cardguard.record import Record, factory
from cardguard.safe_paths import Refused, open_for_reading

REMOTE_SUFFIXES = (".safetensors",)


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
    """A read-only file whose ``read(n)`` fetches the next ``n`` bytes with one range request."""

    def __init__(self, source: HubSource, filename: str, size: int) -> None:
        self.source, self.filename, self.size = source, filename, size
        self.position = 0
        # the file's own deadline, or the run's (--timeout) when that comes first
        self.deadline = time.monotonic() + time_left(source.file_deadline)

    def read(self, count: int = -1) -> bytes:
        if count < 0:
            count = self.size - self.position
        count = min(count, self.size - self.position)
        if count <= 0:
            return b""
        data = fetch_range(self.source, self.filename, self.position, count, self.deadline)
        self.position += len(data)
        return data

    def close(self) -> None:
        self.position = self.size

    def __enter__(self) -> "RangeReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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
        if response.status_code not in (200, 206):
            raise OSError(f"HTTP {response.status_code} from {url}")
        skip = start if response.status_code == 200 else 0  # a server that ignores Range
        return _collect(response, skip, count, deadline, url)


def _collect(response: Any, skip: int, count: int, deadline: float, url: str) -> bytes:
    buffer = bytearray()
    for chunk in response.iter_bytes():
        if time.monotonic() > deadline:
            raise OSError(f"timed out reading {url}")
        buffer += chunk
        if len(buffer) >= skip + count:
            break
    data = bytes(buffer[skip:skip + count])
    if len(data) < count:
        raise OSError(f"{url} ended after {len(data)} of {count} bytes")
    return data


class RemoteReadContext(ReadContext):
    """A ReadContext that opens LFS pointers to safetensors files on the Hub instead."""

    hub: HubSource | None = None
    remote_files: list[str] = factory(list)

    def open_binary(self, relative: str) -> Any:
        if self.hub is not None and relative.endswith(REMOTE_SUFFIXES):
            size = self._pointer_size(relative)
            if size is not None:
                self.note_read(relative)
                self.remote_files.append(relative)
                return RangeReader(self.hub, relative, size), size
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
