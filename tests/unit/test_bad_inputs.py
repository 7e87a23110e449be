"""Hostile or broken cards end as findings (or exit 2), never a traceback, in bounded time and memory.

Each case runs the real command in a child process with a timeout and reads the child's peak
memory, so a parser that slurps or recurses without bound fails here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

ROOT = Path(__file__).resolve().parents[2]
PEAK_RSS_LIMIT_MB = 200
TIME_LIMIT_S = 60


def _binary(path: Path) -> None:
    path.write_bytes(bytes(range(256)) * 64)


def _fifty_mb_yaml(path: Path) -> None:
    with open(path, "w") as handle:
        handle.write("---\ntags:\n")
        chunk = ("- " + "x" * 97 + "\n") * 10_000
        for _ in range(50 * 1024 * 1024 // len(chunk)):
            handle.write(chunk)
        handle.write("---\n# card\n")


def _deep_nesting(path: Path) -> None:
    path.write_text("---\nx: " + "[" * 10_000 + "]" * 10_000 + "\n---\n")


def _deep_block_nesting(path: Path) -> None:
    with open(path, "w") as handle:
        handle.write("---\n")
        for depth in range(1_000):
            handle.write("  " * depth + f"k{depth}:\n")
        handle.write("---\n")


def _alias_bomb(path: Path) -> None:
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for index in range(1, 12):
        prev, cur = f"a{index - 1}" if index > 1 else "a", f"a{index}"
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    path.write_text("---\n" + "\n".join(lines) + "\n---\n")


def _python_object_apply(path: Path) -> None:
    marker = path.parent / "pwned"
    path.write_text(f"---\nlicense: !!python/object/apply:os.system ['touch {marker}']\n---\n")


CASES: dict[str, tuple[Callable[[Path], None], set[str]]] = {
    "binary": (_binary, {"CG002"}),
    "50 MB YAML": (_fifty_mb_yaml, {"CG009"}),
    "10,000-deep flow nesting": (_deep_nesting, {"CG009"}),
    "1,000-deep block nesting": (_deep_block_nesting, {"CG009"}),
    "alias bomb": (_alias_bomb, {"CG009"}),
    "!!python/object/apply": (_python_object_apply, {"CG008"}),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_a_finding_in_bounded_time_and_memory(tmp_path: Path, name: str) -> None:
    make, expected = CASES[name]
    card = tmp_path / "README.md"
    make(card)
    result = subprocess.run(
        [sys.executable, "-c", _RUN_AND_REPORT_PEAK, "validate", "--profile", "minimal", "--format", "json", str(card)],
        capture_output=True, text=True, timeout=TIME_LIMIT_S, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert "Traceback" not in result.stderr
    assert result.returncode == 1, result.stderr
    codes = {item["code"] for item in json.loads(result.stdout)["findings"]}
    assert expected <= codes
    assert not (tmp_path / "pwned").exists()
    peak_mb = int(result.stderr.split("peak-kb=")[1].split()[0]) / 1024
    assert peak_mb < PEAK_RSS_LIMIT_MB, f"peak RSS {peak_mb:.0f} MB"


# Runs the CLI, then prints this process's own high-water RSS (VmHWM is reset by exec, unlike
# ru_maxrss, which would include the memory of the forking test process).
_RUN_AND_REPORT_PEAK = """
import sys
from cardguard.cli import main
code = main(sys.argv[1:])
with open('/proc/self/status') as status:
    peak = next(line.split()[1] for line in status if line.startswith('VmHWM'))
print(f'peak-kb={peak}', file=sys.stderr)
sys.exit(code)
"""
