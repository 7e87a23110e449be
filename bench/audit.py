"""Benchmark ``cardguard audit`` over local fleets of model folders: wall time, CPU and peak RSS
by fleet size (RSS must stay flat: results are streamed, never held), threads against worker
processes, and a re-run that the cache answers.

Each folder is examples/tiny-bert-classifier, its files hard-linked (a fleet of thousands costs
no disk), with every other card given a template placeholder so half the fleet fails. Each
measurement is a fresh process (bench/harness.py), the configurations taking turns round by
round; a busy machine is reported, as wall times then mean little.

    python bench/audit.py [--sizes 250,1000,4000] [--runs 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from harness import (
    CHECKOUT,
    busy_warning,
    child_environment,
    interleaved_samples,
    load_average,
    measure,
    print_busy,
)

EXAMPLE = CHECKOUT / "examples" / "tiny-bert-classifier"
PLACEHOLDER = "\n## Limitations\n\n[More Information Needed]\n"


def build_fleet(root: Path, size: int) -> Path:
    """``size`` model folders under ``root``/fleet-SIZE, made once."""
    fleet = root / f"fleet-{size}"
    if fleet.is_dir():
        return fleet
    card = (EXAMPLE / "README.md").read_text(encoding="utf-8")
    for index in range(size):
        folder = fleet / f"model-{index:05d}"
        folder.mkdir(parents=True)
        for source in EXAMPLE.iterdir():
            if source.name != "README.md":
                os.link(source, folder / source.name)
        (folder / "README.md").write_text(card + (PLACEHOLDER if index % 2 else ""), encoding="utf-8")
    return fleet


def audit_command(fleet: Path, out: Path, *options: str) -> list[str]:
    return [sys.executable, "-m", "cardguard", "audit", str(fleet), "--out", str(out), *options]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="250,1000,4000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build the fleets here and keep them")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="cardguard-bench-audit-"))
    env = child_environment(root / "pycache")
    started_busy = busy_warning()
    print(f"{load_average()}\n")
    print("| folders | workers | wall s | CPU s | peak RSS MiB | re-run (cache) wall s |")
    print("|---:|---|---:|---:|---:|---:|")
    try:
        for size in (int(text) for text in args.sizes.split(",")):
            fleet = build_fleet(root, size)
            outs = {name: root / f"out-{size}-{name}" for name in ("1 thread", "2 threads", "2 processes")}
            commands = {
                "1 thread": ["--jobs", "1"], "2 threads": ["--jobs", "2", "--threads"], "2 processes": ["--jobs", "2"],
            }
            fresh = {}
            for name, options in commands.items():  # a command that clears its cache first: every run checks all
                fresh[name] = ["sh", "-c", 'rm -rf "$0" && exec "$@"', str(outs[name]),
                               *audit_command(fleet, outs[name], *options)]
            samples = interleaved_samples(fresh, env, args.runs)
            for name, sample in samples.items():
                if sample.status not in (0, 1):  # 1: half the fleet fails, as built
                    raise SystemExit(f"{name} on {size} folders exited {sample.status}")
                cached = measure(audit_command(fleet, outs[name], *commands[name]), env)
                print(f"| {size} | {name} | {sample.wall:.2f} | {sample.cpu:.2f} | {sample.peak_rss_mib:.0f} "
                      f"| {cached.wall:.2f} |")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    print_busy(started_busy, busy_warning())


if __name__ == "__main__":
    main()
