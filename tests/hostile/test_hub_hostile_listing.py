"""A hostile or broken Hub against ``materialise`` (cardguard/artifacts/hub_repo.py): every case
ends in one line (``HubRepoError``; exit 2 from the CLI), in bounded time and memory.

The fake Hub (tests/hub/server.py) serves examples/tiny-bert-classifier as ``org/tiny-bert``;
an interceptor in front of its routes plays the hostile part: a listing that is not JSON, that
never ends, that lists a million files or absurd sizes; a small file whose body never ends or
whose Content-Length is 2^63; a redirect loop; a 429 storm; 401, 403, 404; a server too slow
to finish. The client runs in a child process (tests/hub/client.py says why), which reports
the one line, the seconds it took and its own peak memory.

The safetensors header reads (artifacts/remote.py) have their own hostile tests.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hub.client import run_client
from hub.endpoints import Reply, Request
from hub.repos import folder_files
from hub.server import FakeHub

REPO = "org/tiny-bert"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tiny-bert-classifier"
MiB = 1024 * 1024
# The child peaks near 40 MB reading a normal repo and near 55 MB refusing the million-file listing;
# reading that listing whole into huggingface_hub's ModelInfo (the first cut) peaked near 380 MB.
PEAK_MEMORY_LIMIT_MB = 150
# Fast bounds for the tests: the same code paths as the defaults, in seconds rather than a minute.
QUICK = "HubLimits(request_seconds=2.0, total_seconds=6.0, retry_after_seconds=2.0)"


@pytest.fixture()
def hub() -> Iterator[FakeHub]:
    with FakeHub({REPO: {"main": folder_files(EXAMPLE)}}) as server:
        yield server


def refusal(hub: FakeHub, home: Path, tmp_path: Path, hub_limits: str = QUICK) -> dict[str, Any]:
    """What materialise raised in a child (``message``), how long it took (``seconds``) and the
    child's peak resident memory (``peak_mb``); ``message`` is None when it succeeded."""
    answer = run_client(hub, home, f"""
        import time
        from pathlib import Path
        from cardguard.artifacts.hub_repo import HubRepoError, materialise
        from cardguard.limits import HubLimits
        started = time.monotonic()
        message = None
        try:
            materialise("{REPO}", None, Path({str(tmp_path / 'virtual')!r}), hub_limits={hub_limits})
        except HubRepoError as error:
            message = str(error)
        with open("/proc/self/status") as status:  # VmHWM: reset by exec, unlike ru_maxrss
            peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
        result = {{"message": message, "seconds": time.monotonic() - started, "peak_mb": peak_kb / 1024}}
    """, timeout=120)
    assert answer["error"] is None, answer["error"]["traceback"]
    result = answer["result"]
    assert result["peak_mb"] < PEAK_MEMORY_LIMIT_MB, result
    return result


def one_line(result: dict[str, Any]) -> str:
    message = result["message"]
    assert message is not None, "materialise should have refused"
    assert "\n" not in message and len(message) < 400, message
    return message


class Chunks:
    """A reply body the fake sends chunk by chunk; iterable again for every request."""

    def __init__(self, make: Callable[[], Iterator[bytes]]) -> None:
        self.make = make

    def __iter__(self) -> Iterator[bytes]:
        return self.make()


def answer_with(hub: FakeHub, path_contains: str, reply: Reply) -> None:
    """Every request whose path holds ``path_contains`` gets ``reply``."""
    def intercept(request: Request) -> Reply | None:
        return reply if path_contains in request.path else None
    hub.interceptors.append(intercept)


def listing_with(hub: FakeHub, siblings: list[Any], sha: str | None = None) -> None:
    answer_with(hub, "/api/models/", Reply.json({"id": REPO, "sha": sha or hub.sha(REPO), "siblings": siblings}))


# -- the listing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe\x00garbage", b"[]", b"null", b"[" * 100_000 + b"]" * 100_000])
def test_a_listing_that_is_not_a_json_object_is_one_line(hub: FakeHub, home: Path, tmp_path: Path, body: bytes) -> None:
    answer_with(hub, "/api/models/", Reply(200, {"Content-Type": "application/json"}, body))
    assert f"hf://{REPO}: the Hub's listing of the repo is not" in one_line(refusal(hub, home, tmp_path))


@pytest.mark.parametrize(("info", "message"), [
    ({"siblings": []}, "the Hub named no commit"),
    ({"sha": "../../etc", "siblings": []}, "the Hub named no commit"),
    ({"sha": "a" * 40, "siblings": {"README.md": 1}}, "has no list of files"),
    ({"sha": "a" * 40, "siblings": [{"size": 1}]}, "a file without a name"),
    ({"sha": "a" * 40, "siblings": [{"rfilename": "README.md", "size": 2**63}]}, "without a believable size"),
    ({"sha": "a" * 40, "siblings": [{"rfilename": "README.md", "size": -1}]}, "without a believable size"),
    ({"sha": "a" * 40, "siblings": [{"rfilename": "README.md", "size": "12"}]}, "without a believable size"),
    ({"sha": "a" * 40, "siblings": [{"rfilename": "README.md", "size": True}]}, "without a believable size"),
    ({"sha": "a" * 40, "siblings": [{"rfilename": "m.safetensors", "lfs": {"size": 8, "sha256": "x"}}]},
     "in Git LFS without its sha256"),
    ({"sha": "a" * 40, "siblings": [{"rfilename": "../config.json", "size": 2}]}, "will not write"),
    ({"sha": "a" * 40, "siblings": [{"rfilename": "README.md", "size": 2},
                                    {"rfilename": "README.md/config.json", "size": 2}]}, "cannot be written here"),
])
def test_a_malformed_listing_is_one_line(hub: FakeHub, home: Path, tmp_path: Path, info: dict[str, Any],
                                         message: str) -> None:
    answer_with(hub, "/api/models/", Reply.json(info))
    answer_with(hub, "/resolve/", Reply(200, {}, b"{}"))  # whatever a download would get
    assert message in one_line(refusal(hub, home, tmp_path))


def test_a_listing_of_a_million_files_is_refused_as_it_arrives(hub: FakeHub, home: Path, tmp_path: Path) -> None:
    def million() -> Iterator[bytes]:
        yield b'{"sha": "' + b"a" * 40 + b'", "siblings": ['
        for start in range(0, 1_000_000, 10_000):
            yield b",".join(b'{"rfilename": "f%d.json", "size": 1}' % n for n in range(start, start + 10_000)) + b","
        yield b'{"rfilename": "last", "size": 1}]}'
    answer_with(hub, "/api/models/", Reply(200, {"Content-Type": "application/json"}, Chunks(million)))
    result = refusal(hub, home, tmp_path)
    assert f"the listing: the Hub sent more than {16 * MiB} bytes" in one_line(result)
    assert result["seconds"] < 30


def test_a_listing_of_more_files_than_the_bound_is_refused(hub: FakeHub, home: Path, tmp_path: Path) -> None:
    listing_with(hub, [{"rfilename": f"f{n}.json", "size": 1} for n in range(2_001)])
    message = one_line(refusal(hub, home, tmp_path, hub_limits="HubLimits(listed_files=2_000)"))
    assert "the Hub lists 2001 files; cardguard reads repos of up to 2000" in message
    assert hub.requests_to("/resolve/") == []


def test_files_adding_up_past_the_download_bound_stop_the_copy(hub: FakeHub, home: Path, tmp_path: Path) -> None:
    # each under its own bound (a module's config.json), together more than the repo may cost
    listing_with(hub, [{"rfilename": f"module_{n}/config.json", "size": 600} for n in range(5)])
    answer_with(hub, "/resolve/", Reply(200, {}, b" " * 600))
    message = one_line(refusal(hub, home, tmp_path, hub_limits="HubLimits(download_bytes=2_000)"))
    assert message.endswith("the files cardguard reads add up to more than 2000 bytes; not downloaded")
    assert len(hub.requests_to("/resolve/")) == 3  # the fourth file is refused before its request


def test_a_listing_that_announces_two_to_the_63_bytes_is_not_read(hub: FakeHub, home: Path, tmp_path: Path) -> None:
    answer_with(hub, "/api/models/", Reply(200, {"Content-Length": str(2**63)}, b"{}"))
    assert f"announced {2**63} bytes, more than {16 * MiB}" in one_line(refusal(hub, home, tmp_path))


def test_a_compressed_answer_is_not_decompressed(hub: FakeHub, home: Path, tmp_path: Path) -> None:
    import gzip

    bomb = gzip.compress(b"{" + b" " * (64 * MiB) + b"}")  # 64 MiB once inflated
    answer_with(hub, "/api/models/", Reply(200, {"Content-Encoding": "gzip"}, bomb))
    assert "sent it compressed (gzip), which was not asked for" in one_line(refusal(hub, home, tmp_path))


# -- the small files -------------------------------------------------------------------------------


def test_a_small_file_whose_body_never_ends_is_cut_at_its_listed_size(hub: FakeHub, home: Path, tmp_path: Path) -> None:
    endless = Chunks(lambda: itertools.repeat(b"x" * 65_536))
    answer_with(hub, "/resolve/", Reply(200, {}, endless))
    result = refusal(hub, home, tmp_path)
    assert "the Hub sent more than" in one_line(result) and result["seconds"] < 30


def test_a_small_file_announced_at_two_to_the_63_bytes_is_not_read(hub: FakeHub, home: Path, tmp_path: Path) -> None:
    answer_with(hub, "/resolve/", Reply(200, {"Content-Length": str(2**63)}, b"{}"))
    assert f"the Hub announced {2**63} bytes, more than" in one_line(refusal(hub, home, tmp_path))


def test_a_small_file_shorter_than_listed_is_one_line(hub: FakeHub, home: Path, tmp_path: Path) -> None:
    answer_with(hub, "/resolve/", Reply(200, {}, b"{}"))
    assert "the Hub sent 2 bytes, its listing says" in one_line(refusal(hub, home, tmp_path))


def test_a_redirect_loop_on_resolve_is_one_line(hub: FakeHub, home: Path, tmp_path: Path) -> None:
    def loop(request: Request) -> Reply | None:
        return Reply(302, {"Location": request.path}) if "/resolve/" in request.path else None
    hub.interceptors.append(loop)
    result = refusal(hub, home, tmp_path)
    assert one_line(result).endswith("the Hub redirected too many times")
    assert len(hub.requests_to("/resolve/")) <= 21  # the first GET and httpx's 20 redirects at most


def test_a_server_too_slow_to_finish_ends_at_the_deadline(hub: FakeHub, home: Path, tmp_path: Path) -> None:
    hub.latency = 0.4  # each of the dozen requests answers, but all of them take longer than 2 s
    result = refusal(hub, home, tmp_path, hub_limits="HubLimits(request_seconds=1.0, total_seconds=2.0)")
    assert one_line(result).startswith(f"hf://{REPO}") and "did not answer within 2 s" in result["message"]
    assert result["seconds"] < 4


def test_a_body_that_trickles_ends_at_the_deadline(hub: FakeHub, home: Path, tmp_path: Path) -> None:
    def trickle() -> Iterator[bytes]:
        import time
        for _ in range(1000):
            time.sleep(0.2)
            yield b" "
    answer_with(hub, "/resolve/", Reply(200, {}, Chunks(trickle)))
    result = refusal(hub, home, tmp_path, hub_limits="HubLimits(request_seconds=1.0, total_seconds=2.0)")
    assert "did not answer within 2 s" in one_line(result) and result["seconds"] < 4


# -- refusals and rate limits ------------------------------------------------------------------------


@pytest.mark.parametrize(("where", "status", "code", "message"), [
    ("/api/models/", 401, None, "not authorised (HTTP 401): check HF_TOKEN or the saved login"),
    ("/api/models/", 403, None, "forbidden (HTTP 403)"),
    ("/api/models/", 404, None, "no such repo, or it is private"),
    ("/api/models/", 404, "RevisionNotFound", "no such revision"),
    ("/api/models/", 503, None, "the Hub answered HTTP 503"),
    ("/resolve/", 401, None, "not authorised (HTTP 401)"),
    ("/resolve/", 403, "GatedRepo", "the repo is gated"),
    ("/resolve/", 403, None, "forbidden (HTTP 403)"),
    ("/resolve/", 404, "EntryNotFound", "listed, but the Hub serves no such file (HTTP 404)"),
])
def test_refusals_are_one_line_each(hub: FakeHub, home: Path, tmp_path: Path, where: str, status: int,
                                    code: str | None, message: str) -> None:
    hub.fail(status, code=code, path_contains=where,
             message="Invalid credentials in Authorization header" if status == 401 else "")
    assert message in one_line(refusal(hub, home, tmp_path))


def test_a_429_storm_is_waited_out_a_bounded_number_of_times(hub: FakeHub, home: Path, tmp_path: Path) -> None:
    hub.fail(429, Retry_After="1", path_contains="/api/models/")
    result = refusal(hub, home, tmp_path)
    assert one_line(result) == f"hf://{REPO}: rate limited by the Hub (HTTP 429); retry after 1 s"
    assert len(hub.requests_to("/api/models/")) == 4  # the first ask and 3 retries
    assert 3 <= result["seconds"] < 6


@pytest.mark.parametrize("retry_after", ["3600", "Wed, 21 Oct 2099 07:28:00 GMT", "9" * 5000])
def test_a_429_asking_for_a_long_or_unreadable_wait_is_not_waited_for(hub: FakeHub, home: Path, tmp_path: Path,
                                                                     retry_after: str) -> None:
    hub.fail(429, Retry_After=retry_after, path_contains="/api/models/")
    result = refusal(hub, home, tmp_path)
    assert "rate limited by the Hub (HTTP 429)" in one_line(result)
    assert len(hub.requests_to("/api/models/")) == 1 and result["seconds"] < 3


def test_a_short_rate_limit_is_waited_out_and_the_repo_read(hub: FakeHub, home: Path, tmp_path: Path) -> None:
    hub.fail(429, Retry_After="1", path_contains="/resolve/", times=2)
    result = refusal(hub, home, tmp_path)
    assert result["message"] is None
    assert 2 <= result["seconds"] < 6


def test_the_cli_gives_one_line_and_exit_2_for_a_slow_hub(hub: FakeHub, home: Path) -> None:
    hub.latency = 0.5
    answer = run_client(hub, home, f"""
        import subprocess, sys, time
        started = time.monotonic()
        run = subprocess.run([sys.executable, "-m", "cardguard", "check", "--timeout", "2", "hf://{REPO}"],
                             capture_output=True, text=True)
        result = [run.returncode, run.stdout, run.stderr, time.monotonic() - started]
    """, timeout=120)
    assert answer["error"] is None, answer["error"]["traceback"]
    code, out, err, seconds = answer["result"]
    assert code == 2 and out == "" and err.strip().count("\n") == 0, (out, err)
    assert f"hf://{REPO}" in err and "--timeout" in err and "Traceback" not in err
    assert seconds < 15  # the child's start-up and imports, then 2 s

