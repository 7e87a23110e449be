"""bench/audit.py and bench/process_tree.py: what their tables count must be true.

Not timed. The fleets it builds, the memory it adds up over a process tree, the fake-Hub socket
settings it changes for its own run and puts back, and one run of the whole bench at a few repos
(no latency), whose tables must report every repo checked.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench() -> Iterator[ModuleType]:
    # bench/audit.py imports its siblings (harness, process_tree, validate) by plain name
    sys.path.insert(0, str(BENCH))
    names = ("harness", "process_tree", "validate", "audit")
    before = {name: sys.modules.get(name) for name in names}
    try:
        yield load("audit")
    finally:
        sys.path.remove(str(BENCH))
        for name, module in before.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def test_a_local_fleet_cycles_the_cards_one_per_folder_without_touching_them(bench: ModuleType,
                                                                              tmp_path: Path) -> None:
    cards = []
    for name in ("a.md", "b.txt", "c.md"):
        (tmp_path / name).write_text(f"---\nlicense: mit\n---\n# {name}\n", encoding="utf-8")
        cards.append(tmp_path / name)
    fleet = bench.build_local_fleet(tmp_path / "root", 7, cards)
    folders = sorted(fleet.iterdir())
    assert [folder.name for folder in folders] == [f"model-{index:05d}" for index in range(7)]
    for index, folder in enumerate(folders):
        assert [path.name for path in folder.iterdir()] == ["README.md"]
        assert (folder / "README.md").read_bytes() == cards[index % 3].read_bytes()
        assert os.path.samefile(folder / "README.md", cards[index % 3])  # a hard link, not a copy
    assert bench.build_local_fleet(tmp_path / "root", 7, []) == fleet  # made once, then reused


def test_the_process_tree_sum_counts_a_worker_that_the_largest_process_does_not(bench: ModuleType) -> None:
    tree = sys.modules["process_tree"]
    if not tree.can_see_children():
        pytest.skip("this system's /proc does not list a process's children")
    # a parent that holds ~60 MiB while its child holds ~60 MiB too, both alive for a while
    hold = "b = bytearray(60 << 20); b[::4096] = b'x' * len(b[::4096])"
    child = f"import time; {hold}; time.sleep(1.5)"
    parent = (f"import subprocess, sys, time; {hold}; "
              f"p = subprocess.Popen([sys.executable, '-c', {child!r}]); p.wait()")
    # Measured from a fresh small interpreter, as the bench runs: Linux keeps ru_maxrss across
    # exec, so a child forked from this test process (its size grows with the suite) would
    # report this process's pages as its own peak.
    measure = ("import json, os, sys; import process_tree; "
               f"m = process_tree.measure_tree([sys.executable, '-c', {parent!r}], dict(os.environ)); "
               "print(json.dumps([m.sample.status, m.sample.peak_rss_mib, m.tree_peak_rss_mib]))")
    done = subprocess.run([sys.executable, "-c", measure], cwd=BENCH, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(BENCH)})
    status, largest, summed = json.loads(done.stdout)
    assert status == 0, done.stderr
    # ru_maxrss: one process's peak, its 60 MiB and an interpreter; the sum: both 60 MiB at once
    assert 60 <= largest < 120 <= summed


def test_the_fake_hub_socket_settings_are_changed_for_the_bench_and_put_back(bench: ModuleType) -> None:
    from http.server import ThreadingHTTPServer

    from hub.server import FakeHub, HubHandler

    before = ThreadingHTTPServer.request_queue_size, HubHandler.disable_nagle_algorithm
    with bench.quick_fake_hub(256), FakeHub() as hub:
        assert (ThreadingHTTPServer.request_queue_size, HubHandler.disable_nagle_algorithm) == (256, True)
        assert hub.servers[0].request_queue_size == 256
    assert (ThreadingHTTPServer.request_queue_size, HubHandler.disable_nagle_algorithm) == before


def test_the_bench_runs_end_to_end_at_a_few_repos(bench: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    if not bench.corpus_cards():
        pytest.skip("no shared corpus of cards beside this checkout")
    pytest.importorskip("huggingface_hub", reason="audit --hub-author lists models with huggingface_hub")
    assert bench.main(["--local-sizes", "4", "--remote-size", "3", "--remote-jobs", "1,2", "--latency", "0",
                       "--no-warm-up"]) == 0
    printed = capsys.readouterr().out
    local = [line.split(" | ") for line in printed.splitlines() if line.startswith("| 4 |")]
    assert [row[2] for row in local] == ["audit --jobs 1", "audit --jobs 2", "audit --jobs 2 --threads",
                                          "validate (1 process)"]
    remote = [line.split(" | ") for line in printed.splitlines() if line.startswith("| 3 |")]
    assert [row[1] for row in remote] == ["1", "2"]
    # every repo listed and checked; the listing and the repos' files were requested
    assert all(row[-1] == "3/3 |" and int(row[6]) > 3 for row in remote)
