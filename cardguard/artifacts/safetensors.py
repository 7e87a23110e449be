"""Header-only reading of one safetensors file.

Layout (https://github.com/huggingface/safetensors): 8 bytes little-endian header length N,
then N bytes of JSON ``{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__":
{str: str}}``, then the tensor data, offsets counted from the end of the header. Only the first
8 + N bytes are ever read, so a 1 TB checkpoint costs a few reads.
"""

from __future__ import annotations

import json
import reprlib
from itertools import chain, compress, repeat
from math import prod
from operator import eq, ge, itemgetter, mul, sub

from cardguard.artifacts.files import ReadContext, json_values_at_most, summarise
from cardguard.artifacts.odd_text import clean_json_value, may_hold_lone_surrogates
from cardguard.artifacts.tensors import DTYPE_BITS, MAX_DIMENSION, MAX_TENSOR_RANK, ShardContents, element_count

# Bytes per element of the byte-aligned dtypes, the ones the fast path takes.
_BYTES_PER_ELEMENT = {name: bits // 8 for name, bits in DTYPE_BITS.items() if bits % 8 == 0}
_ENTRY_FIELDS = itemgetter("dtype", "shape", "data_offsets")
_OFFSETS_KEY = b'"data_offsets"'
# Values from a header shown in messages: a few items, a few digits (a shape may hold thousands).
_SHOWN = reprlib.Repr()
_SHOWN.maxlist = _SHOWN.maxtuple = _SHOWN.maxdict = 6
_SHOWN.maxlong = _SHOWN.maxstring = _SHOWN.maxother = 40


def read_safetensors_file(ctx: ReadContext, relative: str) -> ShardContents | None:
    """The tensors of one safetensors file, or None with findings when it cannot be read."""
    opened = ctx.open_binary(relative)
    if opened is None:
        return None
    handle, file_size = opened
    with handle:
        try:
            header = _read_header_bytes(ctx, relative, handle, file_size)
        except OSError as err:
            ctx.report("CG001", relative, f"cannot read {relative}: {err.strerror or err}")
            return None
    if header is None or _over_count_bounds(ctx, relative, header):
        return None
    data_size = file_size - 8 - len(header)
    text = _decode_header(ctx, relative, header)
    del header  # a 100 MB header is held as bytes, then as text, never both while parsing
    if text is None:
        return None
    parsed = _parse_header_json(ctx, relative, text)
    if parsed is None:
        return None
    return _check_entries(ctx, relative, parsed, data_size, file_size)


def _read_header_bytes(ctx: ReadContext, relative: str, handle, file_size: int) -> bytes | None:
    prefix = handle.read(8)
    if len(prefix) < 8:
        ctx.report("CG302", relative, f"{relative} is truncated: {len(prefix)} bytes, shorter than the 8-byte header length")
        return None
    length = int.from_bytes(prefix, "little")
    limit = ctx.limits.max_safetensors_header_bytes
    if length > limit:
        ctx.report("CG303", relative, f"{relative} declares a {length}-byte header, over the format's {limit}-byte limit")
        return None
    if 8 + length > file_size:
        ctx.report("CG303", relative, f"{relative} declares a {length}-byte header but the file has only {file_size} bytes")
        return None
    header = handle.read(length)
    if len(header) < length:
        ctx.report("CG302", relative, f"{relative} is truncated inside its header")
        return None
    return header


def _over_count_bounds(ctx: ReadContext, relative: str, header: bytes) -> bool:
    """True, with CG009, when the header may hold more tensors or JSON values than the bounds:
    counted in C before parsing, which costs ~800 bytes of memory per tensor. Each counted
    item takes bytes, so a header too short to pass a bound (every real one) is not counted."""
    max_tensors, max_values = ctx.limits.max_safetensors_tensors, ctx.limits.max_json_values
    if len(header) > max_tensors * len(_OFFSETS_KEY):
        tensors = header.count(_OFFSETS_KEY)  # every entry has one; strings only add to it
        if tensors > max_tensors:
            ctx.report("CG009", relative, f"{relative} declares {tensors} tensors in one header,"
                       f" over the bound of {max_tensors}; not read")
            return True
    if len(header) >= max_values:
        values = json_values_at_most(header)
        if values > max_values:
            ctx.report("CG009", relative, f"{relative}: the header may hold {values} JSON values,"
                       f" over the bound of {max_values}; not read")
            return True
    return False


def _decode_header(ctx: ReadContext, relative: str, header: bytes) -> str | None:
    try:
        return header.decode("utf-8")
    except UnicodeDecodeError:
        ctx.report("CG302", relative, f"{relative}: the header is not UTF-8")
        return None


def _parse_header_json(ctx: ReadContext, relative: str, text: str) -> dict | None:
    try:
        parsed = json.loads(text)
    except RecursionError:
        ctx.report("CG302", relative, f"{relative}: the header JSON is nested too deeply")
        return None
    except ValueError as err:
        ctx.report("CG302", relative, f"{relative}: the header is not valid JSON ({err})")
        return None
    if not isinstance(parsed, dict):
        ctx.report("CG302", relative, f"{relative}: the header is a JSON {type(parsed).__name__}, not an object")
        return None
    return clean_json_value(parsed) if may_hold_lone_surrogates(text) else parsed


def _check_entries(ctx: ReadContext, relative: str, parsed: dict, data_size: int, file_size: int) -> ShardContents:
    contents = ShardContents(file_bytes=file_size)
    problems: dict[str, list[str]] = {"CG302": [], "CG304": []}
    metadata = parsed.pop("__metadata__", None)
    if isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values()):
        contents.metadata = metadata
    elif metadata is not None:
        problems["CG302"].append("__metadata__ is not an object of strings")

    sums = _sums_if_all_valid(parsed, data_size)
    if sums is not None:
        contents.tensor_names = list(parsed)
        contents.parameters_by_dtype, contents.tensor_bytes = sums
    else:
        _check_each_entry(parsed, data_size, contents, problems)

    for code, messages in problems.items():
        if messages:
            ctx.report(code, relative, f"{relative}: " + summarise(messages))
    return contents


def _sums_if_all_valid(parsed: dict, data_size: int) -> tuple[dict[str, int], int] | None:
    """Parameters per dtype and tensor bytes when every entry is valid, else None.

    The fast path for the common case: whole-header checks made of C-level calls (map, set,
    chain, compress, sorted) in place of a Python loop of a dozen tests per tensor, run ~10^4
    times for a 1 TB checkpoint. It accepts exactly what _check_each_entry finds no problem in,
    except sub-byte dtypes (F4, F6), which always take that walk (a property test holds the two
    together); the walk also says what is wrong.
    """
    entries = list(parsed.values())
    if not entries:
        return {}, 0
    try:  # itemgetter, len and chain raise TypeError on anything but JSON objects and arrays
        dtypes, shapes, offsets = zip(*map(_ENTRY_FIELDS, entries))
        widths = list(map(_BYTES_PER_ELEMENT.__getitem__, dtypes))  # KeyError unless a known dtype
        if not set(map(len, offsets)) <= {2}:
            return None
        dims = list(chain.from_iterable(shapes))
        bounds = list(chain.from_iterable(offsets))  # begin, end, begin, end …
    except (KeyError, TypeError):
        return None
    # Only ints pass (not bool, not the characters of a string, not the keys of an object); a
    # shape must be an array besides, or "" and {} would pass as scalars.
    if not set(map(type, dims)) | set(map(type, bounds)) <= {int} or not set(map(type, shapes)) <= {list}:
        return None
    if min(dims, default=0) < 0 or min(bounds, default=0) < 0 or max(bounds, default=0) > data_size:
        return None
    # Checked before prod: thousands of dimensions of thousands of digits would take minutes.
    if max(dims, default=0) > MAX_DIMENSION or max(map(len, shapes)) > MAX_TENSOR_RANK:
        return None
    counts = list(map(prod, shapes))
    sizes = list(map(sub, bounds[1::2], bounds[0::2]))
    if sizes != list(map(mul, counts, widths)):
        return None
    # Tensors holding bytes overlap unless, with begins and ends each sorted, the (i+1)-th begin
    # comes no earlier than the i-th end: then at most one tensor is open at any offset.
    begins, ends = sorted(compress(bounds[0::2], sizes)), sorted(compress(bounds[1::2], sizes))
    if not all(map(ge, begins[1:], ends)):
        return None
    by_dtype = {dtype: sum(compress(counts, map(eq, dtypes, repeat(dtype)))) for dtype in dict.fromkeys(dtypes)}
    return by_dtype, sum(sizes)


def _check_each_entry(parsed: dict, data_size: int, contents: ShardContents, problems: dict[str, list[str]]) -> None:
    """Every entry in turn: the valid ones summed into ``contents``, the others described."""
    names, by_dtype = contents.tensor_names, contents.parameters_by_dtype
    spans: list[tuple[int, int, str]] = []
    for name, entry in parsed.items():
        checked = _parse_entry(entry)
        if type(checked) is str:
            problems["CG302"].append(f"tensor {name!r}: {checked}")
            continue
        dtype, numel, begin, end = checked
        names.append(name)
        by_dtype[dtype] = by_dtype.get(dtype, 0) + numel
        contents.tensor_bytes += end - begin  # _parse_entry checked it is what dtype and shape need
        if end > data_size:
            problems["CG304"].append(
                f"tensor {name!r} ends at byte {end} of the data section, past its end ({data_size} bytes)"
            )
        if end > begin:
            spans.append((begin, end, name))
    problems["CG304"].extend(_overlaps(spans))


def _parse_entry(entry: object) -> tuple[str, int, int, int] | str:
    """A valid tensor entry as (dtype, element count, begin, end), or what is wrong with it.

    Runs once per tensor of a header the fast path did not take (_sums_if_all_valid), to find
    and word what is wrong; exact type() tests, as there, so that bool is not an int.
    """
    if type(entry) is not dict:
        return "entry is not an object"
    dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    bits = DTYPE_BITS.get(dtype) if type(dtype) is str else None
    if bits is None:
        return f"unknown dtype {_SHOWN.repr(dtype)}"
    numel = element_count(shape)
    if numel is None:
        return (f"shape {_SHOWN.repr(shape)} is not a list of at most {MAX_TENSOR_RANK}"
                f" integers from 0 to {MAX_DIMENSION}")
    if type(offsets) is not list or len(offsets) != 2:
        return f"data_offsets {_SHOWN.repr(offsets)} is not a pair of non-negative integers"
    begin, end = offsets
    if type(begin) is not int or type(end) is not int or begin < 0:
        return f"data_offsets {_SHOWN.repr(offsets)} is not a pair of non-negative integers"
    if end < begin:
        return f"data_offsets {_SHOWN.repr(offsets)} end before they begin"
    if end - begin != (numel * bits + 7) // 8:
        return f"data_offsets span {end - begin} bytes but {dtype}{_SHOWN.repr(shape)} needs {(numel * bits + 7) // 8}"
    return dtype, numel, begin, end


def _overlaps(spans: list[tuple[int, int, str]]) -> list[str]:
    messages = []
    spans.sort()
    previous_end, previous_name = 0, ""
    for begin, end, name in spans:
        if begin < previous_end:
            messages.append(f"tensor {name!r} (bytes {begin}-{end}) overlaps tensor {previous_name!r}")
        if end > previous_end:
            previous_end, previous_name = end, name
    return messages
