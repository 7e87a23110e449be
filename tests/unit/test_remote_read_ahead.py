"""The read ahead of remote safetensors headers (cardguard/artifacts/remote.py), without a server.

``fetch_range`` (remote.py's one function that makes a request) is replaced by a recorder, so
these tests see exactly which byte ranges would be asked for, and when.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from cardguard.artifacts import remote
from cardguard.artifacts.remote import (READ_AHEAD_WINDOW, SPECULATIVE_READ_BYTES, HeadReadAhead, HubSource,
                                        RangeReader, RateLimited)

SOURCE = HubSource("org/name", "main")


class Recorder:
    """Stands for fetch_range: records (file, start, count) and answers with bytes of the file's
    name, or raises ``failure`` for the files named in ``failing``."""

    def __init__(self, failure: OSError | None = None, failing: frozenset[str] = frozenset()) -> None:
        self.calls: list[tuple[str, int, int]] = []
        self.lock = threading.Lock()
        self.failure, self.failing = failure, failing

    def __call__(self, source: HubSource, filename: str, start: int, count: int, deadline: float) -> bytes:
        with self.lock:
            self.calls.append((filename, start, count))
        if self.failure is not None and filename in self.failing:
            raise self.failure
        return (filename.encode() * (start + count))[start:start + count]


@pytest.fixture()
def recorder(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    recording = Recorder()
    monkeypatch.setattr(remote, "fetch_range", recording)
    yield recording


def test_a_range_reader_serves_its_head_then_asks_only_for_the_rest(recorder: Recorder) -> None:
    head = b"model.safetensors" * 2
    reader = RangeReader(SOURCE, "model.safetensors", 1000, head=head)
    assert reader.read(8) == head[:8]
    assert reader.read(50) == head[8:] + (b"model.safetensors" * 4)[len(head):58]
    assert recorder.calls == [("model.safetensors", len(head), 58 - len(head))]


def test_a_range_reader_without_a_head_asks_for_what_is_read(recorder: Recorder) -> None:
    reader = RangeReader(SOURCE, "a.safetensors", 100)
    reader.read(8)
    reader.read(20)
    assert recorder.calls == [("a.safetensors", 0, 8), ("a.safetensors", 8, 20)]


def test_a_failed_read_ahead_is_raised_by_the_first_read_without_asking_again(recorder: Recorder) -> None:
    reader = RangeReader(SOURCE, "a.safetensors", 100, failure=OSError("HTTP 500 from there"))
    with pytest.raises(OSError, match="HTTP 500"):
        reader.read(8)
    assert recorder.calls == []


def test_the_read_ahead_asks_for_each_head_once_and_a_window_at_a_time(recorder: Recorder) -> None:
    sizes = {f"model-{n:05d}.safetensors": 10 + n * 50_000 for n in range(3 * READ_AHEAD_WINDOW)}
    with HeadReadAhead(SOURCE, sizes) as ahead:
        assert len(ahead.asked) == READ_AHEAD_WINDOW and len(ahead.waiting) == len(sizes) - READ_AHEAD_WINDOW
        for name, size in sizes.items():
            head, failure = ahead.take(name)
            assert failure is None and len(head) == min(size, SPECULATIVE_READ_BYTES)
            assert len(ahead.asked) <= READ_AHEAD_WINDOW
        assert ahead.take(next(iter(sizes))) is None  # taken already
    assert sorted(recorder.calls) == sorted((name, 0, min(size, SPECULATIVE_READ_BYTES)) for name, size in sizes.items())


def test_after_a_429_no_other_head_is_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    sizes = {f"model-{n:05d}.safetensors": 100 for n in range(40)}
    recording = Recorder(RateLimited("rate limited by the Hub (HTTP 429); retry after 9 s"), frozenset(sizes))
    monkeypatch.setattr(remote, "fetch_range", recording)
    with HeadReadAhead(SOURCE, sizes) as ahead:
        failures = [ahead.take(name)[1] for name in sizes]
    assert all(isinstance(failure, RateLimited) and "retry after 9 s" in str(failure) for failure in failures)
    assert 1 <= len(recording.calls) <= remote.READ_AHEAD_WORKERS


def test_an_error_other_than_429_does_not_stop_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    sizes = {f"model-{n:05d}.safetensors": 100 for n in range(20)}
    recording = Recorder(OSError("HTTP 500"), frozenset({"model-00003.safetensors"}))
    monkeypatch.setattr(remote, "fetch_range", recording)
    with HeadReadAhead(SOURCE, sizes) as ahead:
        results = {name: ahead.take(name) for name in sizes}
    assert [name for name, (_, failure) in results.items() if failure is not None] == ["model-00003.safetensors"]
    assert len(recording.calls) == 20
