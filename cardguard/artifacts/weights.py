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
from itertools import repeat
from operator import eq

from cardguard.artifacts.files import ReadContext, is_plain_relative, summarise
from cardguard.artifacts.safetensors import read_safetensors_file
from cardguard.artifacts.tensors import ShardContents
from cardguard.record import Record, factory

TYPE_CHECKING = False  # typing is imported for type checkers only: it costs a cold start ~5 ms
if TYPE_CHECKING:
    from typing import Callable

    FileReader = Callable[[ReadContext, str], ShardContents | None]


class WeightsFacts(Record):
    format: str  # "safetensors" or "pytorch"
    files: list[str]  # every weight file, relative to the model folder (the shards)
    index_file: str | None = None
    shard_count: int = 0
    tensor_count: int = 0
    parameters: int = 0
    parameters_by_dtype: dict[str, int] = factory(dict)
    tensor_bytes: int = 0
    file_bytes: int = 0
    metadata: dict[str, str] = factory(dict)  # __metadata__ of the first file
    index_total_size: int | None = None
    # Files whose content is not here: Git LFS pointers (with the size they stand for) …
    not_available_locally: dict[str, int] = factory(dict)
    # … and files the index names that are missing, escape the folder or are broken.
    unreadable_files: list[str] = factory(list)

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
        names = sorted(name for name in os.listdir(ctx.model_dir) if name.endswith(".safetensors"))
    except OSError:
        return []
    return [name for name in names if not (exclude_prefix and name.startswith(exclude_prefix))]


def _read_files(ctx: ReadContext, fmt: str, files: list[str], reader: FileReader) -> WeightsFacts:
    facts = WeightsFacts(format=fmt, files=list(files), shard_count=len(files))
    with ctx.reading_ahead(files):
        for relative in files:
            contents = reader(ctx, relative)
            _add_shard(ctx, facts, relative, contents)
    return facts


def _read_indexed(ctx: ReadContext, fmt: str, index: str, reader: FileReader) -> WeightsFacts | None:
    weight_map, total_size = _read_index(ctx, index)
    if weight_map is None:
        return None
    base = index.rpartition("/")[0]  # the folder of the index, "" at the top
    files = list(dict.fromkeys(weight_map.values()))
    if len(files) > ctx.limits.max_index_shards:
        # Each shard costs a file lookup and maybe a finding: refused before any is looked at.
        ctx.report("CG009", index, f"{index} names {len(files)} shard files, over the bound of"
                   f" {ctx.limits.max_index_shards}; no shard was read")
        return None
    facts = WeightsFacts(format=fmt, files=files, index_file=index, shard_count=len(files), index_total_size=total_size)
    names_by_shard: dict[str, list[str]] = {}
    relatives = [f"{base}/{shard}" if base else shard for shard in files]
    with ctx.reading_ahead(relatives):
        for shard, relative in zip(files, relatives):
            contents = _read_shard(ctx, index, relative, reader)
            _add_shard(ctx, facts, relative, contents)
            if contents is not None:
                names_by_shard[shard] = contents.tensor_names
    mismatches = [] if _agrees_with_index(weight_map, names_by_shard) else _index_mismatches(weight_map, names_by_shard)
    if mismatches:
        ctx.report("CG306", index, f"{index}: " + summarise(mismatches), fix="re-save the checkpoint so index and shards agree")
    return facts


def _read_index(ctx: ReadContext, index: str) -> tuple[dict[str, str] | None, int | None]:
    data = ctx.read_json_object(index, flat=True)  # only weight_map and metadata.total_size are read
    if data is None:
        return None, None
    weight_map = data.get("weight_map")
    if not isinstance(weight_map, dict) or not set(map(type, weight_map.values())) <= {str}:
        ctx.report("CG301", index, f"{index}: 'weight_map' is not an object mapping tensor names to file names")
        return None, None
    metadata = data.get("metadata")
    total = metadata.get("total_size") if isinstance(metadata, dict) else None
    return weight_map, total if isinstance(total, int) and not isinstance(total, bool) else None


def _read_shard(ctx: ReadContext, index: str, relative: str, reader: FileReader) -> ShardContents | None:
    if not is_plain_relative(relative):
        ctx.report("CG307", index, f"{index} names shard {relative!r}, an absolute path or one with '..'; not followed")
        return None
    path = os.path.join(ctx.model_dir, relative)
    if not os.path.exists(path):
        if os.path.lexists(path):
            ctx.report("CG305", index, f"{index} names shard {relative}, a dangling or looping symlink")
        else:
            ctx.report("CG305", index, f"{index} names shard {relative}, which is not in the folder")
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
    facts.tensor_count += len(contents.tensor_names)
    facts.tensor_bytes += contents.tensor_bytes
    for dtype, count in contents.parameters_by_dtype.items():
        facts.parameters += count
        facts.parameters_by_dtype[dtype] = facts.parameters_by_dtype.get(dtype, 0) + count


def _agrees_with_index(weight_map: dict[str, str], names_by_shard: dict[str, list[str]]) -> bool:
    """True when every shard holds exactly the tensors the index puts in it: the common case,
    decided with C-level lookups instead of set arithmetic over ~10^4 names. Each name must map
    to the shard it was found in, and as many names must be found as the index lists."""
    found = 0
    for shard, names in names_by_shard.items():
        if not all(map(eq, map(weight_map.get, names), repeat(shard))):
            return False
        found += len(names)
    return found == len(weight_map)


def _index_mismatches(weight_map: dict[str, str], names_by_shard: dict[str, list[str]]) -> list[str]:
    """What differs between the index and the shards that could be read."""
    named_by_shard: dict[str, set[str]] = {}
    for name, shard in weight_map.items():
        named_by_shard.setdefault(shard, set()).add(name)
    problems = []
    for shard, names in names_by_shard.items():
        present, named = set(names), named_by_shard[shard]
        problems += [f"{name!r} is in the index for {shard} but not in that shard" for name in sorted(named - present)]
        for name in sorted(present - named):
            where = weight_map.get(name)
            if where is None:
                problems.append(f"{name!r} is in {shard} but not in the index")
            else:
                problems.append(f"{name!r} is in {shard} but the index puts it in {where}")
    return problems
