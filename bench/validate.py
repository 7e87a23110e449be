"""Benchmark `cardguard validate`: cold single-card latency and batch throughput.

Prints a Markdown table comparing, in the same run:
- bare `python -c pass` (the interpreter floor);
- one cold `cardguard validate` process on one card;
- one cold `check-jsonschema` process validating the same card's metadata (as a YAML file)
  against the same schema;
- one `cardguard validate` process over N cards, and `check-jsonschema` over the same N
  metadata files.

Cards come from ../shared/corpus/cards when present (copied to a temporary folder, cycled up to
N), else from a synthetic Trainer-style card. Usage:

    python bench/validate.py [--cards 2000] [--runs 7]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys
import tempfile
from pathlib import Path

from harness import child_environment, instructions, median_samples

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "cards"
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


def prepare_cards(folder: Path, count: int) -> list[Path]:
    sources = sorted(CORPUS.glob("*.md")) if CORPUS.is_dir() else []
    texts = [p.read_bytes() for p in sources] or [SYNTHETIC_CARD.encode()]
    cards = []
    for index in range(count):
        card = folder / f"card{index:05d}.md"
        card.write_bytes(texts[index % len(texts)])
        cards.append(card)
    return cards


def prepare_metadata(cards: list[Path], folder: Path) -> list[Path]:
    """The metadata of each card that parses, as a YAML file (what check-jsonschema can read)."""
    import yaml

    from cardguard.card.reader import parse_card_bytes

    files = []
    for card in cards:
        metadata = parse_card_bytes(card.read_bytes(), card.name).metadata
        if metadata is None:
            continue
        target = folder / (card.stem + ".yaml")
        target.write_text(yaml.safe_dump(metadata, allow_unicode=True, sort_keys=False, default_flow_style=False))
        files.append(target)
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cards", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    work = Path(tempfile.mkdtemp(prefix="cardguard-bench-"))
    try:
        (work / "cards").mkdir()
        (work / "meta").mkdir()
        cards = prepare_cards(work / "cards", args.cards)
        metadata = prepare_metadata(cards, work / "meta")
        one_card = next(c for c in cards if (work / "meta" / (c.stem + ".yaml")).exists())
        one_meta = work / "meta" / (one_card.stem + ".yaml")
        cardguard = (tool("cardguard") or [sys.executable, "-m", "cardguard"]) + ["validate", "--fail-on", "never", "--profile", "minimal"]
        checker_tool = tool("check-jsonschema")
        checker = checker_tool + ["--schemafile", str(SCHEMA)] if checker_tool else None
        env_note = f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {args.runs} runs, median"

        env = child_environment(work / "pycache")

        def median_of(command: list[str], runs: int) -> tuple[float, float]:
            sample = median_samples(command, env, runs, cwd=work)
            return sample.wall, sample.cpu

        rows: list[tuple[str, float, float, str]] = []
        notes: list[str] = []
        floor = median_of([sys.executable, "-c", "pass"], args.runs)
        rows.append(("`python -c pass` (floor)", *floor, ""))
        single = median_of(cardguard + [str(one_card)], args.runs)
        rows.append(("`cardguard validate`, 1 card, cold", *single, f"{(single[0] - floor[0]) * 1000:.0f} ms over the floor"))
        if checker is None:
            notes.append("check-jsonschema is not installed beside this Python: `pip install check-jsonschema` to compare.")
        else:
            other = median_of(checker + [str(one_meta)], args.runs)
            rows.append(("`check-jsonschema`, 1 metadata file, cold", *other, f"{(other[0] - floor[0]) * 1000:.0f} ms over the floor"))
        batch_runs = max(3, args.runs // 2)
        batch = median_of(cardguard + [str(c) for c in cards], batch_runs)
        per_second = len(cards) / max(batch[0] - floor[0], 1e-9)
        rows.append((f"`cardguard validate`, {len(cards)} cards, 1 process", *batch, f"{per_second:,.0f} cards/s (after startup)"))
        if checker is not None:
            other_batch = median_of(checker + [str(m) for m in metadata], batch_runs)
            per_second = len(metadata) / max(other_batch[0] - floor[0], 1e-9)
            rows.append((f"`check-jsonschema`, {len(metadata)} metadata files", *other_batch, f"{per_second:,.0f} files/s (after startup)"))

        floor_count = instructions([sys.executable, "-c", "pass"], env, work)
        single_count = instructions(cardguard + [str(one_card)], env, work)

        print(f"cardguard validate benchmark ({env_note}; cards from {'the corpus' if CORPUS.is_dir() else 'a synthetic card'})\n")
        print("| command | wall ms | CPU ms | note |")
        print("|---|---:|---:|---|")
        for name, wall, cpu, note in rows:
            print(f"| {name} | {wall * 1000:.0f} | {cpu * 1000:.0f} | {note} |")
        for note in notes:
            print(f"\n{note}")
        if floor_count and single_count:
            print(f"\nInstructions (valgrind callgrind, stable under load): `python -c pass` {floor_count / 1e6:,.0f} M, "
                  f"`cardguard validate` on 1 card {single_count / 1e6:,.0f} M ({single_count / floor_count:.1f}x).")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
