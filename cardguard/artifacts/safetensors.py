"""Header-only reading of one safetensors file.

Layout (https://github.com/huggingface/safetensors): 8 bytes little-endian header length N,
then N bytes of JSON ``{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__":
{str: str}}``, then the tensor data, offsets counted from the end of the header. Only the first
8 + N bytes are ever read, so a 1 TB checkpoint costs a few reads.
"""

from __future__ import annotations

import json

from cardguard.artifacts.files import ReadContext, summarise
from cardguard.artifacts.tensors import DTYPE_BITS, ShardContents, TensorEntry

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
    if header is None:
        return None
    parsed = _parse_header_json(ctx, relative, header)
    if parsed is None:
        return None
    data_size = file_size - 8 - len(header)
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


def _parse_header_json(ctx: ReadContext, relative: str, header: bytes) -> dict | None:
    try:
        parsed = json.loads(header.decode("utf-8"))
    except UnicodeDecodeError:
        ctx.report("CG302", relative, f"{relative}: the header is not UTF-8")
        return None
    except RecursionError:
        ctx.report("CG302", relative, f"{relative}: the header JSON is nested too deeply")
        return None
    except ValueError as err:
        ctx.report("CG302", relative, f"{relative}: the header is not valid JSON ({err})")
        return None
    if not isinstance(parsed, dict):
        ctx.report("CG302", relative, f"{relative}: the header is a JSON {type(parsed).__name__}, not an object")
        return None
    return parsed


def _check_entries(ctx: ReadContext, relative: str, parsed: dict, data_size: int, file_size: int) -> ShardContents:
    contents = ShardContents(file_bytes=file_size)
    problems: dict[str, list[str]] = {"CG302": [], "CG304": []}
    metadata = parsed.pop("__metadata__", None)
    if isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values()):
        contents.metadata = metadata
    elif metadata is not None:
        problems["CG302"].append("__metadata__ is not an object of strings")

    spans: list[tuple[int, int, str]] = []
    for name, entry in parsed.items():
        tensor, problem = _parse_entry(entry)
        if tensor is None:
            problems["CG302"].append(f"tensor {name!r}: {problem}")
            continue
        begin, end = entry["data_offsets"]
        contents.tensors[name] = tensor
        if end > data_size:
            problems["CG304"].append(
                f"tensor {name!r} ends at byte {end} of the data section, past its end ({data_size} bytes)"
            )
        if end > begin:
            spans.append((begin, end, name))
    problems["CG304"].extend(_overlaps(spans))

    for code, messages in problems.items():
        if messages:
            ctx.report(code, relative, f"{relative}: " + summarise(messages))
    return contents


def _parse_entry(entry: object) -> tuple[TensorEntry | None, str | None]:
    """A valid tensor entry, or None and a description of what is wrong with it.

    Runs once per tensor (~10^4 for a 1 TB checkpoint), hence the plain loops.
    """
    if not isinstance(entry, dict):
        return None, "entry is not an object"
    dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if dtype not in DTYPE_BITS:
        return None, f"unknown dtype {dtype!r}"
    if not isinstance(shape, list) or not all(_is_count(d) for d in shape):
        return None, f"shape {shape!r} is not a list of non-negative integers"
    if not (isinstance(offsets, list) and len(offsets) == 2 and _is_count(offsets[0]) and _is_count(offsets[1])):
        return None, f"data_offsets {offsets!r} is not a pair of non-negative integers"
    begin, end = offsets
    if end < begin:
        return None, f"data_offsets {offsets} end before they begin"
    tensor = TensorEntry(dtype, tuple(shape))
    if end - begin != tensor.nbytes:
        return None, f"data_offsets span {end - begin} bytes but {dtype}{shape} needs {tensor.nbytes}"
    return tensor, None


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


def _is_count(value: object) -> bool:
    return type(value) is int and value >= 0  # not bool, which is an int subclass
