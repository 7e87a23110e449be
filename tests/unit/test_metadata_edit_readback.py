"""CG409 when sync's metadata edits, applied, read back as other values (the last guard after
planning): the finding names the key whose value came out wrong, at that key's line, instead of
"the metadata" at line 1."""

from __future__ import annotations

from cardguard.card.reader import parse_card
from cardguard.edit.managed_metadata import MetadataChange, MetadataPlan, read_back_finding

CARD = "---\nlicense: mit\nlibrary_name: transformers\npipeline_tag: fill-mask\n---\n# M\n"
PLANNED = MetadataChange(("pipeline_tag",), 4, "fill-mask", "text-classification")
OTHER = MetadataChange(("library_name",), 3, "transformers", "transformers")
EXPECTED = {"license": "mit", "library_name": "transformers", "pipeline_tag": "text-classification"}


def planned(*changes: MetadataChange) -> MetadataPlan:
    return MetadataPlan(changes=list(changes), expected=EXPECTED)


def test_edits_that_read_back_as_planned_give_no_finding() -> None:
    card = parse_card(CARD, "README.md")
    assert read_back_finding(card, CARD.replace("fill-mask", "text-classification"), planned(OTHER, PLANNED)) is None


def test_the_key_that_read_back_wrong_is_named_at_its_line() -> None:
    card = parse_card(CARD, "README.md")
    # U+00A0 before '#' is not a comment to YAML: the value reads back with the tail
    new_text = CARD.replace("fill-mask", "text-classification\u00a0#old")
    finding = read_back_finding(card, new_text, planned(OTHER, PLANNED))
    assert (finding.code, finding.line) == ("CG409", 4)
    assert finding.message.startswith("editing pipeline_tag in place did not give the expected value")


def test_every_change_is_named_when_each_read_back_right() -> None:
    card = parse_card(CARD, "README.md")
    new_text = CARD.replace("fill-mask", "text-classification").replace("license: mit", "license: apache-2.0")
    finding = read_back_finding(card, new_text, planned(OTHER, PLANNED))
    assert finding.line == 3 and "library_name, pipeline_tag" in finding.message


def test_metadata_that_no_longer_reads_names_every_change() -> None:
    card = parse_card(CARD, "README.md")
    finding = read_back_finding(card, CARD.replace("pipeline_tag: fill-mask", "pipeline_tag: [unclosed"),
                                planned(PLANNED))
    assert finding.line == 4 and "pipeline_tag" in finding.message
