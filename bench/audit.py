"""Benchmark ``cardguard audit`` against issue 15's goals: local fleets and a Hub organisation.

Local: the corpus cards (shared/corpus/cards, the ones bench/validate.py uses) cycled into N
model folders, each holding one card as README.md (hard-linked, built under a temporary
folder), audited with ``--jobs 1``, ``--jobs 2`` (worker processes) and ``--jobs 2 --threads``,
each run into an emptied ``--out`` so every folder is checked; beside them ``cardguard
validate`` over the same folder in one process: the batch validate throughput of one core.
audit runs ``check``, not ``validate``: a folder holding only a card has no artifacts to read,
but check still derives the expected card (docs/benchmarks.md, "Audit", measures the cost).

Remote: N repos of one organisation on the fake Hub (tests/hub/server.py, on 127.0.0.1, every
request delayed by ``--latency``), each a corpus card, the config.json and the 86 kB
model.safetensors of examples/tiny-bert-classifier, listed through the model-listing endpoint
and audited with ``--hub-author ORG --jobs J`` in a fresh process with a fresh HF_HOME and
``--out``. The server answers each connection in a thread of its own, sleeping the latency
there, so the latency is concurrent, never serialised; for the bench it sends with TCP_NODELAY
and listens with a larger backlog (see ``quick_fake_hub``: without them the fake server, not
cardguard, added ~40 ms to every request).

Every figure is one fresh process (bench/harness.py); the local commands take turns round by
round. Peak RSS twice: the largest single process (``ru_maxrss``) and the sampled sum over the
process and its worker processes (bench/process_tree.py says how it is counted).

    python bench/audit.py [--local-sizes 1000,10000] [--runs 1]
                          [--remote-size 2000] [--remote-jobs 1,8,32] [--latency 0.05]
                          [--skip-local] [--skip-remote] [--no-warm-up] [--keep DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from harness import CHECKOUT, NO_TIME_BUDGET, busy_warning, child_environment, load_average, print_busy
from process_tree import TreeSample, measure_tree
from validate import corpus_cards

EXAMPLE = CHECKOUT / "examples" / "tiny-bert-classifier"
ORG = "bench-fleet"
# Beside the card, what each remote repo holds: small, and what a Trainer run leaves.
REMOTE_FILES = ("config.json", "model.safetensors")
WARM_UP_SIZE = 20  # folders of the unmeasured first run


# -- local fleets -------------------------------------------------------------------------------


def build_local_fleet(root: Path, size: int, cards: list[Path]) -> Path:
    """``size`` folders under ``root``/local-SIZE, the i-th holding card i mod len(cards) as
    README.md (a hard link: no copy, and no corpus file inside the checkout). Made once."""
    fleet = root / f"local-{size}"
    if fleet.is_dir():
        return fleet
    for index in range(size):
        folder = fleet / f"model-{index:05d}"
        folder.mkdir(parents=True)
        source = cards[index % len(cards)]
        try:
            os.link(source, folder / "README.md")
        except OSError:  # another file system: write the bytes instead
            (folder / "README.md").write_bytes(source.read_bytes())
    return fleet


def cardguard(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "cardguard", *arguments]


def emptied_first(out: Path, command: list[str]) -> list[str]:
    """``command`` run after removing ``out``: the audit's cache is empty, every repo is checked."""
    return ["sh", "-c", 'rm -rf "$0" && exec "$@"', str(out), *command]


def local_out(root: Path, size: int, index: int) -> Path:
    return root / f"out-{size}-{index}"


# audit's local workers: one thread, two worker processes (the default kind), two threads
AUDIT_OPTIONS = {"audit --jobs 1": ["--jobs", "1"], "audit --jobs 2": ["--jobs", "2"],
                 "audit --jobs 2 --threads": ["--jobs", "2", "--threads"]}


def local_commands(fleet: Path, size: int, root: Path) -> dict[str, list[str]]:
    audits = {}
    for index, (name, options) in enumerate(AUDIT_OPTIONS.items()):
        out = local_out(root, size, index)
        audits[name] = emptied_first(out, cardguard("audit", str(fleet), "--out", str(out), *options))
    # NO_TIME_BUDGET: validate's 60 s run budget would cut a 10,000-card batch short
    return {**audits, "validate (1 process)": cardguard("validate", str(fleet), "--fail-on", "never", *NO_TIME_BUDGET)}


CORES = {"validate (1 process)": 1, "audit --jobs 1": 1, "audit --jobs 2": 2, "audit --jobs 2 --threads": 2}


@dataclass(frozen=True)
class Row:
    size: int  # folders
    cards: int  # the folders whose README.md is a model card: what audit and validate check
    name: str
    measured: TreeSample


def results_lines(out: Path) -> int:
    """The repos a finished audit wrote into ``out``/results.jsonl."""
    with (out / "results.jsonl").open(encoding="utf-8") as results:
        return sum(1 for line in results if line.strip())


def run_local(root: Path, sizes: list[int], runs: int, env: dict[str, str], warm_up: bool = True) -> list[Row]:
    cards = corpus_cards()
    if not cards:
        raise SystemExit("no corpus cards found (shared/corpus/cards beside the checkout)")
    rows = []
    if warm_up:  # unmeasured: the .pyc files and the page cache are warm after it
        for command in local_commands(build_local_fleet(root, WARM_UP_SIZE, cards), WARM_UP_SIZE, root).values():
            measure_tree(command, env)
    for size in sizes:
        fleet = build_local_fleet(root, size, cards)
        commands = local_commands(fleet, size, root)
        rounds = [{name: measure_tree(command, env) for name, command in commands.items()} for _ in range(runs)]
        # a README.md that is not a model card is skipped by both (settings/targets.py decides)
        checked = results_lines(local_out(root, size, 0))
        for name in commands:
            samples = sorted((r[name] for r in rounds), key=lambda measured: measured.sample.wall)
            median = samples[len(samples) // 2]
            if median.sample.status not in (0, 1):  # 1: some cards fail
                raise SystemExit(f"{name} on {size} folders exited {median.sample.status}")
            rows.append(Row(size, checked, name, median))
    return rows


def mib(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}"


def print_local(rows: list[Row]) -> None:
    print("| folders | model cards | command | wall s | CPU s | repos/s | per core | peak RSS, largest process MiB "
          "| peak RSS, tree sum MiB |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        sample = row.measured.sample
        rate = row.cards / sample.wall
        print(f"| {row.size} | {row.cards} | {row.name} | {sample.wall:.1f} | {sample.cpu:.1f} | {rate:,.0f} "
              f"| {rate / CORES[row.name]:,.0f} | {sample.peak_rss_mib:.0f} | {mib(row.measured.tree_peak_rss_mib)} |")
    for size in sorted({row.size for row in rows}):
        by_name = {row.name: row.cards / row.measured.sample.wall for row in rows if row.size == size}
        validate, one_job, two_jobs, _ = (by_name[name] for name in CORES)
        print(f"\n{size} folders: audit --jobs 1 {one_job:,.0f} repos/s against validate {validate:,.0f} cards/s "
              f"on one core ({one_job / validate:.2f}x); audit --jobs 2 per core {two_jobs / 2:,.0f} "
              f"({two_jobs / 2 / validate:.2f}x)")
    print("\nNotes: repos/s = model cards / wall; a README.md that settings/targets.py does not take for a "
          "model card is skipped by audit and validate alike. Whole processes, start-up included. audit runs "
          "`check` (artifacts read too), validate only validates; a folder with only a card has no artifacts. "
          "`audit --jobs 2` starts two spawned worker processes (each imports cardguard); CPU s counts them "
          "(reaped children); `--threads` checks in two threads of the one process instead. Peak RSS: the "
          "largest single process (ru_maxrss), and the sum of VmRSS over the parent and its workers sampled "
          "every 50 ms (pages shared between them counted in each).")


# -- a Hub organisation -------------------------------------------------------------------------


def remote_repos(size: int, cards: list[Path]) -> dict[str, dict[str, dict[str, bytes]]]:
    """``size`` repos of ORG for FakeHub: a corpus card, and the example's config and weights."""
    shared = {name: (EXAMPLE / name).read_bytes() for name in REMOTE_FILES}
    texts = [card.read_bytes() for card in cards]
    return {f"{ORG}/model-{index:05d}": {"main": {"README.md": texts[index % len(texts)], **shared}}
            for index in range(size)}


@contextlib.contextmanager
def quick_fake_hub(connections: int) -> Iterator[None]:
    """The fake Hub made inside the block answers as fast as its latency allows, so what the
    bench measures is cardguard and the latency, not the fake server's socket settings:

    - its handlers send with TCP_NODELAY (socketserver's ``disable_nagle_algorithm``): the
      handler writes a reply's headers and body in two sends, and with Nagle's algorithm the
      body waits for the client's delayed ACK of the headers, about 40 ms on Linux, on every
      response of a kept-alive connection (measured: 0.61 s a repo against 0.40 s, 7 requests);
    - its servers listen with a backlog of ``connections`` (``request_queue_size``): the default
      of 5 lets 32 clients connecting at once overflow the accept queue, the kernel drops the
      SYN and the client retries a second later.

    Both are public class attributes of socketserver, changed in this bench process for the
    block only and restored."""
    from http.server import ThreadingHTTPServer

    from hub.server import HubHandler

    before = ThreadingHTTPServer.request_queue_size, HubHandler.disable_nagle_algorithm
    ThreadingHTTPServer.request_queue_size, HubHandler.disable_nagle_algorithm = connections, True
    try:
        yield
    finally:
        ThreadingHTTPServer.request_queue_size, HubHandler.disable_nagle_algorithm = before


@dataclass(frozen=True)
class RemoteRow:
    jobs: int
    measured: TreeSample
    requests: int
    lines: int
    checked: int


def audit_hub_once(hub, jobs: int, scratch: Path, base_env: dict[str, str], *listing: str) -> RemoteRow:
    """One fresh ``audit --hub-author ORG --jobs J`` (or the ``listing`` options given instead)
    with a fresh HF_HOME and --out."""
    run = Path(tempfile.mkdtemp(prefix=f"jobs-{jobs}-", dir=scratch))
    out = run / "out"
    with hub.lock:
        hub.requests.clear()
    listing = listing or ("--hub-author", ORG)
    measured = measure_tree(cardguard("audit", *listing, "--out", str(out), "--jobs", str(jobs)),
                            hub.client_env(run / "home", base_env), cwd=run)
    with hub.lock:
        requests = len(hub.requests)
    statuses = [json.loads(text)["status"] for text in (out / "results.jsonl").read_text().splitlines() if text]
    shutil.rmtree(run, ignore_errors=True)
    if measured.sample.status not in (0, 1):
        raise SystemExit(f"audit --jobs {jobs} on the fake Hub exited {measured.sample.status}")
    return RemoteRow(jobs, measured, requests, len(statuses), statuses.count("checked"))


def run_remote(size: int, jobs_list: list[int], latency: float, scratch: Path, warm_up: bool = True) -> list[RemoteRow]:
    sys.path.insert(0, str(CHECKOUT / "tests"))
    from hub.server import FakeHub  # tests/hub: the fake Hub the tests use

    base_env = child_environment(scratch / "pycache")
    with quick_fake_hub(max(128, 4 * max(jobs_list))), \
            FakeHub(remote_repos(size, corpus_cards()), latency=latency) as hub:
        if warm_up:  # unmeasured: one repo, for the .pyc files of the Hub client
            audit_hub_once(hub, 1, scratch, base_env, "--hub-search", f"{ORG}/model-00000")
        return [audit_hub_once(hub, jobs, scratch, base_env) for jobs in jobs_list]


def print_remote(rows: list[RemoteRow], size: int, latency: float) -> None:
    print(f"| repos | --jobs | wall s | CPU s | repos/s | speed-up over --jobs {rows[0].jobs} | requests "
          "| requests/repo | peak RSS, largest process MiB | peak RSS, tree sum MiB | checked |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    base = rows[0].measured.sample.wall
    for row in rows:
        sample = row.measured.sample
        print(f"| {size} | {row.jobs} | {sample.wall:.1f} | {sample.cpu:.1f} | {size / sample.wall:,.1f} "
              f"| {base / sample.wall:.1f}x | {row.requests} | {row.requests / size:.1f} | {sample.peak_rss_mib:.0f} "
              f"| {mib(row.measured.tree_peak_rss_mib)} | {row.checked}/{row.lines} |")
    print(f"\nNotes: {latency * 1000:.0f} ms added to every request (both ports); requests: what the server answered, "
          "the listing and redirects included; checked: results.jsonl lines with status checked, of all lines. "
          "Up to 8 --jobs, Hub repos are checked in threads of the one process (the two RSS columns agree); "
          "past 8, in spawned worker processes with threads (docs/audit.md, \"Workers\"), which the tree sum counts.")


# -- the run ------------------------------------------------------------------------------------


def sizes(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--local-sizes", default="10000", help="comma-separated fleet sizes (default 10000)")
    parser.add_argument("--runs", type=int, default=1, help="rounds of the local commands (median)")
    parser.add_argument("--remote-size", type=int, default=2000)
    parser.add_argument("--remote-jobs", default="1,8,32")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every request")
    parser.add_argument("--skip-local", action="store_true")
    parser.add_argument("--skip-remote", action="store_true")
    parser.add_argument("--no-warm-up", dest="warm_up", action="store_false",
                        help="measure the first runs cold too (the smoke test's quick run)")
    parser.add_argument("--keep", type=Path, help="build the local fleets here and keep them")
    args = parser.parse_args(argv)
    root = args.keep or Path(tempfile.mkdtemp(prefix="cardguard-bench-audit-"))
    root.mkdir(parents=True, exist_ok=True)
    started_busy = busy_warning()
    print(f"Python {sys.version.split()[0]}, cardguard from {CHECKOUT}; {load_average()} at the start\n")
    try:
        if not args.skip_local:
            env = child_environment(root / "pycache")
            rows = run_local(root, sizes(args.local_sizes), args.runs, env, args.warm_up)
            print(f"Local ({load_average()} after it):\n")
            print_local(rows)
        if not args.skip_remote:
            remote = run_remote(args.remote_size, sizes(args.remote_jobs), args.latency, root, args.warm_up)
            print(f"\nRemote ({load_average()} after it):\n")
            print_remote(remote, args.remote_size, args.latency)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    print_busy(started_busy, busy_warning())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
