"""Issue 11, item 9: small or sparse files that claim a lot cost the readers little.

Each hostile checkpoint is built with its real format (zip records packed with struct,
pickles written opcode by opcode, safetensors headers and weight indexes as JSON; sizes
through sparse files) and goes through the real ``cardguard facts`` and ``check`` in a child
process. Each run must end with the bound's finding, within a generous time bound, and with
the child's peak RSS (VmHWM, so the interpreter's own ~40 MB are included) under
PEAK_RSS_LIMIT_MB: the figure docs/security.md states for every hostile reader input.
On main these inputs cost up to 2 GB of memory or minutes of arithmetic.
"""

from __future__ import annotations

import json
import struct
import time
import zipfile
from pathlib import Path
from typing import Callable

import pytest

from tests.hostile.helpers import classifier_repo, run_cli

PEAK_RSS_LIMIT_MB = 200
TIME_LIMIT_S = 30  # each run; the bounded runs take ~1 s alone, the shared 2-core machine is slower
GiB = 1024**3

# -- zip archives -------------------------------------------------------------------------------

_END_RECORD = struct.Struct("<4s4H2LH")
_ZIP64_RECORD = struct.Struct("<4sQ2H2L4Q")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_CENTRAL_ENTRY = struct.Struct("<4s4B4HL2L5H2L")  # the 46 fixed bytes of a central directory entry


def _sparse_zip_claiming_its_size(path: Path, size: int = 2 * GiB) -> None:
    """A sparse file whose end record says the central directory fills the whole file."""
    with open(path, "wb") as out:
        out.truncate(size - _END_RECORD.size)
        out.seek(size - _END_RECORD.size)
        out.write(_END_RECORD.pack(b"PK\x05\x06", 0, 0, 1, 1, size - _END_RECORD.size, 0, 0))


def _sparse_zip64_claiming_its_size(path: Path, size: int = 2 * GiB) -> None:
    """The same through zip64 end records, whose sizes are 64-bit: no 4 GiB cap."""
    end_at = size - _END_RECORD.size
    locator_at = end_at - _ZIP64_LOCATOR.size
    record_at = locator_at - _ZIP64_RECORD.size
    with open(path, "wb") as out:
        out.truncate(record_at)
        out.seek(record_at)
        out.write(_ZIP64_RECORD.pack(b"PK\x06\x06", _ZIP64_RECORD.size - 12, 45, 45, 0, 0, 1, 1, record_at, 0))
        out.write(_ZIP64_LOCATOR.pack(b"PK\x06\x07", 0, record_at, 1))
        out.write(_END_RECORD.pack(b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0))


def _zip_with_members(path: Path, members: int) -> None:
    """A real central directory of ``members`` one-letter entries (zipfile opens it as it is)."""
    entry = _CENTRAL_ENTRY.pack(b"PK\x01\x02", 20, 3, 20, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0) + b"x"
    directory = entry * members
    end = _END_RECORD.pack(b"PK\x05\x06", 0, 0, members & 0xFFFF, members & 0xFFFF, len(directory), 0, 0)
    if members > 0xFFFF:  # the counts need the zip64 records
        record = _ZIP64_RECORD.pack(b"PK\x06\x06", _ZIP64_RECORD.size - 12, 45, 45, 0, 0, members, members,
                                    len(directory), 0)
        locator = _ZIP64_LOCATOR.pack(b"PK\x06\x07", 0, len(directory), 1)
        end = record + locator + _END_RECORD.pack(b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    path.write_bytes(directory + end)


# -- pickles, opcode by opcode (protocol 2, as torch.save writes) --------------------------------

PROTO, STOP, MARK, TUPLE, EMPTY_TUPLE = b"\x80\x02", b".", b"(", b"t", b")"
EMPTY_LIST, EMPTY_DICT, APPEND, SETITEM, SETITEMS = b"]", b"}", b"a", b"s", b"u"
NONE, NEWFALSE, REDUCE, NEWOBJ, BUILD, BINPERSID = b"N", b"\x89", b"R", b"\x81", b"b", b"Q"


def _global(module: str, name: str) -> bytes:
    return b"c" + f"{module}\n{name}\n".encode()


def _text(value: str) -> bytes:
    encoded = value.encode()
    return b"X" + struct.pack("<I", len(encoded)) + encoded


def _int(value: int) -> bytes:
    """LONG1 / LONG4: any size of integer, two's complement little-endian."""
    encoded = value.to_bytes((value.bit_length() + 8) // 8, "little", signed=True)
    if len(encoded) < 256:
        return b"\x8a" + bytes([len(encoded)]) + encoded
    return b"\x8b" + struct.pack("<I", len(encoded)) + encoded


def _torch_zip(path: Path, data_pkl: bytes) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", data_pkl)
        archive.writestr("archive/version", "3\n")


def _opcode_flood(path: Path) -> None:
    """A list of eight million empty dicts: two bytes each in the pickle, ~70 in memory."""
    _torch_zip(path, PROTO + EMPTY_LIST + (EMPTY_DICT + APPEND) * 8_000_000 + STOP)


def _legacy_opcode_flood(path: Path) -> None:
    """The same flood as the fourth pickle of a legacy (pre-1.6) torch file."""
    magic = PROTO + _int(0x1950A86A20F9469CFC6C) + STOP
    protocol = PROTO + _int(1001) + STOP
    sys_info = PROTO + EMPTY_DICT + STOP
    path.write_bytes(magic + protocol + sys_info + PROTO + EMPTY_LIST + (EMPTY_DICT + APPEND) * 8_000_000 + STOP)


def _dict_of_millions_of_keys(path: Path) -> None:
    keys = b"".join(b"J" + struct.pack("<i", key) + NONE for key in range(4_000_000))
    _torch_zip(path, PROTO + EMPTY_DICT + MARK + keys + SETITEMS + STOP)


def _training_args_multiplying_huge_ints(path: Path) -> None:
    """Batch size and accumulation steps of a million bytes each: cards multiply the two."""
    huge = _int(7**3_000_000)  # ~1 MB
    state = (EMPTY_DICT + MARK + _text("per_device_train_batch_size") + huge
             + _text("gradient_accumulation_steps") + huge + SETITEMS)
    _torch_zip(path, PROTO + _global("transformers.training_args", "TrainingArguments") + EMPTY_TUPLE + NEWOBJ
               + state + BUILD + STOP)


def _state_dict_with_a_huge_shape(path: Path) -> None:
    """One tensor of 100,000 dimensions of 2^62 each: its element count has 1.9 million digits."""
    storage = (MARK + _text("storage") + _global("torch", "FloatStorage") + _text("0") + _text("cpu") + _int(0)
               + TUPLE + BINPERSID)
    shape = MARK + _int(2**62) * 100_000 + TUPLE
    tensor = (_global("torch._utils", "_rebuild_tensor_v2") + MARK + storage + _int(0) + shape + EMPTY_TUPLE
              + NEWFALSE + _global("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE + TUPLE + REDUCE)
    _torch_zip(path, PROTO + EMPTY_DICT + _text("w") + tensor + SETITEM + STOP)


# -- safetensors and weight indexes ----------------------------------------------------------------


def _safetensors(path: Path, header: bytes) -> None:
    path.write_bytes(struct.pack("<Q", len(header)) + header)


def _million_tensor_header(path: Path) -> None:
    """A legal ~70 MB header (under the format's 100 MB) of 10^6 empty tensors."""
    entries = b",".join(b'"t%d":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}' % i for i in range(1_000_000))
    _safetensors(path, b"{" + entries + b"}")


def _shape_of_thousands_of_digits(path: Path) -> None:
    """5,000 dimensions of 4,000 digits each (json accepts up to 4,300), in a 20 MB header."""
    shape = b",".join([b"9" * 4_000] * 5_000)
    _safetensors(path, b'{"w":{"dtype":"F32","shape":[' + shape + b'],"data_offsets":[0,0]}}')


def _index_naming_shards(shards: int) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        weight_map = {f"layer.{i}.weight": f"model-{i:07d}.safetensors" for i in range(shards)}
        (path.parent / "model.safetensors.index.json").write_text(json.dumps({"weight_map": weight_map}))
    return build


# (file the builder writes, builder, the finding, words the finding must hold)
HOSTILE_INPUTS = {
    "zip end record claims a 2 GiB central directory": (
        "training_args.bin", _sparse_zip_claiming_its_size, "CG009", "central directory"),
    "zip64 end record claims a 2 GiB central directory": (
        "training_args.bin", _sparse_zip64_claiming_its_size, "CG009", "central directory"),
    "10^6 zip members": ("pytorch_model.bin", lambda path: _zip_with_members(path, 1_000_000), "CG009", "entries"),
    "150,000 zip members in a 7 MB directory": (
        "pytorch_model.bin", lambda path: _zip_with_members(path, 150_000), "CG009", "entries"),
    "pickle opcode flood": ("pytorch_model.bin", _opcode_flood, "CG009", "opcodes"),
    "legacy torch pickle opcode flood": ("pytorch_model.bin", _legacy_opcode_flood, "CG009", "opcodes"),
    "pickled dict of 4 million keys": ("pytorch_model.bin", _dict_of_millions_of_keys, "CG009", "opcodes"),
    "pickled ints of a million bytes, multiplied": (
        "training_args.bin", _training_args_multiplying_huge_ints, "CG009", "digits"),
    "pickled shape of 100,000 dimensions": ("pytorch_model.bin", _state_dict_with_a_huge_shape, "CG310", "64"),
    "70 MB safetensors header of 10^6 tensors": ("model.safetensors", _million_tensor_header, "CG009", "tensors"),
    "safetensors shape of 5,000 dimensions of 4,000 digits": (
        "model.safetensors", _shape_of_thousands_of_digits, "CG302", "at most 64"),
    "index naming 10^6 distinct shards": (
        "model.safetensors.index.json", _index_naming_shards(1_000_000), "CG311", "JSON values"),
    "index naming 20,000 distinct shards": (
        "model.safetensors.index.json", _index_naming_shards(20_000), "CG009", "shard files"),
}


@pytest.mark.parametrize("case", HOSTILE_INPUTS)
def test_amplifying_input_is_refused_before_the_work(tmp_path: Path, case: str) -> None:
    filename, build, code, words = HOSTILE_INPUTS[case]
    repo = classifier_repo(tmp_path / "repo")
    build(repo / filename)
    for command in (["facts", "--format", "json", "."], ["check", "--format", "json", "."]):
        started = time.monotonic()
        run = run_cli(command, cwd=repo, timeout=3 * TIME_LIMIT_S)
        elapsed = time.monotonic() - started
        assert "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr
        findings = [item for item in json.loads(run.stdout)["findings"] if item["code"] == code]
        assert findings, (command[0], run.stdout[-2000:])
        # CG311 (a file not read) is a warning: facts then exits 0; check fails on the stale card.
        assert run.returncode == (0 if code == "CG311" and command[0] == "facts" else 1), run.returncode
        assert any(filename in item["path"] and words in item["message"] for item in findings), findings
        assert elapsed < TIME_LIMIT_S, f"{command[0]} took {elapsed:.1f} s"
        assert run.peak_mb < PEAK_RSS_LIMIT_MB, f"{command[0]}: peak RSS {run.peak_mb:.0f} MB"


# -- just under the bounds: what the figure must hold --------------------------------------------

EMPTY_SET = b"\x8f"  # protocol 4; ~220 bytes of memory for one byte of pickle, the most of any opcode


def _sets_just_under_the_opcode_bound(path: Path) -> None:
    _torch_zip(path, b"\x80\x04" + EMPTY_LIST + (EMPTY_SET + APPEND) * 499_990 + STOP)


def _json_keys_just_under_the_value_bound(path: Path) -> None:
    path.write_text(json.dumps({f"key{i}": 0 for i in range(999_990)}))  # two values counted per key


def _header_just_under_the_tensor_bound(path: Path) -> None:
    entries = b",".join(b'"t%d":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}' % i for i in range(99_999))
    _safetensors(path, b"{" + entries + b"}")


JUST_UNDER_THE_BOUNDS = {
    "pickle of 999,981 opcodes building sets": ("pytorch_model.bin", _sets_just_under_the_opcode_bound),
    "trainer_state.json of 999,990 distinct keys": ("trainer_state.json", _json_keys_just_under_the_value_bound),
    "safetensors header of 99,999 tensors": ("model.safetensors", _header_just_under_the_tensor_bound),
}


@pytest.mark.parametrize("case", JUST_UNDER_THE_BOUNDS)
def test_input_just_under_the_count_bounds_stays_under_the_figure(tmp_path: Path, case: str) -> None:
    """The bounds are what keeps memory under PEAK_RSS_LIMIT_MB: an input just under them is
    read (no CG009 or CG311) and still stays under it."""
    filename, build = JUST_UNDER_THE_BOUNDS[case]
    repo = classifier_repo(tmp_path / "repo")
    build(repo / filename)
    run = run_cli(["check", "--format", "json", "."], cwd=repo, timeout=3 * TIME_LIMIT_S)
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr
    assert run.returncode == 1  # the stale labels region of the card
    assert not run.codes() & {"CG009", "CG311"}, run.stdout[-2000:]
    assert run.peak_mb < PEAK_RSS_LIMIT_MB, f"peak RSS {run.peak_mb:.0f} MB"
