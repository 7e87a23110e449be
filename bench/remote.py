"""Benchmark ``cardguard check hf://…`` against huggingface_hub's ``get_safetensors_metadata``.

A fake Hub (tests/hub/server.py: the Hub's endpoints and a "CDN" for Git LFS files, on
127.0.0.1) serves a 200-shard checkpoint: a README.md, a config.json, a
model.safetensors.index.json and 200 shards of a small Llama layout (bench/facts.py writes them:
real tensor names, BF16, 2 layers per shard, ~260 kB each, so a 100 kB first read is a part),
and adds 50 ms of latency to every request, on both ports. Each command runs as a fresh
process (imports included) with a fresh ``HF_HOME`` (a CI runner's cold cache), pointed at the
server by ``FakeHub.client_env``, the commands taking turns round by round:

- ``cardguard check hf://ORG/NAME`` (the card, the small files, every shard's header);
- ``HfApi().get_safetensors_metadata(ORG/NAME)`` (every shard's header and the index);
- for scale, not the goal: the same call plus ``hf_hub_download`` of README.md and
  config.json, i.e. huggingface_hub reading the files cardguard reads.

For each: the median wall time, the requests the server answered (both ports, redirects
included) and the body bytes it sent, and where the requests went (``--detail``).

    python bench/remote.py [--runs 5] [--shards 200] [--latency 0.05] [--detail]

Goal (issue 14): no more requests than huggingface_hub, wall time within 1.2x of it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from facts import BF16_BYTES, LlamaShape, layer_tensors, numel, write_sparse_shard
from harness import NO_TIME_BUDGET, Sample, busy_warning, child_environment, load_average, measure, print_busy

ROOT = Path(__file__).resolve().parent.parent
REPO = "bench-org/llama-200-shards"
SMALL_LLAMA = LlamaShape(hidden=64, intermediate=256, kv_dim=64, vocab=1000)
LAYERS_PER_SHARD = 2
WALL_GOAL = 1.2

HF_SCRIPT = """
import sys
from huggingface_hub import HfApi
metadata = HfApi().get_safetensors_metadata(sys.argv[1])
assert len(metadata.files_metadata) == int(sys.argv[2]), len(metadata.files_metadata)
"""
# For scale, not the goal: what a user's script makes to read what cardguard reads (the card and
# config.json beside the headers and the index) through huggingface_hub's documented calls.
HF_SAME_READS_SCRIPT = HF_SCRIPT + """
from huggingface_hub import hf_hub_download
for name in ("README.md", "config.json"):
    hf_hub_download(sys.argv[1], name)
"""


# -- the checkpoint -----------------------------------------------------------------------------


def checkpoint_files(shards: int, scratch: Path) -> tuple[dict[str, bytes], int]:
    """The repo's files and the checkpoint's parameter count; ``scratch`` holds the shards while
    they are written (bench/facts.py writes them, as files)."""
    files: dict[str, bytes] = {}
    weight_map: dict[str, str] = {}
    parameters = tensor_bytes = 0
    for number in range(shards):
        name = f"model-{number + 1:05d}-of-{shards:05d}.safetensors"
        tensors = [tensor for layer in range(number * LAYERS_PER_SHARD, (number + 1) * LAYERS_PER_SHARD)
                   for tensor in layer_tensors(SMALL_LLAMA, layer)]
        if number == 0:
            tensors.insert(0, ("model.embed_tokens.weight", [SMALL_LLAMA.vocab, SMALL_LLAMA.hidden]))
        if number == shards - 1:
            tensors += [("model.norm.weight", [SMALL_LLAMA.hidden]),
                        ("lm_head.weight", [SMALL_LLAMA.vocab, SMALL_LLAMA.hidden])]
        write_sparse_shard(scratch / name, tensors)
        files[name] = (scratch / name).read_bytes()
        weight_map.update({tensor: name for tensor, _ in tensors})
        counts = [numel(shape) for _, shape in tensors]
        parameters += sum(counts)
        tensor_bytes += sum(counts) * BF16_BYTES
    index = {"metadata": {"total_size": tensor_bytes}, "weight_map": weight_map}
    config = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": SMALL_LLAMA.hidden,
              "intermediate_size": SMALL_LLAMA.intermediate, "num_hidden_layers": shards * LAYERS_PER_SHARD,
              "vocab_size": SMALL_LLAMA.vocab, "torch_dtype": "bfloat16"}
    files["model.safetensors.index.json"] = json.dumps(index, indent=2).encode()
    files["config.json"] = json.dumps(config, indent=2).encode()
    files["README.md"] = (b"---\nlicense: apache-2.0\nlibrary_name: transformers\npipeline_tag: text-generation\n"
                          b"---\n# A 200-shard Llama\n\nA benchmark checkpoint.\n")
    return files, parameters


# -- counting what the server saw ---------------------------------------------------------------


@dataclass(frozen=True)
class Traffic:
    requests: int
    body_bytes: int
    by_kind: dict[str, int]  # "METHOD kind" -> requests


def request_kind(method: str, path: str, server: str) -> str:
    """What one request to the fake Hub was for, as ``METHOD kind``: the API (model info, paths
    info, tree), a small file (its /resolve/ URL, or the commit-pinned /api/resolve-cache/ URL
    that URL redirects to), a weights file's /resolve/ URL (which redirects to the CDN), or the CDN."""
    route = unquote(urlsplit(path).path)
    if server == "cdn":
        kind = "cdn (LFS bytes)"
    elif route.startswith("/api/resolve-cache/"):
        kind = "small file (resolve-cache)"
    elif "/resolve/" in route:
        kind = "weights (resolve)" if route.endswith(".safetensors") else "small file (resolve)"
    elif route.startswith("/api/models/"):
        parts = route.split("/")  # "", "api", "models", ORG, NAME, endpoint, ...
        kind = f"api ({parts[5] if len(parts) > 5 and parts[5] != 'revision' else 'model info'})"
    else:
        kind = "other"
    return f"{method} {kind}"


def traffic(records: Iterable) -> Traffic:
    """Requests, body bytes sent and requests by kind, from ``FakeHub.requests``."""
    records = list(records)
    kinds = Counter(request_kind(record.method, record.path, record.server) for record in records)
    return Traffic(len(records), sum(record.bytes_sent for record in records), dict(sorted(kinds.items())))


# -- running ------------------------------------------------------------------------------------


def commands(shards: int) -> dict[str, list[str]]:
    return {
        "cardguard check hf://": [sys.executable, "-m", "cardguard", "check", f"hf://{REPO}", *NO_TIME_BUDGET],
        "huggingface_hub get_safetensors_metadata": [sys.executable, "-c", HF_SCRIPT, REPO, str(shards)],
        "huggingface_hub, the same files (+ hf_hub_download README.md, config.json)":
            [sys.executable, "-c", HF_SAME_READS_SCRIPT, REPO, str(shards)],
    }


def run_once(hub, command: list[str], base_env: dict[str, str], scratch: Path) -> tuple[Sample, Traffic]:
    """One fresh process with a fresh HF_HOME; what it cost and what the server saw."""
    home = Path(tempfile.mkdtemp(prefix="home-", dir=scratch))
    try:
        with hub.lock:
            hub.requests.clear()
        sample = measure(command, hub.client_env(home, base_env), cwd=home)
        with hub.lock:
            seen = traffic(hub.requests)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return sample, seen


def verify_cardguard_read_every_shard(hub, base_env: dict[str, str], scratch: Path, shards: int,
                                      parameters: int) -> None:
    """One unmeasured ``facts`` run: every shard's header came from the server, counts right."""
    home = Path(tempfile.mkdtemp(prefix="home-", dir=scratch))
    done = subprocess.run([sys.executable, "-m", "cardguard", "facts", f"hf://{REPO}", "--format", "json",
                           *NO_TIME_BUDGET], env=hub.client_env(home, base_env), cwd=home,
                          capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):
        raise SystemExit(f"cardguard facts failed: {done.stderr.strip()}")
    facts = json.loads(done.stdout)
    read, counted = len(facts.get("remote_files", [])), facts["weights"]["parameters"]
    if read != shards or counted != parameters:
        raise SystemExit(f"cardguard read {read} of {shards} shards and counted {counted} of {parameters} parameters")


def median_row(samples: list[Sample], seen: list[Traffic]) -> tuple[float, Traffic, bool]:
    """The median wall time, the last run's traffic, and whether every run made as many requests."""
    steady = len({item.requests for item in seen}) == 1
    return statistics.median(sample.wall for sample in samples), seen[-1], steady


Rounds = dict[str, tuple[list[Sample], list[Traffic]]]  # command -> its samples and traffic, run by run


def run_rounds(files: dict[str, bytes], parameters: int, timed: dict[str, list[str]], runs: int,
               latency: float, scratch: Path) -> Rounds:
    """Serve ``files``, check cardguard reads them all, then time the commands, taking turns."""
    from hub.server import FakeHub  # tests/hub: the fake Hub the tests use (on sys.path, see main)

    results: Rounds = {name: ([], []) for name in timed}
    base_env = child_environment(scratch / "pycache")
    with FakeHub({REPO: {"main": files}}, latency=latency) as hub:
        shards = sum(name.endswith(".safetensors") for name in files)
        verify_cardguard_read_every_shard(hub, base_env, scratch, shards, parameters)
        for command in timed.values():  # warm-up: page cache and .pyc files
            run_once(hub, command, base_env, scratch)
        for _ in range(runs):
            for name, command in timed.items():
                sample, seen = run_once(hub, command, base_env, scratch)
                if sample.status not in (0, 1):
                    raise SystemExit(f"{name} exited {sample.status}")
                results[name][0].append(sample)
                results[name][1].append(seen)
    return results


def print_table(results: Rounds, detail: bool) -> None:
    print("| command | median wall | requests | body bytes received | vs huggingface_hub (wall, requests) |")
    print("|---|---:|---:|---:|---:|")
    rows = {name: median_row(*results[name]) for name in results}
    hf_wall, hf_traffic, _ = rows["huggingface_hub get_safetensors_metadata"]
    for name, (wall, seen, steady) in rows.items():
        note = "" if steady else " (varied)"
        print(f"| {name} | {wall:.2f} s | {seen.requests}{note} | {seen.body_bytes:,} | "
              f"{wall / hf_wall:.2f}x, {seen.requests - hf_traffic.requests:+d} |")
    cardguard_wall, cardguard_traffic, _ = rows["cardguard check hf://"]
    met = cardguard_traffic.requests <= hf_traffic.requests and cardguard_wall <= WALL_GOAL * hf_wall
    print(f"\nGoal (no more requests, wall within {WALL_GOAL}x): {'met' if met else 'NOT met'}")
    if detail:
        for name, (_, seen, _) in rows.items():
            print(f"\n{name}: requests by kind")
            for kind, count in seen.by_kind.items():
                print(f"  {count:5d}  {kind}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--shards", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every request")
    parser.add_argument("--detail", action="store_true", help="also print the requests of each by kind")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "tests"))
    busy_before, load_before = busy_warning(), load_average()
    with tempfile.TemporaryDirectory(prefix="cardguard-bench-remote-") as temporary:
        scratch = Path(temporary)
        (scratch / "shards").mkdir()
        files, parameters = checkpoint_files(args.shards, scratch / "shards")
        results = run_rounds(files, parameters, commands(args.shards), args.runs, args.latency, scratch)
    print(f"Python {sys.version.split()[0]}, {args.shards} shards, {args.latency * 1000:.0f} ms per request, "
          f"median of {args.runs} interleaved rounds, fresh process and HF_HOME each; {load_before} at the start\n")
    print_table(results, args.detail)
    print(f"\n{load_average()} at the end")
    print_busy(busy_before, busy_warning())


if __name__ == "__main__":
    main()
