"""Benchmark ``cardguard facts`` on sparse safetensors checkpoints of 1 GiB, 100 GiB and 1 TiB.

Each checkpoint is a Llama-style layout (real tensor names and shapes, BF16) written as
headers only: every shard is its 8-byte length, its JSON header and a sparse hole truncated to
the full size, so 1 TiB costs a few megabytes of disk. Each measurement is a fresh Python
process (``cold``: a new interpreter and imports; the page cache is warm after the first run),
the commands taking turns round by round, and is compared with the floor: a minimal script
that only opens each shard and parses its header. Valgrind's callgrind then counts the
instructions of each command once (the same on a busy machine and an idle one).

    python bench/facts.py [--runs 7] [--sizes 1GiB,100GiB,1TiB] [--keep DIR]

Prints a Markdown table: median wall time, instructions and peak RSS of each command, and the
ratios to the floor.
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from harness import (
    NO_TIME_BUDGET,
    busy_warning,
    child_environment,
    instructions,
    interleaved_samples,
    load_average,
    millions,
    print_busy,
)

GiB = 1024**3
SIZES = {"1GiB": GiB, "100GiB": 100 * GiB, "1TiB": 1024 * GiB}
SHARD_BYTES = 5.5e9  # ~ Hub-sized shards: 1 TiB gives 200 of them
BF16_BYTES = 2


@dataclass(frozen=True)
class LlamaShape:
    hidden: int
    intermediate: int
    kv_dim: int
    vocab: int


LLAMA_70B = LlamaShape(hidden=8192, intermediate=28672, kv_dim=1024, vocab=128256)
LLAMA_1B = LlamaShape(hidden=2048, intermediate=8192, kv_dim=512, vocab=32000)


def layer_tensors(shape: LlamaShape, i: int) -> list[tuple[str, list[int]]]:
    h, f, kv = shape.hidden, shape.intermediate, shape.kv_dim
    prefix = f"model.layers.{i}"
    return [
        (f"{prefix}.input_layernorm.weight", [h]),
        (f"{prefix}.self_attn.q_proj.weight", [h, h]),
        (f"{prefix}.self_attn.k_proj.weight", [kv, h]),
        (f"{prefix}.self_attn.v_proj.weight", [kv, h]),
        (f"{prefix}.self_attn.o_proj.weight", [h, h]),
        (f"{prefix}.post_attention_layernorm.weight", [h]),
        (f"{prefix}.mlp.gate_proj.weight", [f, h]),
        (f"{prefix}.mlp.up_proj.weight", [f, h]),
        (f"{prefix}.mlp.down_proj.weight", [h, f]),
    ]


def numel(shape: list[int]) -> int:
    count = 1
    for dim in shape:
        count *= dim
    return count


def llama_layout(target_bytes: int) -> tuple[LlamaShape, int, list[tuple[str, list[int]]]]:
    """Tensors of a Llama whose layer count brings the BF16 size close to ``target_bytes``."""
    shape = LLAMA_70B if target_bytes >= 64 * GiB else LLAMA_1B
    ends = [("model.embed_tokens.weight", [shape.vocab, shape.hidden]), ("model.norm.weight", [shape.hidden]),
            ("lm_head.weight", [shape.vocab, shape.hidden])]
    end_bytes = sum(numel(s) for _, s in ends) * BF16_BYTES
    per_layer = sum(numel(s) for _, s in layer_tensors(shape, 0)) * BF16_BYTES
    layers = max(1, round((target_bytes - end_bytes) / per_layer))
    tensors = [ends[0]]
    for i in range(layers):
        tensors += layer_tensors(shape, i)
    return shape, layers, tensors + ends[1:]


def split_into_shards(tensors: list[tuple[str, list[int]]], shards: int) -> list[list[tuple[str, list[int]]]]:
    total = sum(numel(s) for _, s in tensors) * BF16_BYTES
    groups: list[list[tuple[str, list[int]]]] = [[] for _ in range(shards)]
    written = 0
    for name, shape in tensors:
        index = min(shards - 1, written * shards // total)
        groups[index].append((name, shape))
        written += numel(shape) * BF16_BYTES
    return [group for group in groups if group]


def write_sparse_shard(path: Path, tensors: list[tuple[str, list[int]]]) -> int:
    header: dict = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, shape in tensors:
        size = numel(shape) * BF16_BYTES
        header[name] = {"dtype": "BF16", "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # safetensors pads headers to 8 bytes
    with open(path, "wb") as handle:
        handle.write(struct.pack("<Q", len(raw)) + raw)
        handle.truncate(8 + len(raw) + offset)
    return 8 + len(raw) + offset


def build_checkpoint(folder: Path, target_bytes: int) -> dict:
    shape, layers, tensors = llama_layout(target_bytes)
    shards = split_into_shards(tensors, max(1, round(target_bytes / SHARD_BYTES)))
    weight_map, total = {}, 0
    for number, group in enumerate(shards, start=1):
        name = "model.safetensors" if len(shards) == 1 else f"model-{number:05d}-of-{len(shards):05d}.safetensors"
        total += write_sparse_shard(folder / name, group)
        weight_map.update({tensor: name for tensor, _ in group})
    if len(shards) > 1:
        tensor_bytes = sum(numel(s) for _, s in tensors) * BF16_BYTES
        index = {"metadata": {"total_size": tensor_bytes}, "weight_map": weight_map}
        (folder / "model.safetensors.index.json").write_text(json.dumps(index, indent=2))
    config = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": shape.hidden,
              "intermediate_size": shape.intermediate, "num_hidden_layers": layers, "vocab_size": shape.vocab,
              "max_position_embeddings": 131072, "torch_dtype": "bfloat16"}
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    return {"shards": len(shards), "tensors": len(tensors), "bytes": total,
            "parameters": sum(numel(s) for _, s in tensors)}


FLOOR = """
import json, os, sys
folder = sys.argv[1]
for name in sorted(os.listdir(folder)):
    if name.endswith(".safetensors"):
        with open(os.path.join(folder, name), "rb") as f:
            n = int.from_bytes(f.read(8), "little")
            json.loads(f.read(n))
"""

# cardguard's facts reader called as a library: the public `cardguard.read_facts` (issue 13) where
# the package has it, else the reader's module before it, so one script measures both trees.
LIBRARY = """
import sys
from pathlib import Path
try:
    from cardguard import read_facts
except ImportError:
    from cardguard.artifacts import read_facts
read_facts(Path(sys.argv[1]))
"""


def cardguard_command() -> list[str]:
    """The ``cardguard`` console script installed beside this Python (what a hook runs), else
    ``python -m cardguard``."""
    script = Path(sys.executable).with_name("cardguard")
    return [str(script)] if script.exists() else [sys.executable, "-m", "cardguard"]


def commands(folder: Path) -> dict[str, list[str]]:
    return {
        "floor (open + parse headers)": [sys.executable, "-c", FLOOR, str(folder)],
        "read_facts (library)": [sys.executable, "-c", LIBRARY, str(folder)],
        "cardguard facts --format json": [*cardguard_command(), "facts", str(folder), "--format", "json", *NO_TIME_BUDGET],
    }


def bench_size(label: str, target: int, runs: int, root: Path) -> list[str]:
    folder = root / label
    folder.mkdir()
    built = build_checkpoint(folder, target)
    disk = sum(os.stat(p).st_blocks * 512 for p in folder.iterdir())  # what the sparse files really use
    rows, floor_time, floor_count = [], None, None
    env = child_environment(root / "pycache")
    timed = commands(folder)
    for name, sample in interleaved_samples(timed, env, runs).items():
        if sample.status != 0:
            raise SystemExit(f"{name} failed on {folder}")
        wall, rss = sample.wall, sample.peak_rss_mib
        count = instructions(timed[name], env)
        floor_time, floor_count = floor_time or wall, floor_count or count
        count_ratio = f"{count / floor_count:.2f}x" if count and floor_count else "n/a"
        rows.append(
            f"| {label} | {built['shards']} | {built['tensors']:,} | {built['parameters'] / 1e9:,.1f} B | "
            f"{disk / 1e6:.1f} MB | {name} | {wall * 1000:.0f} ms | {wall / floor_time:.2f}x | "
            f"{millions(count)} | {count_ratio} | {rss:.0f} MiB |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--sizes", default=",".join(SIZES))
    parser.add_argument("--keep", type=Path, help="build the checkpoints here and keep them")
    args = parser.parse_args()
    busy_before = busy_warning()
    print(f"Python {sys.version.split()[0]} ({sys.executable}), median of {args.runs} interleaved rounds; "
          f"{load_average()} at the start\n")
    print("| size | shards | tensors | parameters | disk used | command | median wall | vs floor "
          "| instructions | vs floor | peak RSS |")
    print("|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="cardguard-bench-") as temporary:
        root = args.keep or Path(temporary)
        root.mkdir(parents=True, exist_ok=True)
        for label in args.sizes.split(","):
            for row in bench_size(label, SIZES[label], args.runs, root):
                print(row, flush=True)
    print(f"\n{load_average()} at the end")
    print_busy(busy_before, busy_warning())


if __name__ == "__main__":
    main()
