"""CG013: a near miss of the '---' lines around the metadata, which makes the Hub drop it.

Every near-miss case is first checked against huggingface_hub itself (the Hub's pattern,
``ModelCard``): the metadata the author wrote is really lost there. Every accepted form is
checked the same way and must give no CG013.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from huggingface_hub import ModelCard
from huggingface_hub.repocard import REGEX_YAML_BLOCK
from hypothesis import given, settings
from hypothesis import strategies as st

from cardguard.card.reader import parse_card
from cardguard.findings import Severity

METADATA = "license: mit\nlibrary_name: transformers\n"


def hub_metadata(text: str) -> dict:
    """What huggingface_hub reads from the card ({} when it finds no block or cannot load it)."""
    try:
        return ModelCard(text, ignore_metadata_errors=True).data.to_dict()
    except Exception:  # noqa: BLE001 - a card huggingface_hub cannot load at all has no metadata either
        return {}


def cg013(text: str) -> list[tuple[int, str]]:
    card = parse_card(text, "README.md")
    return [(finding.line, finding.message) for finding in card.findings if finding.code == "CG013"]


# (card, lines of the CG013 findings, a word the first message must hold)
NEAR_MISSES = [
    pytest.param(f"----\n{METADATA}---\n# Model\n", [1], "4 dashes", id="opening-four-dashes"),
    pytest.param(f"-----\n{METADATA}----\n# Model\n", [1, 4], "5 dashes", id="both-too-many-dashes"),
    pytest.param(f"----\n\n{METADATA}---\n# Model\n", [1], "4 dashes", id="opening-four-dashes-blank-line"),
    pytest.param(f"--\n{METADATA}---\n# Model\n", [1], "2 dashes", id="opening-two-dashes"),
    pytest.param(f"---hello\n{METADATA}---\n# Model\n", [1], "'---hello'", id="opening-text-glued"),
    pytest.param("--- license: mit\nlibrary_name: transformers\n---\n# Model\n", [1], "text after",
                 id="opening-text-after-space"),
    pytest.param("--- license: mit\n---\n# Model\n", [1], "text after", id="opening-text-only-key"),
    pytest.param(f"--- \n{METADATA}---\n# Model\n", [1], "spaces or tabs", id="opening-trailing-space"),
    pytest.param(f"---\t\r\n{METADATA}---\r\n# Model\r\n", [1], "spaces or tabs", id="opening-trailing-tab-crlf"),
    pytest.param(f"\n\n----\n{METADATA}---\n# Model\n", [3], "4 dashes", id="opening-after-blank-lines"),
    pytest.param(f"\u2014\u2014\u2014\n{METADATA}\u2014\u2014\u2014\n# Model\n", [1, 4], "EM DASH",
                 id="em-dashes"),
    pytest.param(f"\u2013\u2013\u2013\n{METADATA}---\n# Model\n", [1], "EN DASH", id="en-dashes"),
    pytest.param(f"---\n{METADATA}----\n# Model\n", [4], "4 dashes", id="closing-four-dashes"),
    pytest.param(f"---\n{METADATA}---end\n# Model\n", [4], "'---end'", id="closing-text-glued"),
    pytest.param(f"---\n{METADATA}  ---\n# Model\n", [4], "indented", id="closing-indented"),
    pytest.param(f"---\n{METADATA}...\n# Model\n", [4], "'...'", id="closing-document-end-marker"),
    pytest.param("---\r" + METADATA.replace("\n", "\r") + "---\r# Model\r", [4], "lone carriage return",
                 id="closing-lone-cr"),
    pytest.param(f"---\n{METADATA}\u2014\n# Model\n", [4], "EM DASH", id="closing-single-em-dash"),
    # The Hub reads on to a later '---' (a thematic break in the body) and takes the text
    # between as metadata.
    pytest.param(f"---\n{METADATA}----\n# Model\n\nText.\n\n---\n\nMore.\n", [4], "reads on to the '---' on line 9",
                 id="closing-four-dashes-then-thematic-break"),
    pytest.param(f"---\n{METADATA}...\nSome text.\n\n---\n", [4], "reads on to", id="closing-dots-then-break"),
    # A long list before the near miss: list items are not delimiter candidates.
    pytest.param("---\ntags:\n" + "- tag\n" * 500 + f"{METADATA}----\n# Model\n", [505], "4 dashes",
                 id="closing-after-a-long-list"),
]


@pytest.mark.parametrize(("text", "lines", "says"), NEAR_MISSES)
def test_a_near_miss_delimiter_is_an_error_that_names_it(text: str, lines: list[int], says: str) -> None:
    assert hub_metadata(text).get("license") != "mit"  # the premise: huggingface_hub loses the metadata
    card = parse_card(text, "README.md")
    found = [finding for finding in card.findings if finding.code == "CG013"]
    assert [finding.line for finding in found] == lines
    assert says in found[0].message
    assert all(finding.severity is Severity.ERROR and finding.fix for finding in found)
    assert "CG003" not in [finding.code for finding in card.findings]


ACCEPTED = [
    pytest.param(f"---\n{METADATA}---\n# Model\n", id="plain"),
    pytest.param(f"\n \n  ---\n{METADATA}---\n# Model\n", id="blank-lines-and-indent-before-opening"),
    pytest.param(f"---\n{METADATA}--- \t \n# Model\n", id="closing-trailing-spaces-and-tabs"),
    pytest.param(f"---\r\n{METADATA.replace(chr(10), chr(13) + chr(10))}---\r\n# Model\r\n", id="crlf"),
    pytest.param(f"---\n{METADATA}---", id="closing-at-end-of-file"),
    pytest.param("---\r" + METADATA.replace("\n", "\r") + "---", id="lone-cr-closing-at-end-of-file"),
    pytest.param(f"---\nwidget:\n- text: |\n    ----\n    ...\n    ---x\n{METADATA}---\n# Model\n",
                 id="delimiter-like-lines-inside-a-block-scalar"),
    pytest.param(f"---\n{METADATA}---\n# Model\n\n----\n\n...\n\n---\n", id="thematic-breaks-in-the-body"),
]


@pytest.mark.parametrize("text", ACCEPTED)
def test_a_delimiter_the_hub_accepts_is_not_flagged(text: str) -> None:
    assert hub_metadata(text).get("license") == "mit"  # the premise: huggingface_hub reads it
    card = parse_card(text, "README.md")
    assert card.metadata is not None and card.metadata["license"] == "mit"
    assert [finding.code for finding in card.findings] == []


@pytest.mark.parametrize("text", [
    pytest.param("------------\n## News summarisation\n\n### About\n\nThis model summarises.\n\n---\n\nMore.\n",
                 id="thematic-break-then-markdown"),
    pytest.param("----\n# Title\n", id="thematic-break-only"),
    pytest.param("---hello there\n\nJust text.\n", id="dashes-and-prose"),
])
def test_a_card_without_metadata_is_not_taken_for_a_near_miss(text: str) -> None:
    assert [finding.code for finding in parse_card(text, "README.md").findings] == ["CG003"]


_LINE = st.sampled_from([
    "---", "--- ", "----", "--", "...", "  ---", "---x", "--- a: 1", "\u2014\u2014\u2014", "license: mit",
    "tags:", "- a", "  - b", "# Title", "", "text", "key: |", "  ----", "a: [x, y]",
])


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(_LINE, max_size=10), line_break=st.sampled_from(["\n", "\r\n", "\r"]))
def test_cg013_never_fires_when_huggingface_hub_reads_the_metadata(lines: list[str], line_break: str) -> None:
    text = line_break.join(lines)
    read = hub_metadata(text)
    if read:
        assert cg013(text) == [], (text, read)


def test_the_pattern_copied_in_card_py_is_the_hub_s() -> None:
    import cardguard.card.reader

    source = Path(cardguard.card.reader.__file__).read_text(encoding="utf-8")
    assert re.search(re.escape(REGEX_YAML_BLOCK.pattern), source)


def test_validate_reports_the_near_miss_with_its_line_and_exit_1(tmp_path) -> None:
    from tests.hostile.helpers import run_cli

    (tmp_path / "README.md").write_text(f"----\n{METADATA}---\n# Model\n\nText.\n", encoding="utf-8")
    run = run_cli(["validate", "README.md"], cwd=tmp_path)
    assert run.returncode == 1
    assert "README.md:1:1" in run.stdout and "CG013" in run.stdout and "CG003" not in run.stdout
    assert "Traceback" not in run.stderr
