"""Issue 11, item 8: every card parser runs in time linear in the card.

Each case builds a hostile card of size n, 4n and 16n and times the public function that
parses it. Linear work grows 16 times from n to 16n; the regexes and scans this closes grew
256 times (seconds to minutes on a few KB to a few MB). The bound is generous on purpose, for
a loaded 2-core machine: time(16n) must stay under 40 x time(n) plus a fixed slack, with
time(n) taken as at least a few milliseconds so timer noise on tiny inputs cannot fail it.
``bench/parsers.py`` prints the same cases as a table.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import pytest

from cardguard.card.reader import parse_card
from cardguard.card.regions import scan_regions
from cardguard.rules.sections import check_sections
from cardguard.expect.expected import ExpectOptions
from cardguard.edit.textedit import line_starts
from cardguard.edit.yamledit import EditRefused, FrontMatterEditor
from tests.sync.helpers import classifier_facts, drift_of, plan_card

GROWTH_LIMIT = 40  # linear: 16; quadratic: 256
SLACK_S = 0.3
FLOOR_S = 0.005
SIZES = (1, 4, 16)


@dataclass(frozen=True)
class Case:
    """A hostile input built from a size n, the public function that parses it, and the n used
    (chosen so the old quadratic or cubic code took seconds at 16n, not hours)."""

    build: Callable[[int], str]
    parse: Callable[[str], object]
    unit: int  # n: spaces, lines or headings
    rounds: int = 3  # runs per size; the best counts


def _card(body: str) -> str:
    return "---\nlicense: mit\n---\n" + body


def _section_rules(text: str) -> object:
    return check_sections(parse_card(text, "README.md"), "minimal")


def _drift_rules(text: str) -> object:
    return drift_of(parse_card(text, "README.md"), FACTS)


def _sync(text: str) -> object:
    return plan_card(parse_card(text, "README.md"), FACTS, ExpectOptions()).new_text


def _remove_empty_config(text: str) -> object:
    """What --fix does for CG110's null: the key's line found and read (here refused: the
    value is on the next line)."""
    try:
        return FrontMatterEditor(parse_card(text, "README.md")).remove_entry(EMPTY_CONFIG, None)
    except EditRefused as refused:
        return refused


# A null dataset config (CG110, which --fix removes) whose key, after an explicit `?` on the
# line above, is followed by a long run of spaces and a comment.
EMPTY_CONFIG = ("model-index", 0, "results", 0, "dataset", "config")
EXPLICIT_KEY_CARD = ("---\nlicense: mit\nmodel-index:\n- name: m\n  results:\n  - task: {{type: t}}\n    dataset:\n"
                     "      name: d\n      type: d\n      ?\n        config{spaces}#x\n      : null\n"
                     "    metrics: [{{type: a, value: 1}}]\n---\n# m\n")
FACTS = classifier_facts()
LABELS_REGION = "## Labels\n\n<!-- cardguard:begin labels -->\nstale\n<!-- cardguard:end labels -->\n\n"


CASES: dict[str, Case] = {
    "directive with a long run of spaces": Case(
        lambda n: _card("<!-- cardguard: ignore" + " " * n + "x\n"), lambda text: parse_card(text, "README.md"), 1_000),
    "region marker with a long run of spaces": Case(
        lambda n: "<!-- cardguard:begin" + " " * n + "x\n", lambda text: scan_regions(text, "README.md"), 60),
    "many unclosed directive openings": Case(
        lambda n: _card("<!-- cardguard: x\n" * n), lambda text: parse_card(text, "README.md"), 60),
    "ATX heading with a long run of spaces": Case(
        lambda n: _card("# a" + " " * n + "b\n"), lambda text: parse_card(text, "README.md"), 500),
    "sections over many headings": Case(
        lambda n: _card("## h\n" * n), lambda text: parse_card(text, "README.md"), 2_000),
    "line starts of an LF card": Case(
        lambda n: "a line of prose\n" * n, line_starts, 5_000),
    "sync of an LF card": Case(
        lambda n: _card("# Model\n\n" + LABELS_REGION + "Some prose line of the card.\n" * n), _sync, 8_000,
        rounds=1),
    "unclosed template openings in a line": Case(
        lambda n: _card("## Uses\n\n" + "{{" * n + "\n"), _section_rules, 500),
    "unclosed HTML comments in a placeholder line": Case(
        lambda n: _card("## Uses\n\n[TODO] " + "<!-- " * n + "\n"), _section_rules, 500),
    "fixed key with a long run of spaces": Case(
        lambda n: EXPLICIT_KEY_CARD.format(spaces=" " * n), _remove_empty_config, 2_000),
    # U+00A0 is a blank to the regex but does not make the line indented code, as spaces would.
    "template instruction after a long run of Unicode blanks": Case(
        lambda n: _card("## Uses\n\n" + "\u00a0" * n + "x provide a quick summary\n"), _section_rules, 500),
    "label bullet with a long run of spaces": Case(
        lambda n: _card("### Labels\n\n- a" + " " * n + "b|\n"), _drift_rules, 1_000),
}


def best_time(parse: Callable[[str], object], text: str, rounds: int = 3) -> float:
    """The fastest of a few runs: the least disturbed by other work on the machine."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        parse(text)
        times.append(time.perf_counter() - start)
    return min(times)


def timings(case: Case) -> list[float]:
    return [best_time(case.parse, case.build(case.unit * size), case.rounds) for size in SIZES]


@pytest.mark.parametrize("name", list(CASES))
def test_parser_time_grows_linearly(name: str) -> None:
    small, middle, large = timings(CASES[name])
    bound = GROWTH_LIMIT * max(small, FLOOR_S) + SLACK_S
    assert large < bound, f"{name}: {small:.4f}s, {middle:.4f}s, {large:.4f}s for n, 4n, 16n (bound {bound:.2f}s)"
