"""Measured numbers live on one page, docs/benchmarks.md, with the date and load of their run;
another page that quotes a benchmark's result drifts from it (docs/sync.md did: 385/618 ms
beside benchmarks.md's 182/321 ms for the same script)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
MEASURED = re.compile(r"\b\d[\d,.]*\s?(?:ms|cards/s|files/s|M instructions)\b|\b\d\.\d+x\b")
NUMBERS_PAGES = {"benchmarks.md", "benchmarks-facts.md"}  # the page, and its dated history


@pytest.mark.parametrize("page", sorted(path.name for path in (REPO_ROOT / "docs").glob("*.md")
                                        if path.name not in NUMBERS_PAGES) + ["../README.md"])
def test_only_the_benchmarks_page_quotes_measurements(page: str) -> None:
    text = (REPO_ROOT / "docs" / page).read_text(encoding="utf-8")
    quoted = [line for line in text.splitlines() if "bench" not in line.lower() and MEASURED.search(line)]
    table_rows = [line for line in text.splitlines() if line.startswith("|") and MEASURED.search(line)]
    assert table_rows == [] and quoted == [], f"{page} quotes measurements; link to docs/benchmarks.md instead"


def test_every_benchmark_table_says_when_and_under_what_load() -> None:
    text = (REPO_ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    for section in re.split(r"^## ", text, flags=re.M)[1:]:
        if "| command" in section or "| size" in section:
            assert re.search(r"20\d\d-\d\d-\d\d", section), section.splitlines()[0]
            assert re.search(r"load|quiet", section), section.splitlines()[0]
