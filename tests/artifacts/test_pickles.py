"""Pickled torch files: read through the allowlist, never executed."""

from __future__ import annotations

import io
import pickle
import zipfile
from pathlib import Path

import pytest

from cardguard.artifacts import read_facts
from cardguard.artifacts.pickles import RefusedGlobal, RestrictedUnpickler


def torch_zip(path: Path, data_pkl: bytes, name: str = "archive") -> Path:
    """A torch-style zip container around any pickle bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(f"{name}/data.pkl", data_pkl)
        archive.writestr(f"{name}/version", "3\n")
        archive.writestr(f"{name}/byteorder", "little")
    return path


class CreatesFile:
    """A pickle payload: unpickling it with plain pickle would create ``self.target``."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self):
        return (Path.touch, (self.target,))


class PrintsOnLoad:
    def __reduce__(self):
        return (print, ("ran",))


def payload_naming(module: str, name: str) -> bytes:
    """Protocol-2 pickle calling ``module.name("echo pwned")``."""
    return b"\x80\x02c" + f"{module}\n{name}\n".encode() + b"X\x0a\x00\x00\x00echo pwnedq\x00\x85R."


DANGEROUS_GLOBALS = [
    ("os", "system"),
    ("posix", "system"),
    ("builtins", "eval"),
    ("builtins", "exec"),
    ("subprocess", "check_output"),
    ("transformers.training_args", "os"),  # a module attribute next to an allowlisted class
    ("transformers.training_args", "TrainingArgumentsEvil"),
    ("torch._utils", "_rebuild_from_type_v2"),
    ("torch", "load"),
]


@pytest.mark.parametrize("module, name", DANGEROUS_GLOBALS, ids=[f"{m}.{n}" for m, n in DANGEROUS_GLOBALS])
@pytest.mark.parametrize("file_name", ["training_args.bin", "pytorch_model.bin"])
def test_dangerous_global_is_refused(tmp_path: Path, module: str, name: str, file_name: str) -> None:
    torch_zip(tmp_path / file_name, payload_naming(module, name))
    facts = read_facts(tmp_path)
    assert [f.code for f in facts.findings] == ["CG309"]
    assert f"{module}.{name}" in facts.findings[0].message


@pytest.mark.parametrize("container", ["zip", "legacy"])
def test_malicious_reduce_payload_does_not_run(tmp_path: Path, container: str) -> None:
    target = tmp_path / "pwned"
    payload = pickle.dumps(CreatesFile(target), protocol=2)
    repo = tmp_path / "repo"
    repo.mkdir()
    if container == "zip":
        torch_zip(repo / "training_args.bin", payload)
    else:  # legacy torch stream: magic, protocol, sys_info, then the object
        magic = pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2)
        (repo / "training_args.bin").write_bytes(magic + pickle.dumps(1001) + pickle.dumps({}) + payload)
    facts = read_facts(repo)
    assert not target.exists()
    assert [f.code for f in facts.findings] == ["CG309"]
    assert facts.training_args is None


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_refusal_names_the_global_for_every_protocol(protocol: int) -> None:
    payload = pickle.dumps(PrintsOnLoad(), protocol=protocol)
    with pytest.raises(RefusedGlobal) as refused:
        RestrictedUnpickler(io.BytesIO(payload)).load()
    # Protocol 2 spells the builtins module the Python 2 way.
    assert refused.value.qualified_name in ("builtins.print", "__builtin__.print")


@pytest.mark.parametrize(
    "content",
    [b"", b"not a pickle at all", b"PK\x03\x04broken zip", b"\x80\x02]q\x00(K\x01."],
    ids=["empty", "text", "broken-zip", "truncated-pickle"],
)
def test_corrupt_bin_gives_a_finding(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "pytorch_model.bin").write_bytes(content)
    facts = read_facts(tmp_path)
    assert [f.code for f in facts.findings] == ["CG310"]


def test_zip_without_data_pkl(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "training_args.bin", "w") as archive:
        archive.writestr("archive/other", b"x")
    assert [f.code for f in read_facts(tmp_path).findings] == ["CG310"]


def test_pytorch_bin_counts_model_parameters(pytorch_bin_output) -> None:
    run = pytorch_bin_output
    facts = read_facts(run.out)
    assert facts.findings == []
    assert facts.weights.format == "pytorch"
    assert facts.weights.parameters == run.num_parameters
    # Tied weights are saved under two names but stored once: listed, counted once.
    assert facts.weights.tensor_count == len(run.tensor_shapes)


def test_state_dict_of_several_dtypes_matches_torch(tmp_path: Path) -> None:
    import torch

    state = {
        "w": torch.zeros(3, 4),
        "h": torch.zeros(5, dtype=torch.float16),
        "b": torch.zeros(2, 2, dtype=torch.bfloat16),
        "ids": torch.zeros(7, dtype=torch.int64),
        "view": torch.zeros(10)[2:6],
    }
    torch.save(state, tmp_path / "pytorch_model.bin")
    facts = read_facts(tmp_path)
    assert facts.findings == []
    assert facts.weights.parameters == sum(t.numel() for t in state.values())
    assert facts.weights.parameters_by_dtype == {"F32": 16, "F16": 5, "BF16": 4, "I64": 7}


def test_sharded_bin_with_index(tmp_path: Path) -> None:
    import json

    import torch

    torch.save({"a": torch.zeros(3)}, tmp_path / "pytorch_model-00001-of-00002.bin")
    torch.save({"b": torch.zeros(4, 2)}, tmp_path / "pytorch_model-00002-of-00002.bin")
    weight_map = {"a": "pytorch_model-00001-of-00002.bin", "b": "pytorch_model-00002-of-00002.bin", "c": "pytorch_model-00002-of-00002.bin"}
    (tmp_path / "pytorch_model.bin.index.json").write_text(json.dumps({"weight_map": weight_map}))
    facts = read_facts(tmp_path)
    assert facts.weights.shard_count == 2
    assert facts.weights.parameters == 11
    assert [f.code for f in facts.findings] == ["CG306"]  # "c" is in no shard


def test_safetensors_preferred_over_bin(tmp_path: Path, many_dtypes_file) -> None:
    import shutil

    folder, _ = many_dtypes_file
    shutil.copy(folder / "model.safetensors", tmp_path / "model.safetensors")
    (tmp_path / "pytorch_model.bin").write_bytes(payload_naming("os", "system"))
    facts = read_facts(tmp_path)
    assert facts.weights.format == "safetensors"
    assert facts.findings == []  # the .bin is never opened
