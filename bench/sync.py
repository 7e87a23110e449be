"""Benchmark: cold `cardguard check` against cold `cardguard validate` on the same card.

Builds a real Trainer output folder (tests/generators.py, tiny BERT classifier), stretches its
trainer_state.json log to 100 training rows (with an evaluation every 10), syncs the card
(`sync --add-missing` with the training-results region required), then times each command as
a fresh process (cold: imports included), the two taking turns round by round so a slow minute
of a shared machine slows both alike, and prints a Markdown table of the medians (wall and
CPU), the instructions each runs (valgrind's callgrind, where installed: the same on a busy
machine and an idle one) and the load average the run began and ended under.

    python bench/sync.py [--runs 15]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import (
    NO_TIME_BUDGET,
    busy_warning,
    child_environment,
    instructions,
    interleaved_samples,
    print_busy,
)

ROOT = Path(__file__).resolve().parent.parent
BUDGET_RATIO = 2.0


def build_folder(base: Path) -> Path:
    sys.path.insert(0, str(ROOT / "tests"))
    import generators  # tests/generators.py, imported only here

    folder = base / "trainer-classifier"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        generators.trainer_classifier(folder)  # a real Trainer run: its progress would crowd the table
    stretch_log(folder / "trainer_state.json", rows=100)
    (folder / ".cardguard.toml").write_text('required-regions = ["training-results", "eval-results"]\n', encoding="utf-8")
    synced = subprocess.run([sys.executable, "-m", "cardguard", "sync", "--add-missing", str(folder)], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    if synced.returncode > 1:  # 1 says the card was rewritten; a failed sync would time check on a drifted card
        raise SystemExit(f"cardguard sync failed: {synced.stderr.strip()}")
    return folder


def stretch_log(path: Path, rows: int) -> None:
    state = json.loads(path.read_text(encoding="utf-8"))
    history = []
    for step in range(1, rows + 1):
        history.append({"epoch": step / 10, "grad_norm": 1.0 / step, "learning_rate": 0.003 * (1 - step / rows),
                        "loss": 1.5 - step / (rows * 2), "step": step})
        if step % 10 == 0:
            history.append({"epoch": step / 10, "eval_accuracy": 0.5 + step / (rows * 4), "eval_f1": 0.5,
                            "eval_loss": 1.0 - step / (rows * 2), "eval_runtime": 0.1,
                            "eval_samples_per_second": 100.0, "eval_steps_per_second": 25.0, "step": step})
    history.append({"epoch": rows / 10, "step": rows, "total_flos": 1.0, "train_loss": 1.2, "train_runtime": 3.0,
                    "train_samples_per_second": 10.0, "train_steps_per_second": 5.0})
    state.update(log_history=history, global_step=rows, epoch=rows / 10)
    path.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    load_before, busy_before = os.getloadavg()[0], busy_warning()
    with tempfile.TemporaryDirectory() as temporary:
        folder = build_folder(Path(temporary))
        card = str(folder / "README.md")
        env = child_environment(Path(temporary) / "pycache")
        commands = {name: [sys.executable, "-m", "cardguard", name, *NO_TIME_BUDGET, card] for name in ("validate", "check")}
        samples = interleaved_samples(commands, env, args.runs, cwd=ROOT)
        counted = {name: instructions(command, env, cwd=ROOT) for name, command in commands.items()}
    ratio = samples["check"].wall / samples["validate"].wall
    print(f"Python {sys.version.split()[0]} ({sys.executable}), cardguard from {ROOT}; "
          f"load average (1 min) {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end; {os.cpu_count()} cores")
    print_busy(busy_before, busy_warning())
    print()
    print(f"| command (cold process, median of {args.runs}) | wall | CPU | instructions |")
    print("|---|---:|---:|---:|")
    for name in commands:
        count = f"{counted[name] / 1e6:,.0f} M" if counted[name] else "n/a"
        print(f"| `cardguard {name} README.md` | {samples[name].wall * 1000:.0f} ms "
              f"| {samples[name].cpu * 1000:.0f} ms | {count} |")
    cpu_ratio = samples["check"].cpu / samples["validate"].cpu
    print(f"| ratio check / validate | {ratio:.2f} | {cpu_ratio:.2f} | "
          f"{_ratio(counted['check'], counted['validate'])} |")
    print(f"\nbudget: wall ratio < {BUDGET_RATIO}")
    return 0 if ratio < BUDGET_RATIO else 1


def _ratio(numerator: int | None, denominator: int | None) -> str:
    return f"{numerator / denominator:.2f}" if numerator and denominator else "n/a"


if __name__ == "__main__":
    raise SystemExit(main())
