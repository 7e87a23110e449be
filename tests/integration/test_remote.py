"""Remote safetensors headers through huggingface_hub, against a loopback server.

The server (127.0.0.1, a thread of this test) serves ``/{repo}/resolve/{revision}/{file}``
with Range support, or misbehaves on purpose. Reads run in a child process so that
HF_ENDPOINT is set before huggingface_hub is imported, as it would be in CI.
"""

from __future__ import annotations

import hashlib
import json
import struct
import sys
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from helpers import run, subprocess_env

REPO_ID = "org/tiny"


def safetensors_bytes() -> bytes:
    header = json.dumps({"__metadata__": {"format": "pt"},
                         "w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
                         "b": {"dtype": "BF16", "shape": [3], "data_offsets": [24, 30]}}).encode()
    return struct.pack("<Q", len(header)) + header + bytes(30)


def lfs_pointer(data: bytes) -> str:
    return (f"version https://git-lfs.github.com/spec/v1\noid sha256:{hashlib.sha256(data).hexdigest()}\n"
            f"size {len(data)}\n")


class Handler(BaseHTTPRequestHandler):
    files: dict[str, bytes] = {}
    mode = "range"
    requests: list[tuple[str, str | None]] = []

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        self.requests.append((self.path, self.headers.get("Range")))
        data = self.files.get(self.path)
        if self.mode == "hang":
            time.sleep(5)
            return
        if data is None or self.mode == "404":
            self.send_error(404)
            return
        if self.mode == "garbage":
            data = b"\xff" * 8 + b"not json at all" * 10
        if self.mode == "trickle":
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            for byte in data:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.2)
            return
        start, end = 0, len(data) - 1
        status = 200
        if self.headers.get("Range") and self.mode == "range":
            first, last = self.headers["Range"].removeprefix("bytes=").split("-")
            start, end, status = int(first), min(int(last), len(data) - 1), 206
        self.send_response(status)
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        self.wfile.write(data[start:end + 1])


@pytest.fixture()
def server():
    Handler.files = {f"/{REPO_ID}/resolve/main/model.safetensors": safetensors_bytes()}
    Handler.requests = []
    Handler.mode = "range"
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


READ_SCRIPT = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from cardguard.artifacts.safetensors import read_safetensors_file
    from cardguard.artifacts.remote import HubSource, RemoteReadContext
    hub = HubSource(sys.argv[2], request_timeout=1.0, file_deadline=3.0) if sys.argv[2] else None
    ctx = RemoteReadContext(Path(sys.argv[1]), hub=hub)
    contents = read_safetensors_file(ctx, "model.safetensors")
    print(json.dumps({
        "tensors": sorted(contents.tensor_names) if contents else [],
        "parameters": contents.parameters_by_dtype if contents else {},
        "codes": [f.code for f in ctx.findings], "messages": [f.message for f in ctx.findings],
        "remote": ctx.remote_files, "hub_imported": "huggingface_hub" in sys.modules,
    }))
""")


def online_env(endpoint: str, **env: str) -> dict[str, str]:
    """A child's environment with huggingface_hub pointed at the loopback server, online."""
    child_env = subprocess_env(HF_ENDPOINT=endpoint)
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE", "HF_TOKEN"):
        child_env.pop(name, None)
    child_env.update(env)
    return child_env


def read_remote(folder: Path, endpoint: str, hub_repo: str = REPO_ID, **env: str) -> dict:
    child_env = online_env(endpoint, **env)
    result = run([sys.executable, "-c", READ_SCRIPT, str(folder), hub_repo], folder, child_env, timeout=30)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture()
def pointer_folder(tmp_path: Path) -> Path:
    (tmp_path / "model.safetensors").write_text(lfs_pointer(safetensors_bytes()))
    return tmp_path


def endpoint(server: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


@pytest.mark.parametrize("mode", ["range", "ignores-range"])
def test_header_is_read_by_range_requests(server, pointer_folder: Path, mode: str) -> None:
    Handler.mode = mode
    facts = read_remote(pointer_folder, endpoint(server))
    assert facts["tensors"] == ["b", "w"]
    assert facts["parameters"] == {"F32": 6, "BF16": 3}  # w is F32[2, 3], b is BF16[3]
    assert facts["codes"] == []
    assert facts["remote"] == ["model.safetensors"]
    header_length = len(safetensors_bytes()) - 30 - 8
    if mode == "range":
        assert [r for _, r in Handler.requests] == ["bytes=0-7", f"bytes=8-{8 + header_length - 1}"]
    assert all(path == f"/{REPO_ID}/resolve/main/model.safetensors" for path, _ in Handler.requests)


@pytest.mark.parametrize(("mode", "code", "words"), [
    ("404", "CG001", "HTTP 404"),
    ("garbage", "CG303", "header"),
    ("hang", "CG001", "Timeout"),
    ("trickle", "CG001", "timed out"),
])
def test_a_bad_server_gives_a_finding_in_bounded_time(server, pointer_folder: Path, mode: str, code: str,
                                                       words: str) -> None:
    Handler.mode = mode
    started = time.monotonic()
    facts = read_remote(pointer_folder, endpoint(server))
    assert time.monotonic() - started < 15
    assert facts["tensors"] == []
    assert facts["codes"] == [code], facts
    assert words.lower() in facts["messages"][0].lower()


def test_offline_mode_gives_a_finding(server, pointer_folder: Path) -> None:
    facts = read_remote(pointer_folder, endpoint(server), HF_HUB_OFFLINE="1")
    assert facts["codes"] == ["CG001"]
    assert "offline" in facts["messages"][0].lower()
    assert Handler.requests == []


def test_without_hub_repo_a_pointer_stays_a_pointer(server, pointer_folder: Path) -> None:
    facts = read_remote(pointer_folder, endpoint(server), hub_repo="")
    assert facts["codes"] == ["CG308"]
    assert facts["remote"] == [] and not facts["hub_imported"]
    assert Handler.requests == []


def test_a_real_file_is_read_locally(server, tmp_path: Path) -> None:
    (tmp_path / "model.safetensors").write_bytes(safetensors_bytes())
    facts = read_remote(tmp_path, endpoint(server))
    assert "w" in facts["tensors"] and facts["parameters"]["F32"] == 6
    assert facts["remote"] == [] and Handler.requests == []


# -- `--hub-repo` on facts, check and sync -----------------------------------------------------

CARD = """\
---
license: apache-2.0
library_name: transformers
---
# Tiny

Number of parameters: {count}

## Limitations

Small.

<!-- cardguard:begin model-summary -->
<!-- cardguard:end model-summary -->
"""
REMOTE_PARAMETERS = 2 * 3 + 3  # the tensors of safetensors_bytes()


def cardguard(folder: Path, *args: str, server: ThreadingHTTPServer | None = None) -> tuple[int, str]:
    env = subprocess_env() if server is None else online_env(endpoint(server))
    result = run([sys.executable, "-m", "cardguard", *args, str(folder)], folder, env, timeout=60)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, result.stdout


@pytest.fixture()
def pointer_checkout(pointer_folder: Path) -> Path:
    (pointer_folder / ".cardguard.toml").write_text('profile = "minimal"\n')
    return pointer_folder


def _codes(output: str) -> list[str]:
    return [item["code"] for item in json.loads(output)["findings"]]


def test_without_hub_repo_pointer_weights_are_never_drift(pointer_checkout: Path) -> None:
    (pointer_checkout / "README.md").write_text(CARD.format(count=100))
    status, output = cardguard(pointer_checkout, "check", "--format", "json")
    assert status == 0, output
    findings = json.loads(output)["findings"]
    assert [(item["code"], item["severity"]) for item in findings] == [("CG308", "info")]
    status, output = cardguard(pointer_checkout, "sync", "--check")
    assert status == 0 and output == ""  # the model-summary region is left as it is


@pytest.mark.parametrize(("stated", "status", "codes"), [(100, 1, ["CG414"]), (REMOTE_PARAMETERS, 0, [])])
def test_check_reads_the_remote_header(server, pointer_checkout: Path, stated: int, status: int,
                                       codes: list[str]) -> None:
    card = CARD.format(count=stated).replace("<!-- cardguard:begin model-summary -->\n<!-- cardguard:end model-summary -->\n", "")
    (pointer_checkout / "README.md").write_text(card)
    result, output = cardguard(pointer_checkout, "check", "--format", "json", "--hub-repo", REPO_ID, server=server)
    assert (result, _codes(output)) == (status, codes), output
    assert Handler.requests and all(path.startswith(f"/{REPO_ID}/resolve/main/") for path, _ in Handler.requests)


def test_facts_and_sync_with_hub_repo_and_revision(server, pointer_checkout: Path) -> None:
    data = safetensors_bytes()
    Handler.files = {f"/{REPO_ID}/resolve/v1.0/model.safetensors": data}
    status, output = cardguard(pointer_checkout, "facts", "--format", "json", "--hub-repo", REPO_ID,
                               "--hub-revision", "v1.0", server=server)
    facts = json.loads(output)
    assert status == 0 and facts["weights"]["parameters"] == REMOTE_PARAMETERS
    assert facts["remote_files"] == ["model.safetensors"]
    (pointer_checkout / "README.md").write_text(CARD.format(count=REMOTE_PARAMETERS))
    status, _ = cardguard(pointer_checkout, "sync", "--hub-repo", REPO_ID, "--hub-revision", "v1.0", server=server)
    assert status == 1  # rewritten
    assert f"- **Parameters:** {REMOTE_PARAMETERS}" in (pointer_checkout / "README.md").read_text()


def test_model_folder_inside_a_clone_is_a_subfolder_of_the_hub_repo(tmp_path: Path) -> None:
    from cardguard.artifacts.remote import hub_source_for

    (tmp_path / ".git").mkdir()
    (tmp_path / "models" / "bert").mkdir(parents=True)
    assert hub_source_for(REPO_ID, None, tmp_path / "models" / "bert").subfolder == "models/bert"
    assert hub_source_for(REPO_ID, "dev", tmp_path).subfolder == ""
    assert hub_source_for(REPO_ID, "dev", tmp_path).revision == "dev"


@pytest.mark.parametrize(("command", "passed"), [("check", True), ("validate", False)])
def test_action_passes_hub_repo_to_check(command: str, passed: bool) -> None:
    from cardguard.integrations.action import read_inputs, run_options

    inputs = read_inputs({"CARDGUARD_COMMAND": command, "CARDGUARD_HUB_REPO": REPO_ID})
    options = run_options(inputs)
    assert (options["hub_repo"] == REPO_ID) if passed else "hub_repo" not in options
