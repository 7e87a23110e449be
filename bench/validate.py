"""Benchmark `cardguard validate`: cold single-card latency and batch throughput, beside
huggingface_hub's card parser and check-jsonschema.

Every command is a fresh process; the commands take turns round by round (a slow minute of a
shared machine slows all of them alike) and each figure is the median over the rounds:
- bare `python -c pass` (the interpreter floor);
- `cardguard validate --fail-on never` on one card and on the N cards in one process, with the
  default profile (what a user runs), and with `--profile minimal` (metadata schema and little
  else: what the profile-driven checks cost on top);
- huggingface_hub's `ModelCard.load(path).data.to_dict()` in a loop over the same cards, in one
  process, as a user's script would run it (a card that fails to load is caught and counted;
  huggingface_hub's logging is silenced in that process only). It only parses: the issue-13
  goal is cardguard validating at least 2x as fast as this parses;
- a loop child for each tool that handles the first card untimed (imports done, first-use work
  done), then times the rest in-process and appends that time to a file;
- one cold `check-jsonschema` process on one card's metadata (as a YAML file, split out with
  plain PyYAML) and one over the metadata of all N cards, against cardguard's schema.
Then valgrind's callgrind counts the instructions (the same on a busy machine and an idle one)
of the floor and of cardguard and huggingface_hub on one card and on the N cards, which gives
instructions per card. It takes a few minutes: a process runs about 50x slower under callgrind.

Cards come from shared/corpus/cards beside the checkout or a folder above it, when present
(every card, N = all 789 by default, copied to a temporary folder as cardNNNNN.md and cycled
when N is larger), else from a synthetic Trainer-style card. Usage:

    python bench/validate.py [--cards N] [--runs 9]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from harness import (
    NO_TIME_BUDGET,
    Sample,
    busy_warning,
    child_environment,
    instructions,
    interleaved_samples,
    load_average,
    millions,
    print_busy,
)

ROOT = Path(__file__).resolve().parents[1]
# The shared corpus beside the checkout: /work/shared for /work/main, also found from a worktree
# deeper down (/work/wt/NAME).
CORPUS = next((p / "shared" / "corpus" / "cards" for p in ROOT.parents if (p / "shared" / "corpus" / "cards").is_dir()),
              ROOT.parent / "shared" / "corpus" / "cards")
CARD_SUFFIXES = (".md", ".txt")  # the corpus keeps a few READMEs as .txt; SOURCES.tsv is not a card
SCHEMA = ROOT / "schemas" / "model-card-metadata.schema.json"

SYNTHETIC_CARD = """---
license: apache-2.0
library_name: transformers
base_model: google-bert/bert-base-uncased
tags:
- generated_from_trainer
datasets:
- stanfordnlp/imdb
metrics:
- accuracy
model-index:
- name: tiny-imdb
  results:
  - task:
      type: text-classification
      name: Text Classification
    dataset:
      name: imdb
      type: stanfordnlp/imdb
    metrics:
    - type: accuracy
      value: 0.93
      name: Accuracy
---

# tiny-imdb

This model is a fine-tuned version of google-bert/bert-base-uncased on the imdb dataset.

## Model description

A small classifier.

## Training procedure

### Training hyperparameters

- learning_rate: 5e-05
"""

# The two loop children: argv is the file to append the loop time to, then the cards. The first
# card is handled untimed, so the timed loop over the others excludes interpreter start-up,
# imports and first-use work; each card is handled exactly once.
HUB_LOOP = """
import sys, time, warnings
warnings.simplefilter("ignore")
from huggingface_hub import ModelCard
from huggingface_hub.utils import logging
logging.set_verbosity_error()
out, cards = sys.argv[1], sys.argv[2:]
failed = 0
def load(path):
    global failed
    try:
        ModelCard.load(path).data.to_dict()
    except Exception:
        failed += 1
load(cards[0])
start = time.perf_counter()
for path in cards[1:]:
    load(path)
elapsed = time.perf_counter() - start
with open(out, "a") as f:
    f.write(f"{elapsed} {failed}\\n")
"""

# The console script's entry point (pyproject.toml: cardguard = "cardguard.cli:main").
CARDGUARD_LOOP = """
import sys, time
from cardguard.cli import main
out, cards = sys.argv[1], sys.argv[2:]
command = ["validate", "--fail-on", "never"]
main(command + cards[:1])
start = time.perf_counter()
main(command + cards[1:])
elapsed = time.perf_counter() - start
with open(out, "a") as f:
    f.write(f"{elapsed} 0\\n")
"""


def tool(name: str) -> list[str] | None:
    """The console script next to this interpreter, else on PATH, else `python -m` when the
    module is installed; None when the tool is not installed at all."""
    script = Path(sys.executable).with_name(name)
    if script.exists():
        return [str(script)]
    found = shutil.which(name)
    if found:
        return [found]
    if importlib.util.find_spec(name.replace("-", "_")) is not None:
        return [sys.executable, "-m", name.replace("-", "_")]
    return None


def corpus_cards() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.iterdir() if p.suffix in CARD_SUFFIXES)


def prepare_cards(folder: Path, sources: list[Path], count: int) -> list[Path]:
    texts = [p.read_bytes() for p in sources] or [SYNTHETIC_CARD.encode()]
    cards = []
    for index in range(count):
        card = folder / f"card{index:05d}.md"
        card.write_bytes(texts[index % len(texts)])
        cards.append(card)
    return cards


def front_matter(text: str) -> str | None:
    """The YAML between a first line `---` and the next line `---`, None without one."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "---":
        return None
    for index, line in enumerate(lines[1:], start=1):
        if line.rstrip() == "---":
            return "".join(lines[1:index])
    return None


def prepare_metadata(cards: list[Path], folder: Path) -> dict[Path, Path]:
    """The metadata of each card whose front matter loads as a mapping, as a YAML file (what
    check-jsonschema can read), keyed by card. Plain PyYAML: no cardguard code involved."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    files = {}
    for card in cards:
        block = front_matter(card.read_text(encoding="utf-8-sig", errors="replace"))
        try:
            metadata = yaml.load(block, Loader=loader) if block is not None else None
        except yaml.YAMLError:
            continue
        if not isinstance(metadata, dict):
            continue
        target = folder / (card.stem + ".yaml")
        target.write_text(yaml.safe_dump(metadata, allow_unicode=True, sort_keys=False, default_flow_style=False))
        files[card] = target
    return files


@dataclass(frozen=True)
class Command:
    label: str
    argv: list[str]
    counted: bool = True  # callgrind counts its instructions too


def build_commands(cards: list[Path], metadata: dict[Path, Path], work: Path) -> dict[str, Command]:
    """Every command to time, by a short key; the tools that are not installed are left out."""
    n, one_card = len(cards), cards[0]
    paths = [str(c) for c in cards]
    cardguard = [*(tool("cardguard") or [sys.executable, "-m", "cardguard"]), "validate", "--fail-on", "never",
                 *NO_TIME_BUDGET]
    commands = {
        "floor": Command("`python -c pass` (floor)", [sys.executable, "-c", "pass"]),
        "cardguard-1": Command("`cardguard validate`, 1 card", cardguard + [str(one_card)]),
        "cardguard-N": Command(f"`cardguard validate`, {n} cards", cardguard + paths),
        "cardguard-minimal-N": Command(f"`cardguard validate --profile minimal`, {n} cards (schema and little else)",
                                       cardguard + ["--profile", "minimal"] + paths),
        "cardguard-loop": Command(f"cardguard loop child (`cardguard.cli.main`), {n} cards",
                                  [sys.executable, "-c", CARDGUARD_LOOP, str(work / "cardguard-loop.txt"), *paths],
                                  counted=False),
    }
    if importlib.util.find_spec("huggingface_hub") is not None:
        hub = [sys.executable, "-c", HUB_LOOP]
        commands["hub-1"] = Command("huggingface_hub `ModelCard.load` loop, 1 card", hub + [os.devnull, str(one_card)])
        commands["hub-N"] = Command(f"huggingface_hub `ModelCard.load` loop, {n} cards",
                                    hub + [str(work / "hub-loop.txt"), *paths])
    checker = tool("check-jsonschema")
    one_meta = metadata.get(one_card) or next(iter(metadata.values()), None)
    if checker is not None and one_meta is not None:
        checker += ["--schemafile", str(SCHEMA)]
        commands["schema-1"] = Command("`check-jsonschema`, 1 card's metadata", checker + [str(one_meta)], counted=False)
        commands["schema-N"] = Command(f"`check-jsonschema`, {len(metadata)} cards' metadata",
                                       checker + [str(m) for m in metadata.values()], counted=False)
    return commands


def loop_time(record: Path) -> tuple[float, int]:
    """The median time of a loop child's timed loop over the measured runs (the first line is
    the warm-up run's) and the most cards that failed to load in one run."""
    rows = [line.split() for line in record.read_text().splitlines()][1:]
    return statistics.median(float(r[0]) for r in rows), max(int(r[1]) for r in rows)


def per_second(cards: int, seconds: float) -> float | None:
    """None where noise made the time come out at zero or less (a difference of two medians)."""
    return cards / seconds if seconds > 0 else None


def main(argv: list[str] | None = None) -> int:
    sources = corpus_cards()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cards", type=int, default=len(sources) or 789,
                        help="how many cards (default: the corpus size; cycled when larger)")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args(argv)
    if args.cards < 2:
        parser.error("--cards must be at least 2")

    load_before, busy_before = load_average(), busy_warning()
    work = Path(tempfile.mkdtemp(prefix="cardguard-bench-"))
    try:
        (work / "cards").mkdir()
        (work / "meta").mkdir()
        cards = prepare_cards(work / "cards", sources, args.cards)
        metadata = prepare_metadata(cards, work / "meta")
        commands = build_commands(cards, metadata, work)
        env = child_environment(work / "pycache")
        samples = interleaved_samples({key: c.argv for key, c in commands.items()}, env, args.runs, cwd=work)
        loops = {key: loop_time(work / f"{key}-loop.txt") for key in ("cardguard", "hub") if f"{key}-N" in commands}
        counts = {key: instructions(c.argv, env, cwd=work) for key, c in commands.items() if c.counted}
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"Python {sys.version.split()[0]} ({sys.executable}), cardguard from {ROOT}; {len(cards)} cards from "
          f"{f'the corpus ({len(sources)} cards)' if sources else 'a synthetic card'}; median of {args.runs} "
          f"interleaved rounds; {load_before} at the start, {load_average()} at the end.\n")
    print_busy(busy_before, busy_warning())
    print_processes(commands, samples, counts)
    print_throughput(len(cards), samples, counts, loops)
    if "schema-N" not in commands:
        print("\ncheck-jsonschema is not installed beside this Python: `pip install check-jsonschema` to compare.")
    if "hub-N" not in commands:
        print("\nhuggingface_hub is not installed beside this Python: no comparison with its parser.")
    return 0


def print_processes(commands: dict[str, Command], samples: dict[str, Sample], counts: dict[str, int | None]) -> None:
    floor, floor_count = samples["floor"].wall, counts.get("floor")
    print("| command (one cold process) | wall ms | CPU ms | peak RSS | instructions | over the floor |")
    print("|---|---:|---:|---:|---:|---|")
    for key, command in commands.items():
        sample, count = samples[key], counts.get(key)
        status = "" if sample.status == 0 else f" (exit {sample.status})"
        over = "" if key == "floor" else f"{(sample.wall - floor) * 1000:.0f} ms"
        if key != "floor" and count and floor_count:
            over += f", {count / floor_count:.1f}x the instructions"
        print(f"| {command.label}{status} | {sample.wall * 1000:.0f} | {sample.cpu * 1000:.0f} "
              f"| {sample.peak_rss_mib:.0f} MiB | {millions(count)} | {over} |")
    print("\n(exit N): the command's highest exit status over the rounds; check-jsonschema exits 1 when "
          "some metadata fails the schema.")


def print_throughput(n: int, samples: dict[str, Sample], counts: dict[str, int | None],
                     loops: dict[str, tuple[float, int]]) -> None:
    """Cards per second of each tool, three ways, and instructions per card; the ratio is
    cardguard's speed over huggingface_hub's (the issue-13 goal: at least 2)."""
    def rates(tool_key: str) -> list[float | None]:
        if f"{tool_key}-N" not in samples:
            return [None] * 4
        batch, single = samples[f"{tool_key}-N"].wall, samples[f"{tool_key}-1"].wall
        batch_count, single_count = counts.get(f"{tool_key}-N"), counts.get(f"{tool_key}-1")
        per_card = (batch_count - single_count) / (n - 1) if batch_count and single_count else None
        return [per_second(n, batch), per_second(n - 1, batch - single), per_second(n - 1, loops[tool_key][0]), per_card]

    mine, theirs = rates("cardguard"), rates("hub")
    labels = ["whole process: N / wall of the process (start-up and imports included)",
              "after start-up: (N - 1) / (wall over N cards - wall over 1 card)",
              "in-process loop: (N - 1) / the loop child's own timing after its first card"]
    print(f"\n| over the same {n} cards | cardguard validate (default profile) "
          "| huggingface_hub `ModelCard.load(p).data.to_dict()` | cardguard / huggingface_hub |")
    print("|---|---:|---:|---:|")
    for label, own, other in zip(labels, mine, theirs):
        ratio = f"**{own / other:.2f}x**" if own and other else "n/a"
        print(f"| cards/s, {label} | {f'{own:,.0f}' if own else 'n/a'} | {f'{other:,.0f}' if other else 'n/a'} | {ratio} |")
    own, other = mine[3], theirs[3]
    if own and other:
        print(f"| instructions per card (callgrind: (N cards - 1 card) / (N - 1)) | {own / 1e6:.2f} M "
              f"| {other / 1e6:.2f} M | **{other / own:.2f}x** (by instructions) |")
    if "hub" in loops:
        print(f"\nhuggingface_hub raised on {loops['hub'][1]} of the {n} cards (caught per card, as a user's loop would).")


if __name__ == "__main__":
    raise SystemExit(main())
