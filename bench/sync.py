"""Benchmark: cold `cardguard check` against cold `cardguard validate` on the same card.

Builds a real Trainer output folder (tests/generators.py, tiny BERT classifier), stretches its
trainer_state.json log to 100 training rows (with an evaluation every 10), syncs the card
(`sync --add-missing` with the training-results region required), then times each command as
a fresh process (cold: imports included), and prints a Markdown table of the medians.

    python bench/sync.py [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import child_environment, median_samples

ROOT = Path(__file__).resolve().parent.parent
BUDGET_RATIO = 2.0


def build_folder(base: Path) -> Path:
    sys.path.insert(0, str(ROOT / "tests"))
    import generators  # noqa: E402  (tests/generators.py, imported only here)

    folder = base / "trainer-classifier"
    generators.trainer_classifier(folder)
    stretch_log(folder / "trainer_state.json", rows=100)
    (folder / ".cardguard.toml").write_text('required-regions = ["training-results", "eval-results"]\n', encoding="utf-8")
    subprocess.run([sys.executable, "-m", "cardguard", "sync", "--add-missing", str(folder)], cwd=ROOT, capture_output=True)
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
    with tempfile.TemporaryDirectory() as temporary:
        folder = build_folder(Path(temporary))
        card = str(folder / "README.md")
        env = child_environment(Path(temporary) / "pycache")
        validate = median_samples([sys.executable, "-m", "cardguard", "validate", card], env, args.runs, cwd=ROOT).wall
        check = median_samples([sys.executable, "-m", "cardguard", "check", card], env, args.runs, cwd=ROOT).wall
    ratio = check / validate
    print(f"| command (cold process, median of {args.runs}) | wall time |")
    print("|---|---:|")
    print(f"| `cardguard validate README.md` | {validate * 1000:.0f} ms |")
    print(f"| `cardguard check README.md` | {check * 1000:.0f} ms |")
    print(f"| ratio check / validate | {ratio:.2f} (budget < {BUDGET_RATIO}) |")
    return 0 if ratio < BUDGET_RATIO else 1


if __name__ == "__main__":
    raise SystemExit(main())
