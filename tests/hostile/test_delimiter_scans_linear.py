"""The scans added for CG013 (near-miss '---' lines) and CG014 (the pure loader's check) run
in time linear in the card, with the bounds and method of test_linear_time.py."""

from __future__ import annotations

import pytest

from cardguard.card.reader import parse_card
from tests.hostile.test_linear_time import FLOOR_S, GROWTH_LIMIT, SLACK_S, Case, timings


def _parse(text: str) -> object:
    return parse_card(text, "README.md")


CASES: dict[str, Case] = {
    # An exact opening, never closed: every later dash line is a near-miss candidate.
    "unclosed block over many near-miss lines": Case(lambda n: "---\nlicense: mit\n" + "----\n" * n, _parse, 2_000),
    # A near-miss opening over many lines of a mapping that never closes.
    "near-miss opening over a long mapping": Case(lambda n: "----\n" + "key: value\n" * n, _parse, 2_000),
    # The Hub's block runs past many '----' lines (its YAML fails): each is a candidate.
    "block reading past many near-miss lines": Case(
        lambda n: "---\nlicense: mit\n" + "----\ntext\n" * n + "---\n# Model\n", _parse, 1_000),
    # Tabs everywhere: the pure loader runs on the whole block.
    "metadata full of tabs": Case(lambda n: "---\n" + "".join(f"k{i}: v\t\n" for i in range(n)) + "---\n", _parse, 300),
    # Many '?' in a flow sequence: the pure loader runs, and fails early.
    "flow sequence of question marks": Case(lambda n: "---\ntags: [" + "a?, " * n + "b]\n---\n", _parse, 1_000),
}


@pytest.mark.parametrize("name", list(CASES))
def test_near_miss_and_hub_loader_scans_grow_linearly(name: str) -> None:
    small, middle, large = timings(CASES[name])
    bound = GROWTH_LIMIT * max(small, FLOOR_S) + SLACK_S
    assert large < bound, f"{name}: {small:.4f}s, {middle:.4f}s, {large:.4f}s for n, 4n, 16n (bound {bound:.2f}s)"
