"""Issue 11, item 6: property tests of the one line model (cardguard/lines.py).

Hypothesis builds cards and `.eval_results` files whose values, headings, prose and region
contents carry the characters other line models count as breaks (U+000B, U+000C,
U+001C-U+001E, U+0085, U+2028, U+2029) and mixes LF, CRLF and lone CR line endings. Lines
are counted the way an editor shows them (:func:`editor_lines`, written here independently
of cardguard). Properties:

- every finding's line is inside the file, and a finding about a key or a placeholder points
  at the line that holds it;
- every heading and region marker is found on its own line;
- sync rewrites only its region, and an `.eval_results` edit changes only its own entry.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cardguard import codes
from cardguard.card.reader import parse_card
from cardguard.run.eval_results_sync import plan_eval_results
from cardguard.expect.evaluation import EvalResultEntry
from cardguard.card.regions import scan_regions
from cardguard.rules.metadata import check_metadata
from cardguard.rules.sections import check_sections
from cardguard.expect.expected import ExpectOptions
from tests.sync.helpers import classifier_facts, plan_card

LONG = os.environ.get("CARDGUARD_FUZZ") == "long"
PROPERTIES = settings(max_examples=5_000 if LONG else 60, deadline=None,
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FILE_PROPERTIES = settings(PROPERTIES, max_examples=2_000 if LONG else 40)  # each example writes files

YAML_BREAKS = "\x85\u2028\u2029"  # breaks in PyYAML (YAML 1.1), not in the file
OTHER_ODD_BREAKS = "\x0b\x0c\x1c\x1d\x1e"  # breaks for str.splitlines(); YAML refuses them
FACTS = classifier_facts()


def editor_lines(text: str) -> list[str]:
    """The lines an editor shows: breaks at CRLF, CR and LF, nothing else."""
    return re.split(r"\r\n|\r|\n", text)


def odd_text(alphabet: str) -> st.SearchStrategy[str]:
    """Words with odd break characters between and inside them."""
    piece = st.text(alphabet="abc xyz", min_size=1, max_size=6) | st.text(alphabet=alphabet, min_size=1, max_size=4)
    return st.lists(piece, min_size=1, max_size=6).map("".join)


yaml_safe_odd = odd_text(YAML_BREAKS)
any_odd = odd_text(YAML_BREAKS + OTHER_ODD_BREAKS)
prose_odd = odd_text(YAML_BREAKS + OTHER_ODD_BREAKS + "\r")  # a lone CR ends a line too
card_newlines = st.sampled_from(["\n", "\r\n"])  # the Hub's front-matter pattern closes at LF or CRLF


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@st.composite
def hostile_cards(draw: st.DrawFn) -> str:
    """A card with a wrong pipeline_tag among odd-valued keys, odd prose, headings, a placeholder
    and a labels region with odd content."""
    newline = draw(card_newlines)
    keys = [f"note_{index}: {_quoted(value)}" for index, value in enumerate(draw(st.lists(yaml_safe_odd, max_size=4)))]
    keys.insert(draw(st.integers(0, len(keys))), "pipeline_tag: not-a-pipeline-tag")
    keys.insert(0, "license: mit")
    body = ["# Model " + draw(any_odd), "", draw(prose_odd)]
    for level, title in draw(st.lists(st.tuples(st.integers(1, 4), any_odd), max_size=4)):
        body += ["", "#" * level + " " + title, "", draw(prose_odd)]
    body.insert(draw(st.integers(3, len(body))), "[More Information Needed]")
    body += ["", "## Labels", "", "<!-- cardguard:begin labels -->", draw(prose_odd), "<!-- cardguard:end labels -->",
             "", draw(prose_odd), ""]
    return newline.join(["---", *keys, "---", *body])


def _line_holding(text: str, fragment: str) -> int:
    (number,) = [index for index, line in enumerate(editor_lines(text), start=1) if fragment in line]
    return number


@PROPERTIES
@given(hostile_cards())
def test_findings_point_at_the_line_holding_their_subject(text: str) -> None:
    card = parse_card(text, "README.md")
    findings = card.findings + check_metadata(card) + check_sections(card, "hub")
    last = len(editor_lines(text))
    for item in findings:
        assert item.code in codes.RULES and 1 <= item.line <= last, item
    tag_lines = {item.line for item in findings if "not-a-pipeline-tag" in item.message}
    assert tag_lines == {_line_holding(text, "pipeline_tag:")}, findings
    placeholder_lines = {item.line for item in findings if item.code == "CG203"}
    assert placeholder_lines == {_line_holding(text, "[More Information Needed]")}, findings


@PROPERTIES
@given(hostile_cards())
def test_headings_and_markers_are_found_on_their_own_lines(text: str) -> None:
    card = parse_card(text, "README.md")
    lines = editor_lines(text)
    assert card.body is not None and card.body.headings
    for heading in card.body.headings:
        assert lines[heading.line - 1].startswith("#"), (heading, lines[heading.line - 1])
    (region,) = scan_regions(text, "README.md").regions
    assert lines[region.begin_line - 1] == "<!-- cardguard:begin labels -->"
    assert lines[region.end_line - 1] == "<!-- cardguard:end labels -->"


@PROPERTIES
@given(hostile_cards())
def test_sync_rewrites_only_its_region(text: str) -> None:
    plan = plan_card(parse_card(text, "README.md"), FACTS, ExpectOptions(managed_keys=()))
    assert not plan.blocked, plan.findings
    begin, end = "<!-- cardguard:begin labels -->", "<!-- cardguard:end labels -->"
    before, _, after = text.partition(begin)
    new_before, _, new_after = plan.new_text.partition(begin)
    assert new_before == before
    assert new_after.partition(end)[2] == after.partition(end)[2]
    assert "| 2 | positive |" in new_after.partition(end)[0]


@st.composite
def eval_results_files(draw: st.DrawFn) -> tuple[str, int]:
    """A `.eval_results` list whose entries carry notes with YAML-only breaks, and the index of
    the entry for our benchmark."""
    count = draw(st.integers(1, 5))
    ours = draw(st.integers(0, count - 1))
    newline = draw(card_newlines)
    entries = []
    for index in range(count):
        dataset = "stanfordnlp/imdb" if index == ours else f"org/other-{index}"
        notes = draw(st.lists(yaml_safe_odd, max_size=2))
        entry = ["- dataset:", f"    id: {dataset}", "    task_id: default"]
        entry += [f"  notes: {_quoted(note)}" for note in notes]
        entry.insert(draw(st.integers(3, len(entry))), f"  value: {index + 10}.5")
        entries += entry
    return newline.join(entries) + newline, ours


@FILE_PROPERTIES
@given(eval_results_files())
def test_eval_results_edit_changes_only_its_own_value(case: tuple[str, int]) -> None:
    text, ours = case
    with tempfile.TemporaryDirectory() as folder:
        model = Path(folder)
        (model / ".eval_results").mkdir()
        (model / ".eval_results" / "scores.yaml").write_bytes(text.encode("utf-8"))
        change, findings = plan_eval_results(model, EvalResultEntry("stanfordnlp/imdb", "default", 0.25), model)
    assert findings == [] and change is not None
    assert change.new == text.replace(f"value: {ours + 10}.5", "value: 0.25")
    assert editor_lines(text)[change.line - 1] == f"  value: {ours + 10}.5"
