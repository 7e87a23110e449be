"""The counting and the checkpoint of bench/remote.py: what its table reports must be true.

Not timed: the request kinds it sorts the fake Hub's log into, the totals it sums, and the
checkpoint it serves (cardguard, reading the same files locally, counts the parameters the
bench checks the remote run against, with no finding on the weights).
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest

from cardguard import read_facts

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture(scope="module")
def bench() -> Iterator[ModuleType]:
    # bench/remote.py imports its sibling harness.py; its dataclasses look their module up by name
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location("bench_remote", BENCH / "remote.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_remote"] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(BENCH))
        sys.modules.pop("bench_remote", None)


SHA = "a" * 40


@pytest.mark.parametrize(("method", "path", "server", "kind"), [
    ("GET", "/api/models/org/name?blobs=True", "hub", "GET api (model info)"),
    ("GET", "/api/models/org/name/revision/main?blobs=True", "hub", "GET api (model info)"),
    ("POST", "/api/models/org/name/paths-info/main", "hub", "POST api (paths-info)"),
    ("GET", "/api/models/org/name/tree/main", "hub", "GET api (tree)"),
    ("HEAD", "/org/name/resolve/main/config.json", "hub", "HEAD small file (resolve)"),
    ("GET", f"/api/resolve-cache/models/org/name/{SHA}/config.json?etag=%22x%22", "hub",
     "GET small file (resolve-cache)"),
    ("GET", f"/org/name/resolve/{SHA}/model-00001-of-00002.safetensors", "hub", "GET weights (resolve)"),
    ("GET", "/org/name/resolve/main/model%2D00001.safetensors", "hub", "GET weights (resolve)"),
    ("GET", "/lfs/" + "b" * 64, "cdn", "GET cdn (LFS bytes)"),
    ("GET", "/favicon.ico", "hub", "GET other"),
])
def test_each_request_is_sorted_by_what_it_was_for(bench: ModuleType, method: str, path: str, server: str,
                                                   kind: str) -> None:
    assert bench.request_kind(method, path, server) == kind


def test_traffic_counts_every_request_and_sums_the_body_bytes(bench: ModuleType) -> None:
    records = [SimpleNamespace(method="GET", path="/lfs/" + "c" * 64, server="cdn", bytes_sent=100_000),
               SimpleNamespace(method="GET", path="/lfs/" + "d" * 64, server="cdn", bytes_sent=7),
               SimpleNamespace(method="GET", path="/org/name/resolve/main/m.safetensors", server="hub", bytes_sent=18),
               SimpleNamespace(method="HEAD", path="/org/name/resolve/main/README.md", server="hub", bytes_sent=0)]
    seen = bench.traffic(records)
    assert (seen.requests, seen.body_bytes) == (4, 100_025)
    assert seen.by_kind == {"GET cdn (LFS bytes)": 2, "GET weights (resolve)": 1,
                            "HEAD small file (resolve)": 1}


def test_the_served_checkpoint_reads_clean_with_the_parameters_the_bench_expects(bench: ModuleType,
                                                                                   tmp_path: Path) -> None:
    (tmp_path / "scratch").mkdir()
    (tmp_path / "repo").mkdir()
    files, parameters = bench.checkpoint_files(3, tmp_path / "scratch")
    for name, data in files.items():
        (tmp_path / "repo" / name).write_bytes(data)
    facts = read_facts(tmp_path / "repo")
    assert facts.weights.index_file == "model.safetensors.index.json"
    assert facts.weights.shard_count == 3 and facts.weights.parameters == parameters
    assert [finding for finding in facts.findings if "safetensors" in finding.path] == []
    assert max(len(data) for name, data in files.items() if name.endswith(".safetensors")) > 100_000
