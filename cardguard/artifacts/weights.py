"""Facts about a whole checkpoint: one file or many shards, safetensors or pickled torch.

Which files are the weights, in order of preference:
  1. ``{stem}.safetensors.index.json`` and the shards its weight_map names;
  2. ``{stem}.safetensors``;
  3. any other top-level ``*.safetensors`` (shards saved without an index);
  4. the same three for ``{stem}.bin`` (pickled torch), read through ``pickles.py``.
``stem`` is ``model`` for a model and ``adapter_model`` for a PEFT adapter;
the torch stem of a model is ``pytorch_model``.

``parameters`` counts every element of every tensor, as the Hub does for its "Model size";
``parameters_by_dtype`` lets a caller leave out integer buffers such as ``position_ids``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Callable

from cardguard.artifacts.files import ReadContext, is_plain_relative, summarise
from cardguard.artifacts.safetensors import read_safetensors_file
from cardguard.artifacts.tensors import ShardContents

FileReader = Callable[[ReadContext, str], "ShardContents | None"]


@dataclass
class WeightsFacts:
    format: str  # "safetensors" or "pytorch"
    files: list[str]  # every weight file, relative to the model folder (the shards)
    index_file: str | None = None
    shard_count: int = 0
    tensor_count: int = 0
    parameters: int = 0
    parameters_by_dtype: dict[str, int] = field(default_factory=dict)
    tensor_bytes: int = 0
    file_bytes: int = 0
    metadata: dict[str, str] = field(default_factory=dict)  # __metadata__ of the first file
    index_total_size: int | None = None
    # Files whose content is not here: Git LFS pointers (with the size they stand for) …
    not_available_locally: dict[str, int] = field(default_factory=dict)
    # … and files the index names that are missing, escape the folder or are broken.
    unreadable_files: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """True when every weight file was read, so the counts are the checkpoint's own."""
        return not self.not_available_locally and not self.unreadable_files


def read_model_weights(ctx: ReadContext) -> WeightsFacts | None:
    return read_weights(ctx, "model", "pytorch_model", exclude_prefix="adapter_model")


def read_weights(
    ctx: ReadContext, safetensors_stem: str, torch_stem: str, exclude_prefix: str | None = None
) -> WeightsFacts | None:
    """The checkpoint facts for one stem, or None when the folder has no such weights."""
    candidates: list[tuple[str, str, FileReader]] = [
        ("safetensors", f"{safetensors_stem}.safetensors", read_safetensors_file),
        ("pytorch", f"{torch_stem}.bin", _read_torch_file),
    ]
    for fmt, single, reader in candidates:
        index = f"{single}.index.json"
        if ctx.exists(index):
            return _read_indexed(ctx, fmt, index, reader)
        if ctx.exists(single):
            return _read_files(ctx, fmt, [single], reader)
        if fmt == "safetensors":
            loose = _loose_safetensors(ctx, exclude_prefix)
            if loose:
                return _read_files(ctx, fmt, loose, reader)
    return None


def _read_torch_file(ctx: ReadContext, relative: str) -> ShardContents | None:
    # Imported here so that folders without a .bin never load pickle and zipfile support.
    from cardguard.artifacts.pickles import read_torch_weights_file

    return read_torch_weights_file(ctx, relative)


def _loose_safetensors(ctx: ReadContext, exclude_prefix: str | None) -> list[str]:
    try:
        names = sorted(entry.name for entry in ctx.model_dir.iterdir() if entry.name.endswith(".safetensors"))
    except OSError:
        return []
    return [name for name in names if not (exclude_prefix and name.startswith(exclude_prefix))]


def _read_files(ctx: ReadContext, fmt: str, files: list[str], reader: FileReader) -> WeightsFacts:
    facts = WeightsFacts(format=fmt, files=list(files), shard_count=len(files))
    for relative in files:
        contents = reader(ctx, relative)
        _add_shard(ctx, facts, relative, contents)
    return facts


def _read_indexed(ctx: ReadContext, fmt: str, index: str, reader: FileReader) -> WeightsFacts | None:
    weight_map, total_size = _read_index(ctx, index)
    if weight_map is None:
        return None
    base = PurePosixPath(index).parent
    files = list(dict.fromkeys(weight_map.values()))
    facts = WeightsFacts(format=fmt, files=files, index_file=index, shard_count=len(files), index_total_size=total_size)
    names_by_file: dict[str, set[str]] = {}
    for name, file in weight_map.items():
        names_by_file.setdefault(file, set()).add(name)
    mismatches: list[str] = []
    for shard in files:
        relative = shard if str(base) == "." else str(base / shard)
        contents = _read_shard(ctx, index, relative, reader)
        _add_shard(ctx, facts, relative, contents)
        if contents is not None:
            mismatches.extend(_compare_with_index(weight_map, shard, names_by_file[shard], contents))
    if mismatches:
        ctx.report("CG306", index, f"{index}: " + summarise(mismatches), fix="re-save the checkpoint so index and shards agree")
    return facts


def _read_index(ctx: ReadContext, index: str) -> tuple[dict[str, str] | None, int | None]:
    data = ctx.read_json_object(index)
    if data is None:
        return None, None
    weight_map = data.get("weight_map")
    if not isinstance(weight_map, dict) or not all(isinstance(v, str) for v in weight_map.values()):
        ctx.report("CG301", index, f"{index}: 'weight_map' is not an object mapping tensor names to file names")
        return None, None
    metadata = data.get("metadata")
    total = metadata.get("total_size") if isinstance(metadata, dict) else None
    return weight_map, total if isinstance(total, int) and not isinstance(total, bool) else None


def _read_shard(ctx: ReadContext, index: str, relative: str, reader: FileReader) -> ShardContents | None:
    if not is_plain_relative(relative):
        ctx.report("CG307", index, f"{index} names shard {relative!r}, an absolute path or one with '..'; not followed")
        return None
    if not ctx.exists(relative):
        ctx.report("CG305", index, f"{index} names shard {relative}, which is not in the folder")
        return None
    if not os.path.exists(ctx.model_dir / relative):
        ctx.report("CG305", index, f"{index} names shard {relative}, a dangling or looping symlink")
        return None
    return reader(ctx, relative)


def _add_shard(ctx: ReadContext, facts: WeightsFacts, relative: str, contents: ShardContents | None) -> None:
    if contents is None:
        pointer = ctx.lfs_pointers.get(relative)
        if pointer is not None:
            facts.not_available_locally[relative] = pointer.size
            facts.file_bytes += pointer.size
        else:
            facts.unreadable_files.append(relative)
        return
    if not facts.metadata and contents.metadata:
        facts.metadata = dict(contents.metadata)
    facts.file_bytes += contents.file_bytes
    for tensor in contents.tensors.values():
        facts.tensor_count += 1
        if tensor.alias_of is not None:
            continue
        facts.parameters += tensor.numel
        facts.parameters_by_dtype[tensor.dtype] = facts.parameters_by_dtype.get(tensor.dtype, 0) + tensor.numel
        facts.tensor_bytes += tensor.nbytes


def _compare_with_index(weight_map: dict[str, str], shard: str, named: set[str], contents: ShardContents) -> list[str]:
    present = set(contents.tensors)
    problems = [f"{name!r} is in the index for {shard} but not in that shard" for name in sorted(named - present)]
    for name in sorted(present - named):
        where = weight_map.get(name)
        if where is None:
            problems.append(f"{name!r} is in {shard} but not in the index")
        else:
            problems.append(f"{name!r} is in {shard} but the index puts it in {where}")
    return problems
