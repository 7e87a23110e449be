"""Safetensors headers range-read from a hostile Hub: bounded time and memory, a clear answer.

``cardguard check hf://ORG/NAME`` runs in a measured child (helpers.run_cli: its own peak RSS)
pointed at a fake Hub (tests/hub/server.py) whose weights are hostile, or whose server is:
headers declaring 2^63 bytes, lying or endless replies, a redirect loop, a slow drip, a storm
of HTTP 429, malformed JSON. Each ends in bounded time and memory with a finding that names
the rule and the file's Hub path, or exit 2 with one line; never a traceback.
"""

from __future__ import annotations

import itertools
import json
import os
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hostile.helpers import ROOT, CliRun, assert_clean_failure, run_cli
from hub.endpoints import Reply, Request
from hub.server import FakeHub, Interceptor

from cardguard.artifacts.remote import READ_AHEAD_WORKERS, SPECULATIVE_READ_BYTES
from cardguard.limits import SAFETENSORS_HEADER_LIMIT

REPO = "org/hostile"
CARD = b"---\nlicense: mit\n---\n# Model\n\nMy words.\n"
TIME_LIMIT_S = 30  # a child's imports, the listing, the card and one header, on a busy machine
MEMORY_LIMIT_MB = 150  # the interpreter, huggingface_hub and cardguard peak at ~45 MB


def safetensors_file(header: bytes, data_bytes: int = 0) -> bytes:
    return struct.pack("<Q", len(header)) + header + bytes(data_bytes)


def valid_shard(tensor: str) -> bytes:
    header = {"__metadata__": {"format": "pt"}, tensor: {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}}
    return safetensors_file(json.dumps(header).encode(), 24)


VALID = valid_shard("w")


def serve(files: dict[str, bytes]) -> FakeHub:
    return FakeHub({REPO: {"main": {"README.md": CARD, **files}}})


def check_hub(hub: FakeHub, home: Path, *args: str) -> tuple[CliRun, float]:
    """``cardguard check hf://REPO --format json``, online against ``hub``; the run and its wall time."""
    env = {**hub.client_env(home, dict(os.environ)), "HF_HUB_OFFLINE": "0", "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    run = run_cli(["check", f"hf://{REPO}", "--format", "json", *args], home, env=env)
    return run, time.monotonic() - started


def weights_findings(hub: FakeHub, run: CliRun, name: str = "model.safetensors") -> list[tuple[str, str]]:
    """(code, message) of each finding on the weights file ``name``, at its Hub path."""
    path = f"hf://{REPO}@{hub.sha(REPO)}/{name}"
    return [(item["code"], item["message"]) for item in json.loads(run.stdout)["findings"] if item["path"] == path]


def assert_bounded(run: CliRun, wall: float, seconds: float = TIME_LIMIT_S) -> None:
    if run.returncode:
        assert_clean_failure(run)
    assert "Traceback" not in run.stderr, run.stderr
    assert wall < seconds, wall
    assert 0 < run.peak_mb < MEMORY_LIMIT_MB, run.peak_mb


# -- what the file says --------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "code", "words"), [
    (struct.pack("<Q", 2**63) + bytes(24), "CG303", f"declares a {2**63}-byte header, over the format's"),
    (struct.pack("<Q", SAFETENSORS_HEADER_LIMIT + 1) + bytes(24), "CG303",
     f"declares a {SAFETENSORS_HEADER_LIMIT + 1}-byte header, over the format's"),
    (struct.pack("<Q", 50_000) + b"{}", "CG303", "declares a 50000-byte header but the file has only 10 bytes"),
    (b"\x01\x02", "CG302", "shorter than the 8-byte header length"),
    (safetensors_file(b'{"w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]'), "CG302", "not valid JSON"),
    (safetensors_file(b"[1, 2, 3]"), "CG302", "a JSON list, not an object"),
    (safetensors_file(b'{"w": "\xff\xfe"}'), "CG302", "not UTF-8"),
])
def test_a_hostile_header_is_a_finding_at_its_hub_path(home: Path, data: bytes, code: str, words: str) -> None:
    with serve({"model.safetensors": data}) as hub:
        run, wall = check_hub(hub, home)
        assert_bounded(run, wall)
        found = weights_findings(hub, run)
        assert [item for item, _ in found] == [code], run.stdout
        assert words in found[0][1], found
        # the length was judged from the first read: nothing past it was asked for
        reads = [record for record in hub.requests if record.server == "cdn"]
        assert len(reads) == 1 and reads[0].range == f"bytes=0-{min(len(data), SPECULATIVE_READ_BYTES) - 1}"


def long_header_file() -> tuple[bytes, int]:
    """A valid safetensors file whose header is longer than the first read, and that length."""
    names = {f"tensor.{number:06d}.with.a.long.name.to.fill.the.header": number for number in range(2500)}
    header = json.dumps({name: {"dtype": "F32", "shape": [1], "data_offsets": [4 * n, 4 * n + 4]}
                         for name, n in names.items()}).encode()
    assert len(header) > SPECULATIVE_READ_BYTES
    return safetensors_file(header, 4 * len(names)), len(header)


def test_a_header_longer_than_the_first_read_takes_one_more_request_for_the_rest(home: Path) -> None:
    data, header_length = long_header_file()
    with serve({"model.safetensors": data}) as hub:
        run, wall = check_hub(hub, home)
        assert_bounded(run, wall)
        assert weights_findings(hub, run) == []
        ranges = [record.range for record in hub.requests if record.server == "cdn"]
        assert ranges == [f"bytes=0-{SPECULATIVE_READ_BYTES - 1}",
                          f"bytes={SPECULATIVE_READ_BYTES}-{8 + header_length - 1}"]


def test_a_long_header_from_a_server_that_ignores_range_is_read_from_the_start_of_each_reply(home: Path) -> None:
    data, _ = long_header_file()
    with serve({"model.safetensors": data}) as hub:
        hub.interceptors.append(lambda request: Reply(200, {}, endless(data)) if request.server == "cdn" else None)
        run, wall = check_hub(hub, home)
        assert_bounded(run, wall)
        assert weights_findings(hub, run) == []
        assert len([record for record in hub.requests if record.server == "cdn"]) == 2


# -- what the server does ----------------------------------------------------------------------


def on_weights(reply: Reply) -> Interceptor:
    """An interceptor answering every request for the LFS bytes (the "CDN" port) with ``reply``."""
    def intercept(request: Request) -> Reply | None:
        return reply if request.server == "cdn" else None
    return intercept


def endless(prefix: bytes) -> Iterator[bytes]:
    """``prefix``, then zeros in 1 MiB chunks until the client hangs up (or 4 GiB: a bug's stop)."""
    yield prefix
    yield from itertools.repeat(bytes(2**20), 4096)


def drip(data: bytes) -> Iterator[bytes]:
    for byte in data[:60]:  # at most a minute: the test's server thread ends too
        time.sleep(1.0)
        yield bytes([byte])


@pytest.mark.parametrize(("behaviour", "reply", "expected"), [
    # Range ignored: 200 and the whole (endless) body; the first bytes are the file's, so it reads fine
    ("range ignored, endless body", Reply(200, {}, endless(VALID)), []),
    # a Content-Length far larger than what comes: the bytes asked for came, the rest is not awaited
    ("huge Content-Length", Reply(206, {"Content-Length": str(10**15)}, [VALID]), []),
    # a Content-Length smaller than the bytes asked for: the reply ends early
    ("short Content-Length", Reply(206, {"Content-Length": "4"}, [VALID]), [("CG001", "ended after 4 of")]),
    ("HTTP 500", Reply(500, {}, b"oops"), [("CG001", "HTTP 500")]),
])
def test_a_hostile_reply_is_bounded_and_clear(home: Path, behaviour: str, reply: Reply,
                                              expected: list[tuple[str, str]]) -> None:
    with serve({"model.safetensors": VALID}) as hub:
        hub.interceptors.append(on_weights(reply))
        run, wall = check_hub(hub, home)
        assert_bounded(run, wall)
        found = weights_findings(hub, run)
        assert [code for code, _ in found] == [code for code, _ in expected], (behaviour, found)
        assert all(words in message for (_, message), (_, words) in zip(found, expected)), found


def test_a_redirect_loop_is_a_finding_after_a_bounded_number_of_requests(home: Path) -> None:
    def loop(request: Request) -> Reply | None:
        if request.server == "hub" and "model.safetensors" in request.path and request.method == "GET":
            return Reply(302, {"Location": request.path}, b"")
        return None

    with serve({"model.safetensors": VALID}) as hub:
        hub.interceptors.append(loop)
        run, wall = check_hub(hub, home)
        assert_bounded(run, wall)
        found = weights_findings(hub, run)
        assert [code for code, _ in found] == ["CG001"] and "redirect" in found[0][1].lower(), found
        assert 1 < len(hub.requests_to("model.safetensors", "GET")) <= 30


def test_a_slow_drip_ends_at_the_run_deadline(home: Path) -> None:
    with serve({"model.safetensors": VALID}) as hub:
        hub.interceptors.append(on_weights(Reply(206, {"Content-Length": str(len(VALID))}, drip(VALID))))
        run, wall = check_hub(hub, home, "--timeout", "6")
        assert_bounded(run, wall, seconds=20)
        found = weights_findings(hub, run)
        assert [code for code, _ in found] == ["CG001"], found
        assert "timed out" in found[0][1] and "the run's time budget of 6 s is spent" in found[0][1], found


def test_a_429_storm_stops_the_read_ahead_and_says_when_to_retry(home: Path) -> None:
    shards = {f"model-{n:05d}-of-00040.safetensors": valid_shard(f"w{n}") for n in range(1, 41)}
    index = {"metadata": {"total_size": 24 * 40},
             "weight_map": {f"w{n}": name for n, name in enumerate(shards, start=1)}}
    with serve({**shards, "model.safetensors.index.json": json.dumps(index).encode()}) as hub:
        # the shards only: a 429 on the index is hub_repo.py's to answer (exit 2), not the header reader's
        hub.fail(429, Retry_After="30", method="GET", path_contains="-of-00040.safetensors")
        run, wall = check_hub(hub, home)
        assert_bounded(run, wall)
        for name in shards:
            found = weights_findings(hub, run, name)
            assert [code for code, _ in found] == ["CG001"], (name, found)
            assert "rate limited by the Hub (HTTP 429); retry after 30 s" in found[0][1], found
        # the storm is not fed: once a 429 came back, no other shard was asked for
        asked = [record for record in hub.requests if record.path.endswith(".safetensors")]
        assert 1 <= len(asked) <= READ_AHEAD_WORKERS, len(asked)
