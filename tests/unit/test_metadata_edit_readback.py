"""CG409 when sync's metadata edits, applied, read back as other values (the last guard after
planning): the finding names the key whose value came out wrong, at that key's line, instead of
"the metadata" at line 1."""

from __future__ import annotations

from cardguard.card.reader import parse_card
from cardguard.edit.managed_metadata import MetadataChange, MetadataPlan, not_as_planned

CARD = "---\nlicense: mit\nlibrary_name: transformers\npipeline_tag: fill-mask\n---\n# M\n"
PLANNED = MetadataChange(("pipeline_tag",), 4, "fill-mask", "text-classification")
OTHER = MetadataChange(("library_name",), 3, "transformers", "transformers")


def test_the_key_that_read_back_wrong_is_named_at_its_line() -> None:
    card = parse_card(CARD, "README.md")
    # U+00A0 before '#' is not a comment to YAML: the value reads back with the tail
    new_text = CARD.replace("fill-mask", "text-classification\u00a0#old")
    finding = not_as_planned(card, new_text, MetadataPlan(changes=[OTHER, PLANNED]))
    assert (finding.code, finding.line) == ("CG409", 4)
    assert finding.message.startswith("editing pipeline_tag in place did not give the expected value")


def test_every_change_is_named_when_each_read_back_right() -> None:
    card = parse_card(CARD, "README.md")
    new_text = CARD.replace("fill-mask", "text-classification").replace("license: mit", "license: apache-2.0")
    finding = not_as_planned(card, new_text, MetadataPlan(changes=[OTHER, PLANNED]))
    assert finding.line == 3 and "library_name, pipeline_tag" in finding.message


def test_metadata_that_no_longer_reads_names_every_change() -> None:
    card = parse_card(CARD, "README.md")
    finding = not_as_planned(card, CARD.replace("pipeline_tag: fill-mask", "pipeline_tag: [unclosed"),
                             MetadataPlan(changes=[PLANNED]))
    assert finding.line == 4 and "pipeline_tag" in finding.message
