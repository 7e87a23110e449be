"""Issue 11, item 11: one time budget for a whole run (``--timeout``).

Each repository template may take 2 s and each remote header read 30 s; a pull request
multiplies them (ten model folders with four slow templates each is 80 s). Every command that
renders or reads remotely takes ``--timeout SECONDS`` (default 60): every render and remote
read gets ``min(its own bound, time left)``, a card the run has no time left for is a CG009
finding, and a card whose planning the budget cut short is not written.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.hostile.helpers import CLASSIFIER_CONFIG, assert_clean_failure, run_cli

FOLDERS = 10
SLOW_REGIONS = ("model-summary", "labels", "get-started", "framework-versions")
# A loop that prints nothing: only the render's wall-clock bound stops it.
SLOW_TEMPLATE = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}done\n"
TIMEOUT_S = 3
SLACK_S = 12  # interpreter start-up and the first card's reads on a busy 2-core machine
UNBOUNDED_S = FOLDERS * len(SLOW_REGIONS) * 2  # what the run cost before: 80 s


def _card() -> str:
    regions = "".join(f"## {name}\n\n<!-- cardguard:begin {name} -->\nold\n<!-- cardguard:end {name} -->\n\n"
                      for name in SLOW_REGIONS)
    return f"---\nlicense: mit\n---\n# Model\n\nMy words.\n\n{regions}"


def _repo_with_slow_templates(root: Path) -> Path:
    (root / ".git").mkdir(parents=True)
    templates = root / ".cardguard" / "templates"
    templates.mkdir(parents=True)
    for name in SLOW_REGIONS:
        (templates / f"{name}.md.j2").write_text(SLOW_TEMPLATE, encoding="utf-8")
    config = {**CLASSIFIER_CONFIG, "transformers_version": "4.40.0"}
    for index in range(FOLDERS):
        folder = root / f"model-{index}"
        folder.mkdir()
        (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
        (folder / "README.md").write_text(_card(), encoding="utf-8")
    return root


@pytest.mark.parametrize("command", [["check"], ["sync"], ["sync", "--check"]])
def test_slow_repository_templates_stop_at_the_run_timeout(tmp_path: Path, command: list[str]) -> None:
    repo = _repo_with_slow_templates(tmp_path / "repo")
    cards = {path: path.read_bytes() for path in repo.glob("model-*/README.md")}
    started = time.monotonic()
    run = run_cli([*command, "--format", "json", "--timeout", str(TIMEOUT_S), "."], cwd=repo,
                  timeout=UNBOUNDED_S + 30)
    elapsed = time.monotonic() - started
    assert_clean_failure(run)
    assert run.returncode == 1
    assert elapsed < TIMEOUT_S + SLACK_S, f"took {elapsed:.1f} s"
    findings = json.JSONDecoder().raw_decode(run.stdout)[0]["findings"]  # sync --check: the diff follows
    not_checked = {item["path"] for item in findings if item["code"] == "CG009" and "not checked" in item["message"]}
    touched = {item["path"] for item in findings if item["code"] == "CG407"}
    assert len(not_checked) >= FOLDERS - 2, findings  # the budget is spent on the first card or two
    assert len(not_checked | touched) == FOLDERS, findings  # every card is accounted for
    assert all(path.read_bytes() == before for path, before in cards.items())  # nothing half-written


def test_a_card_cut_short_by_the_budget_is_not_written(tmp_path: Path) -> None:
    repo = _repo_with_slow_templates(tmp_path / "repo")
    fast = repo / "model-0" / ".cardguard" / "templates"  # the nearest folder's templates win
    fast.mkdir(parents=True)
    for name in SLOW_REGIONS[:2]:
        (fast / f"{name}.md.j2").write_text("fresh\n", encoding="utf-8")
    card = repo / "model-0" / "README.md"
    before = card.read_bytes()
    run = run_cli(["sync", "--format", "json", "--timeout", "1", "model-0"], cwd=repo, timeout=UNBOUNDED_S)
    assert_clean_failure(run)
    codes = [(item["code"], item["message"]) for item in json.loads(run.stdout)["findings"]]
    assert any(code == "CG009" and "not rewritten" in message for code, message in codes), codes
    assert card.read_bytes() == before  # the two fast regions are not written without the slow two


def test_the_default_budget_applies_without_the_option(tmp_path: Path) -> None:
    """--timeout is optional; the default budget (60 s) does not stop a fast run."""
    repo = _repo_with_slow_templates(tmp_path / "repo")
    for template in (repo / ".cardguard" / "templates").iterdir():
        template.write_text("fast\n", encoding="utf-8")
    run = run_cli(["check", "--format", "json", "."], cwd=repo)
    assert "CG009" not in run.codes() and "CG407" not in run.codes(), run.stdout[-2000:]


def test_init_out_of_time_writes_no_card(tmp_path: Path) -> None:
    repo = _repo_with_slow_templates(tmp_path / "repo")
    (repo / "model-0" / "README.md").unlink()
    run = run_cli(["init", "--timeout", "1", "model-0"], cwd=repo, timeout=UNBOUNDED_S)
    assert run.returncode == 2 and "time budget" in run.stderr, run.stderr
    assert_clean_failure(run)
    assert len(run.stderr.strip().splitlines()) == 1
    assert not (repo / "model-0" / "README.md").exists()


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "soon"])
def test_timeout_must_be_a_positive_number(tmp_path: Path, value: str) -> None:
    run = run_cli(["validate", "--timeout", value, "."], cwd=tmp_path)
    assert run.returncode == 2 and "--timeout" in run.stderr, run.stderr
    assert "Traceback" not in run.stderr


# -- remote header reads share the budget ----------------------------------------------------

REMOTE_FILES = 4
HEADER = b'{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'
WEIGHTS = len(HEADER).to_bytes(8, "little") + HEADER + bytes(4)


class _TrickleServer(ThreadingHTTPServer):
    """Its request threads are joined when it closes (not daemons), and stop dripping once
    ``stopping`` is set: no thread of the test outlives it (a later test forks this process)."""

    daemon_threads = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _TrickleHandler)
        self.stopping = threading.Event()


class _TrickleHandler(BaseHTTPRequestHandler):
    """Answers every request with one byte every half second: each file takes its whole deadline."""

    server: _TrickleServer

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Length", str(len(WEIGHTS)))
        self.end_headers()
        try:
            for byte in WEIGHTS:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                if self.server.stopping.wait(0.5):
                    return
        except OSError:
            pass  # the client gave up


@pytest.fixture()
def trickling_hub() -> Iterator[str]:
    server = _TrickleServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()  # joins the request threads
        thread.join()


def test_remote_header_reads_stop_at_the_run_timeout(tmp_path: Path, trickling_hub: str) -> None:
    import hashlib

    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(CLASSIFIER_CONFIG), encoding="utf-8")
    pointer = (f"version https://git-lfs.github.com/spec/v1\noid sha256:{hashlib.sha256(WEIGHTS).hexdigest()}\n"
               f"size {len(WEIGHTS)}\n")
    for index in range(REMOTE_FILES):
        (folder / f"model-{index:05d}-of-{REMOTE_FILES:05d}.safetensors").write_text(pointer, encoding="utf-8")
    started = time.monotonic()
    run = run_cli(["facts", "--format", "json", "--hub-repo", "org/model", "--timeout", str(TIMEOUT_S), "."],
                  cwd=folder, timeout=REMOTE_FILES * 30 + 30, env={"HF_ENDPOINT": trickling_hub, "HF_HUB_OFFLINE": "0"})
    elapsed = time.monotonic() - started
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr
    assert elapsed < TIMEOUT_S + SLACK_S, f"took {elapsed:.1f} s"
    assert "time budget" in run.stdout, run.stdout[-2000:]
