"""Safetensors headers: real files from the library, and hand-made broken ones."""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import pytest

from cardguard.artifacts import Limits, read_facts
from artifact_helpers import lfs_pointer_text, tensor_entry, write_safetensors

SAFETENSORS_DTYPE = {  # torch dtype -> the header's spelling
    "float32": "F32", "float16": "F16", "bfloat16": "BF16", "float64": "F64",
    "int64": "I64", "uint8": "U8", "bool": "BOOL", "float8_e4m3fn": "F8_E4M3",
}


def codes_of(facts) -> list[str]:
    return [finding.code for finding in facts.findings]


# -- real files -------------------------------------------------------------------------------


def test_many_dtypes_counted_per_dtype(many_dtypes_file) -> None:
    folder, tensors = many_dtypes_file
    facts = read_facts(folder)
    expected: dict[str, int] = {}
    for tensor in tensors.values():
        key = SAFETENSORS_DTYPE[str(tensor.dtype).removeprefix("torch.")]
        expected[key] = expected.get(key, 0) + tensor.numel()
    assert facts.findings == []
    assert facts.weights.parameters_by_dtype == expected
    assert facts.weights.parameters == sum(t.numel() for t in tensors.values())
    assert facts.weights.tensor_count == len(tensors)
    assert facts.weights.tensor_bytes == sum(t.numel() * t.element_size() for t in tensors.values())
    assert facts.weights.file_bytes == (folder / "model.safetensors").stat().st_size
    assert facts.weights.metadata == {"format": "pt", "note": "dtypes"}


def test_single_file_from_trainer_counts_model_parameters(trainer_classifier_run) -> None:
    facts = read_facts(trainer_classifier_run.out)
    assert facts.weights.format == "safetensors"
    assert facts.weights.files == ["model.safetensors"]
    assert facts.weights.parameters == trainer_classifier_run.num_parameters
    assert facts.weights.metadata.get("format") == "pt"


def test_sharded_checkpoint_counts_model_parameters(sharded_checkpoint_output) -> None:
    run = sharded_checkpoint_output
    facts = read_facts(run.out)
    shards = [name for name in run.weight_files if name.endswith(".safetensors")]
    assert len(shards) > 1
    assert facts.findings == []
    assert facts.weights.index_file == "model.safetensors.index.json"
    assert sorted(facts.weights.files) == sorted(shards)
    assert facts.weights.shard_count == len(shards)
    assert facts.weights.parameters == run.num_parameters
    index = json.loads((run.out / "model.safetensors.index.json").read_text())
    assert facts.weights.index_total_size == index["metadata"]["total_size"]
    assert facts.weights.tensor_count == len(index["weight_map"])
    assert facts.weights.complete


def test_bfloat16_save_pretrained(tmp_path: Path) -> None:
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    model = GPT2LMHeadModel(GPT2Config(vocab_size=20, n_embd=8, n_layer=1, n_head=2, n_positions=16))
    model = model.to(torch.bfloat16)
    model.save_pretrained(tmp_path)
    facts = read_facts(tmp_path)
    assert facts.weights.parameters_by_dtype == {"BF16": model.num_parameters()}
    assert facts.config.dtype == "bfloat16"


# -- broken headers ---------------------------------------------------------------------------

GOOD = {"__metadata__": {"format": "pt"}, "a": tensor_entry("F32", [2, 3], 0), "b": tensor_entry("F16", [4], 24)}


def _raw(header_bytes: bytes, declared: int | None = None, tail: int = 0) -> bytes:
    length = len(header_bytes) if declared is None else declared
    return struct.pack("<Q", length) + header_bytes + b"\0" * tail


BROKEN_FILES = {
    "empty file": (b"", "CG302"),
    "shorter than 8 bytes": (b"\x10\x00\x00", "CG302"),
    "header length past the end": (_raw(b"{}", declared=4096), "CG303"),
    "header length over 100 MB": (_raw(b"{}", declared=100_000_001), "CG303"),
    "header not JSON": (_raw(b"{not json"), "CG302"),
    "header not UTF-8": (_raw(b'{"\xff": 1}'), "CG302"),
    "header JSON array": (_raw(b"[1, 2]"), "CG302"),
    "header nested too deeply": (_raw(b"[" * 100_000 + b"]" * 100_000), "CG302"),
    "unknown dtype": (_raw(json.dumps({"a": {"dtype": "F33", "shape": [1], "data_offsets": [0, 4]}}).encode(), tail=4), "CG302"),
    "negative shape": (_raw(json.dumps({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}).encode(), tail=4), "CG302"),
    "offsets disagree with shape": (_raw(json.dumps({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}).encode(), tail=4), "CG302"),
    "metadata not strings": (_raw(json.dumps({"__metadata__": {"format": 1}}).encode()), "CG302"),
}


@pytest.mark.parametrize("content, code", BROKEN_FILES.values(), ids=BROKEN_FILES.keys())
def test_broken_file_gives_its_finding(tmp_path: Path, content: bytes, code: str) -> None:
    (tmp_path / "model.safetensors").write_bytes(content)
    facts = read_facts(tmp_path)
    assert code in codes_of(facts)
    assert all(f.path == "model.safetensors" for f in facts.findings)
    assert facts.weights.parameters == 0


def test_offsets_past_the_end_of_the_file(tmp_path: Path) -> None:
    write_safetensors(tmp_path / "model.safetensors", GOOD, data_size=20)  # b ends at 32
    facts = read_facts(tmp_path)
    assert codes_of(facts) == ["CG304"]
    assert "'b'" in facts.findings[0].message


def test_overlapping_tensors(tmp_path: Path) -> None:
    header = {"a": tensor_entry("F32", [4], 0), "b": tensor_entry("F32", [4], 8)}
    write_safetensors(tmp_path / "model.safetensors", header)
    facts = read_facts(tmp_path)
    assert codes_of(facts) == ["CG304"]
    assert "overlaps" in facts.findings[0].message


def test_good_header_gives_no_finding(tmp_path: Path) -> None:
    write_safetensors(tmp_path / "model.safetensors", GOOD)
    facts = read_facts(tmp_path)
    assert facts.findings == []
    assert facts.weights.parameters == 10
    assert facts.weights.parameters_by_dtype == {"F32": 6, "F16": 4}


def test_header_limit_is_configurable(tmp_path: Path) -> None:
    write_safetensors(tmp_path / "model.safetensors", GOOD)
    facts = read_facts(tmp_path, limits=Limits(max_safetensors_header_bytes=16))
    assert codes_of(facts) == ["CG303"]


# -- sharded checkpoints made by hand -----------------------------------------------------------


def _write_sharded(folder: Path, weight_map: dict[str, str], shards: dict[str, dict]) -> None:
    index = {"metadata": {"total_size": 0}, "weight_map": weight_map}
    (folder / "model.safetensors.index.json").write_text(json.dumps(index))
    for name, header in shards.items():
        write_safetensors(folder / name, header)


SHARD_1 = {"a": tensor_entry("F32", [2], 0)}
SHARD_2 = {"b": tensor_entry("F32", [3], 0)}


def test_missing_shard(tmp_path: Path) -> None:
    _write_sharded(tmp_path, {"a": "s1.safetensors", "b": "s2.safetensors"}, {"s1.safetensors": SHARD_1})
    facts = read_facts(tmp_path)
    assert codes_of(facts) == ["CG305"]
    assert facts.findings[0].path == "model.safetensors.index.json"
    assert facts.weights.unreadable_files == ["s2.safetensors"]
    assert facts.weights.parameters == 2


def test_tensor_in_index_but_not_in_shard_and_the_reverse(tmp_path: Path) -> None:
    weight_map = {"a": "s1.safetensors", "ghost": "s1.safetensors", "b": "s2.safetensors"}
    shard_2 = {**SHARD_2, "stray": tensor_entry("F32", [1], 12)}
    _write_sharded(tmp_path, weight_map, {"s1.safetensors": SHARD_1, "s2.safetensors": shard_2})
    facts = read_facts(tmp_path)
    assert codes_of(facts) == ["CG306"]
    assert "'ghost'" in facts.findings[0].message and "'stray'" in facts.findings[0].message


def test_tensor_in_the_wrong_shard(tmp_path: Path) -> None:
    _write_sharded(tmp_path, {"a": "s2.safetensors", "b": "s2.safetensors"}, {"s1.safetensors": SHARD_1, "s2.safetensors": SHARD_2})
    facts = read_facts(tmp_path)
    assert codes_of(facts) == ["CG306"]


@pytest.mark.parametrize("shard_name", ["../outside.safetensors", "/etc/passwd", "sub/../../x.safetensors", "..\\x.safetensors"])
def test_weight_map_path_leaving_the_repo_is_not_followed(tmp_path: Path, shard_name: str) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    write_safetensors(tmp_path / "outside.safetensors", SHARD_1)
    _write_sharded(repo, {"a": shard_name}, {})
    facts = read_facts(repo)
    assert codes_of(facts) == ["CG307"]
    assert facts.weights.parameters == 0
    assert not any("outside" in path for path in facts.files_read)


def test_symlinked_shard_leaving_the_repo_is_not_followed(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    write_safetensors(tmp_path / "outside.safetensors", SHARD_1)
    os.symlink(tmp_path / "outside.safetensors", repo / "s1.safetensors")
    _write_sharded(repo, {"a": "s1.safetensors"}, {})
    facts = read_facts(repo)
    assert codes_of(facts) == ["CG307"]
    assert facts.weights.parameters == 0


def test_symlink_inside_the_repo_is_followed(tmp_path: Path) -> None:
    write_safetensors(tmp_path / "real.bin.safetensors", SHARD_1)
    os.symlink("real.bin.safetensors", tmp_path / "s1.safetensors")
    _write_sharded(tmp_path, {"a": "s1.safetensors"}, {})
    facts = read_facts(tmp_path)
    assert facts.findings == []
    assert facts.weights.parameters == 2


def test_lfs_pointer_shards_are_reported_with_their_size(tmp_path: Path) -> None:
    _write_sharded(tmp_path, {"a": "s1.safetensors", "b": "s2.safetensors"}, {"s1.safetensors": SHARD_1})
    (tmp_path / "s2.safetensors").write_text(lfs_pointer_text(5_000_000_000))
    facts = read_facts(tmp_path)
    assert codes_of(facts) == ["CG308"]
    assert facts.findings[0].severity.name == "INFO"
    assert facts.weights.not_available_locally == {"s2.safetensors": 5_000_000_000}
    assert not facts.weights.complete
    assert [p.size for p in facts.lfs_pointers] == [5_000_000_000]


def test_index_that_is_not_an_object(tmp_path: Path) -> None:
    (tmp_path / "model.safetensors.index.json").write_text("[]")
    facts = read_facts(tmp_path)
    assert codes_of(facts) == ["CG301"]
    assert facts.weights is None


def test_index_without_weight_map(tmp_path: Path) -> None:
    (tmp_path / "model.safetensors.index.json").write_text('{"metadata": {}}')
    assert codes_of(read_facts(tmp_path)) == ["CG301"]


def test_display_root_prefixes_finding_paths(tmp_path: Path) -> None:
    _write_sharded(tmp_path, {"a": "s1.safetensors"}, {})
    facts = read_facts(tmp_path, display_root="models/tiny")
    assert [f.path for f in facts.findings] == ["models/tiny/model.safetensors.index.json"]
