"""The whole-header fast path of the safetensors reader agrees with the per-tensor walk.

``_sums_if_all_valid`` decides most headers without a Python loop per tensor; it must accept
exactly the headers in which ``_check_each_entry`` finds nothing wrong, with the same sums.
Sub-byte dtypes (F4, F6) are left to the walk. Hypothesis builds headers near the boundary:
valid entries with one field bent at a time.
"""

from __future__ import annotations

import copy

import pytest

from hypothesis import given, settings
from hypothesis import strategies as st

from cardguard.artifacts.safetensors import _check_each_entry, _sums_if_all_valid
from cardguard.artifacts.tensors import DTYPE_BITS, ShardContents

ODD_VALUES = [None, True, False, -1, 0, 1, 2.0, "2", [], [1], [1, 2, 3], {}, "F32", "f32", 10**20]
dtypes = st.sampled_from([*DTYPE_BITS, "F32", "BF16"])
shapes = st.lists(st.integers(0, 6), max_size=3)
SUB_BYTE = {name for name, bits in DTYPE_BITS.items() if bits % 8}


@st.composite
def valid_entries(draw: st.DrawFn) -> list[dict]:
    """Entries laid out one after another, as a writer would, sometimes with a gap."""
    entries, offset = [], 0
    for _ in range(draw(st.integers(0, 6))):
        dtype, shape = draw(dtypes), draw(shapes)
        count = 1
        for dim in shape:
            count *= dim
        size = (count * DTYPE_BITS[dtype] + 7) // 8
        offset += draw(st.sampled_from([0, 0, 0, 1, 4]))
        entries.append({"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size]})
        offset += size
    return entries


def bend(entries: list[dict], data: st.DataObject) -> list[dict]:
    """One change that may or may not make the header invalid."""
    if not entries:
        return entries
    entry = data.draw(st.sampled_from(entries))
    kinds = ["replace", "drop", "dim", "offset", "overlap", "not-object", "bool-dim", "negate-two-dims"]
    kind = data.draw(st.sampled_from(kinds))
    if kind == "replace":
        entry[data.draw(st.sampled_from(["dtype", "shape", "data_offsets"]))] = data.draw(st.sampled_from(ODD_VALUES))
    elif kind == "drop":
        del entry[data.draw(st.sampled_from(["dtype", "shape", "data_offsets"]))]
    elif kind == "dim" and entry["shape"]:
        entry["shape"][0] = data.draw(st.sampled_from(ODD_VALUES))
    elif kind == "offset":
        entry["data_offsets"][data.draw(st.integers(0, 1))] += data.draw(st.integers(-3, 3))
    elif kind == "overlap" and len(entries) > 1:  # moved into another tensor's bytes, size kept
        begin, end = entry["data_offsets"]
        other_begin = entries[0]["data_offsets"][0] + data.draw(st.integers(0, 3))
        entry["data_offsets"] = [other_begin, other_begin + end - begin]
    elif kind == "negate-two-dims" and len(entry["shape"]) > 1:  # the same element count, signs wrong
        entry["shape"][0], entry["shape"][1] = -entry["shape"][0], -entry["shape"][1]
    elif kind == "bool-dim" and entry["shape"]:
        entry["shape"][0] = entry["shape"][0] == 1  # true in place of 1: same value, not an int
    elif kind == "not-object":
        entries[entries.index(entry)] = data.draw(st.sampled_from(ODD_VALUES))
    return entries


def uses_sub_byte_dtype(entries: list) -> bool:
    """F4 and F6 entries: valid ones always take the walk, never the fast path."""
    return any(isinstance(e, dict) and e.get("dtype") in SUB_BYTE for e in entries)


def walk(parsed: dict, data_size: int) -> tuple[ShardContents, dict[str, list[str]]]:
    contents = ShardContents()
    problems: dict[str, list[str]] = {"CG302": [], "CG304": []}
    _check_each_entry(parsed, data_size, contents, problems)
    return contents, problems


@settings(max_examples=400, deadline=None)
@given(valid_entries(), st.integers(0, 3), st.booleans(), st.data())
def test_fast_path_accepts_exactly_what_the_walk_finds_valid(entries, spare, bent, data) -> None:
    if bent:
        entries = bend(copy.deepcopy(entries), data)
    parsed = {f"t{i}": entry for i, entry in enumerate(entries)}
    ends = [e["data_offsets"][1] for e in entries if isinstance(e, dict) and isinstance(e.get("data_offsets"), list)
            and len(e["data_offsets"]) == 2 and isinstance(e["data_offsets"][1], int)]
    # Never negative: the reader checks that the header fits in the file first.
    data_size = max(0, max(ends, default=0) + spare - data.draw(st.integers(0, 1)))

    sums = _sums_if_all_valid(parsed, data_size)
    contents, problems = walk(parsed, data_size)

    walk_found_nothing = not problems["CG302"] and not problems["CG304"]
    assert (sums is not None) == (walk_found_nothing and not uses_sub_byte_dtype(entries))
    if sums is not None:
        assert sums == (contents.parameters_by_dtype, contents.tensor_bytes)
        assert contents.tensor_names == list(parsed)


def test_a_bool_dimension_is_refused_by_both() -> None:
    parsed = {"t": {"dtype": "F32", "shape": [True, 2], "data_offsets": [0, 8]}}
    assert _sums_if_all_valid(parsed, 8) is None
    assert walk(parsed, 8)[1]["CG302"]


@pytest.mark.parametrize("shape", ["", {}, "7", {"7": 7}])
def test_a_shape_that_is_not_an_array_is_refused_even_when_empty(shape: object) -> None:
    parsed = {"scalar": {"dtype": "F32", "shape": shape, "data_offsets": [0, 4]}}
    assert _sums_if_all_valid(parsed, 4) is None
    assert walk(parsed, 4)[1]["CG302"]


def test_touching_tensors_are_not_an_overlap() -> None:
    parsed = {
        "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
        "empty": {"dtype": "F32", "shape": [0], "data_offsets": [8, 8]},
        "b": {"dtype": "BF16", "shape": [3], "data_offsets": [8, 14]},
    }
    assert _sums_if_all_valid(parsed, 14) == ({"F32": 2, "BF16": 3}, 14)


@pytest.mark.parametrize("field", ["dtype", "shape", "data_offsets", "shape[0]", "data_offsets[1]", "entry"])
@pytest.mark.parametrize("odd", ODD_VALUES, ids=repr)
def test_each_odd_value_in_each_place_is_decided_alike(field: str, odd: object) -> None:
    entry = {"dtype": "F32", "shape": [2, 1], "data_offsets": [0, 8]}
    if field == "entry":
        entry = odd
    elif field.endswith("]"):
        name, index = field[:-1].split("[")
        entry[name][int(index)] = odd
    else:
        entry[field] = odd
    parsed = {"w": {"dtype": "BF16", "shape": [4], "data_offsets": [8, 16]}, "t": entry}
    sums = _sums_if_all_valid(parsed, 16)
    contents, problems = walk(parsed, 16)
    assert (sums is not None) == (not problems["CG302"] and not problems["CG304"] and not uses_sub_byte_dtype([entry]))
