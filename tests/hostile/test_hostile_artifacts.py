"""Issue 6.2: hostile checkpoint files, each through the real CLI in a measured child process.

Never a traceback, exit 1 or 2, the specific finding, bounded memory, and files refused by
their length are not read (the child's rchar stays small). In-process tests of the same
readers live in tests/artifacts (test_pickles.py, test_safetensors.py, test_folder.py); this
file adds the cases they lack and proves each family end to end.
"""

from __future__ import annotations

import json
import os
import pickle
import struct
import zipfile
from pathlib import Path

import pytest

from tests.hostile.helpers import assert_clean_failure, run_cli

PEAK_RSS_LIMIT_MB = 200
READ_LIMIT_MB = 8  # the interpreter and cardguard's own modules read a few MB


def _facts(folder: Path) -> "tuple[object, set[str]]":
    run = run_cli(["facts", "--format", "json", str(folder)], cwd=folder.parent)
    assert_clean_failure(run)
    assert run.peak_mb < PEAK_RSS_LIMIT_MB, f"peak RSS {run.peak_mb:.0f} MB"
    return run, {item["code"] for item in json.loads(run.stdout)["findings"]}


# -- pickles ------------------------------------------------------------------------------------


class RunsCommand:
    """Unpickled by plain pickle or torch.load(weights_only=False), this runs a shell command."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple:
        return (os.system, (self.command,))


def _payload(module: str, name: str, command: str) -> bytes:
    """Protocol-2 pickle calling ``module.name(command)``: any global, allowlisted-looking or not."""
    encoded = command.encode()
    return (b"\x80\x02c" + f"{module}\n{name}\n".encode() + b"X" + struct.pack("<I", len(encoded)) + encoded
            + b"\x85R.")


def _torch_zip(path: Path, data_pkl: bytes) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", data_pkl)
        archive.writestr("archive/version", "3\n")


LOOKALIKES = [
    ("posix", "system"),
    ("transformers.training_args", "os.system"),  # dotted name inside an allowlisted module
    ("transformers.training_args", "TrainingArguments.__init__"),
    ("transformers.training_args_evil", "TrainingArguments"),
    ("transformers", "TrainingArguments"),  # the public name, not the pickled one
    ("torch.storage", "_load_from_bytes"),  # torch.load inside the pickle
    ("torch._utils", "_rebuild_tensor_v2.__globals__"),
    ("collections", "OrderedDict.fromkeys"),
    ("builtins", "getattr"),
]


@pytest.mark.parametrize("layout", ["training_args.bin", "pytorch_model.bin", "sharded"])
def test_reduce_payload_never_runs(tmp_path: Path, layout: str) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    marker = tmp_path / "pwned"
    payload = pickle.dumps(RunsCommand(f"touch {marker}"), protocol=2)
    if layout == "sharded":
        _torch_zip(repo / "pytorch_model-00001-of-00002.bin", payload)
        _torch_zip(repo / "pytorch_model-00002-of-00002.bin", payload)
        weight_map = {"a": "pytorch_model-00001-of-00002.bin", "b": "pytorch_model-00002-of-00002.bin"}
        (repo / "pytorch_model.bin.index.json").write_text(json.dumps({"weight_map": weight_map}))
    else:
        _torch_zip(repo / layout, payload)
    run, codes = _facts(repo)
    assert not marker.exists()
    assert run.returncode == 1 and "CG309" in codes
    assert "posix.system" in run.stdout or "os.system" in run.stdout


@pytest.mark.parametrize("module, name", LOOKALIKES, ids=[f"{m}.{n}" for m, n in LOOKALIKES])
def test_allowlisted_looking_global_is_refused(tmp_path: Path, module: str, name: str) -> None:
    marker = tmp_path / "pwned"
    _torch_zip(tmp_path / "training_args.bin", _payload(module, name, f"touch {marker}"))
    _torch_zip(tmp_path / "pytorch_model.bin", _payload(module, name, f"touch {marker}"))
    run, codes = _facts(tmp_path)
    assert not marker.exists()
    assert codes == {"CG309"}
    assert f"{module}.{name}" in run.stdout


# -- safetensors headers ------------------------------------------------------------------------


def _declared(path: Path, length: int, file_size: int) -> None:
    with open(path, "wb") as handle:
        handle.write(struct.pack("<Q", length))
        handle.truncate(file_size)


def _huge_valid_header(path: Path, megabytes: int) -> None:
    """A header that is valid JSON of ``megabytes`` MB, written in chunks (never held in memory)."""
    head, tail = b'{"__metadata__": {"pad": "', b'"}}'
    chunk = b"x" * 2**20
    size = megabytes * 2**20
    with open(path, "wb") as handle:
        handle.write(struct.pack("<Q", size) + head)
        for _ in range((size - len(head) - len(tail)) // len(chunk)):
            handle.write(chunk)
        handle.write(b"x" * ((size - len(head) - len(tail)) % len(chunk)) + tail)


HEADER_LENGTHS = {
    "2**63": lambda p: _declared(p, 2**63, 4096),
    "2**64 - 1": lambda p: _declared(p, 2**64 - 1, 4096),
    "exactly the file size": lambda p: _declared(p, 4096, 4096),
    "the format limit + 1": lambda p: _declared(p, 100_000_001, 200_000_000),
    "valid JSON of 200 MB": lambda p: _huge_valid_header(p, 200),
}


@pytest.mark.parametrize("make", HEADER_LENGTHS.values(), ids=HEADER_LENGTHS.keys())
def test_header_length_is_refused_before_reading(tmp_path: Path, make) -> None:
    make(tmp_path / "model.safetensors")
    run, codes = _facts(tmp_path)
    assert run.returncode == 1 and codes == {"CG303"}
    assert run.read_mb < READ_LIMIT_MB, f"read {run.read_mb:.1f} MB"


# -- paths in a weight_map ----------------------------------------------------------------------


def _index(repo: Path, shard: str) -> None:
    (repo / "model.safetensors.index.json").write_text(json.dumps({"weight_map": {"a": shard}}))


def _outside_link(repo: Path) -> str:
    (repo.parent / "outside.safetensors").write_bytes(struct.pack("<Q", 2) + b"{}")
    os.symlink(repo.parent / "outside.safetensors", repo / "s.safetensors")
    return "s.safetensors"


def _loop(repo: Path) -> str:
    os.symlink("loop-b.safetensors", repo / "loop-a.safetensors")
    os.symlink("loop-a.safetensors", repo / "loop-b.safetensors")
    return "loop-a.safetensors"


def _self_loop(repo: Path) -> str:
    os.symlink("self.safetensors", repo / "self.safetensors")
    return "self.safetensors"


WEIGHT_MAP_PATHS = {
    "../../etc/passwd": (lambda repo: "../../etc/passwd", "CG307"),
    "absolute path": (lambda repo: "/etc/passwd", "CG307"),
    "symlink to outside": (_outside_link, "CG307"),
    "symlink loop": (_loop, "CG305"),
    "symlink to itself": (_self_loop, "CG305"),
}


@pytest.mark.parametrize("make, code", WEIGHT_MAP_PATHS.values(), ids=WEIGHT_MAP_PATHS.keys())
def test_weight_map_path_is_not_followed(tmp_path: Path, make, code: str) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _index(repo, make(repo))
    run, codes = _facts(repo)
    assert run.returncode == 1 and codes == {code}
    assert "root:" not in run.stdout


def test_symlink_loop_as_an_artifact_is_a_finding(tmp_path: Path) -> None:
    os.symlink("config.json", tmp_path / "config.json")
    run, codes = _facts(tmp_path)
    assert codes == {"CG001"} and run.returncode == 1


# -- JSON artifacts -----------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["facts", "check"])
def test_two_gigabyte_trainer_state_is_refused_unread(tmp_path: Path, command: str) -> None:
    with open(tmp_path / "trainer_state.json", "wb") as handle:
        handle.truncate(2 * 2**30)  # sparse: no disk, no memory
    (tmp_path / "README.md").write_text("---\nlicense: mit\n---\n# Model\n", encoding="utf-8")
    args = ["facts", "--format", "json", "."] if command == "facts" else [
        "check", "--profile", "minimal", "--fail-on", "warning", "--format", "json", "."]
    run = run_cli(args, cwd=tmp_path)
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr
    assert run.returncode == (0 if command == "facts" else 1)  # CG311 is a warning
    assert "CG311" in {item["code"] for item in json.loads(run.stdout)["findings"]}
    assert run.peak_mb < PEAK_RSS_LIMIT_MB, f"peak RSS {run.peak_mb:.0f} MB"
    assert run.read_mb < READ_LIMIT_MB, f"read {run.read_mb:.1f} MB"


JSON_ARTIFACTS = ["config.json", "trainer_state.json", "all_results.json", "adapter_config.json", "modules.json",
                  "tokenizer_config.json", "model.safetensors.index.json"]


@pytest.mark.parametrize("depth", [100_000, 900, 150])
@pytest.mark.parametrize("name", JSON_ARTIFACTS)
def test_deeply_nested_json_is_a_finding(tmp_path: Path, name: str, depth: int) -> None:
    # 150 and 900 levels parse in json.loads; walking them used to crash `facts` (RecursionError).
    (tmp_path / name).write_text('{"a": ' + "[" * depth + "]" * depth + "}")
    run, codes = _facts(tmp_path)
    assert run.returncode == 1 and codes == {"CG301"}
