"""Property tests over generated cards: only regions and managed keys change; sync is idempotent;
CRLF, BOM and a missing final newline survive."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cardguard.card.reader import parse_card
from cardguard.card.regions import scan_regions
from tests.sync.helpers import classifier_facts, plan_text

FACTS = classifier_facts()
REGION_CHOICES = ["labels", "training-results", "eval-results", "model-summary", "framework-versions"]

prose_line = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="<>`~#-|\u2028\u2029\x85"),
    max_size=30,
).map(str.strip)
author_block = st.lists(prose_line, min_size=0, max_size=4).map(lambda lines: "\n".join(lines))
unmanaged = st.fixed_dictionaries({
    "license": st.sampled_from(["apache-2.0", "'mit'", '"cc-by-4.0"']),
    "comment": st.sampled_from(["", "  # keep me", " # note"]),
})


@st.composite
def cards(draw: st.DrawFn) -> tuple[str, list[str]]:
    meta = draw(unmanaged)
    names = draw(st.lists(st.sampled_from(REGION_CHOICES), unique=True, max_size=4))
    parts = [f"---\nlicense: {meta['license']}{meta['comment']}\nlibrary_name: transformers\n"
             f"model-index:\n- name: x\n  results:\n  - task:\n      type: text-classification\n"
             f"    metrics:\n    - type: accuracy\n      value: {draw(st.sampled_from(['0.75', '0.5', '0.7500']))}\n---\n"]
    parts.append("# Title\n\n" + draw(author_block) + "\n")
    for name in names:
        stale = draw(author_block)
        parts.append(f"\n## {name}\n\n<!-- cardguard:begin {name} -->\n{stale}\n<!-- cardguard:end {name} -->\n")
        parts.append(draw(author_block) + "\n")
    return "".join(parts), names


def _outside_regions(text: str) -> list[str]:
    """The card's text with each region's content cut out (markers kept)."""
    regions = scan_regions(text, "README.md").regions
    pieces, position = [], 0
    for region in regions:
        pieces.append(text[position:region.content_start])
        position = region.content_end
    pieces.append(text[position:])
    return pieces


def _variant(text: str, newline: str, bom: bool, final_newline: bool) -> str:
    if not final_newline:
        text = text.rstrip("\n")
    return ("\ufeff" if bom else "") + text.replace("\n", newline)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cards(), st.sampled_from(["\n", "\r\n"]), st.booleans(), st.booleans())
def test_sync_touches_only_regions_and_managed_keys(card: tuple[str, list[str]], newline: str, bom: bool,
                                                    final_newline: bool) -> None:
    text = _variant(card[0], newline, bom, final_newline)
    plan = plan_text(text, FACTS, managed_keys=("model-index",))
    before, after = parse_card(text, "README.md"), parse_card(plan.new_bytes().decode("utf-8"), "README.md")
    assert after.has_bom == before.has_bom == bom
    assert plan.new_bytes().startswith(b"\xef\xbb\xbf") == bom
    assert plan.new_text.endswith(newline) == final_newline
    # Outside the regions, only the managed metric value line may differ.
    old_pieces, new_pieces = _outside_regions(before.text), _outside_regions(after.text)
    assert len(old_pieces) == len(new_pieces)
    value_line = [line for line in before.text.splitlines() if "value:" in line]
    for old, new in zip(old_pieces, new_pieces):
        if old != new:
            differing = set(old.splitlines()) ^ set(new.splitlines())
            assert all("value:" in line for line in differing), differing
    # Unmanaged metadata (value, quoting and comment) is byte-identical.
    license_line = next(line for line in before.text.splitlines() if line.startswith("license:"))
    assert license_line in after.text.splitlines()
    assert after.metadata["model-index"][0]["results"][0]["metrics"][0]["value"] in (0.75, 0.7500)
    assert len(value_line) == 1
    # Every line break in the result is the card's own.
    if newline == "\r\n":
        assert "\n" not in plan.new_text.replace("\r\n", "")


@settings(max_examples=60, deadline=None)
@given(cards(), st.sampled_from(["\n", "\r\n"]), st.booleans(), st.booleans(), st.booleans())
def test_sync_twice_equals_sync_once(card: tuple[str, list[str]], newline: str, bom: bool, final_newline: bool,
                                     add_missing: bool) -> None:
    text = _variant(card[0], newline, bom, final_newline)
    options = {"add_missing": add_missing, "required_regions": ("labels",)}
    once = plan_text(text, FACTS, **options)
    twice = plan_text(("\ufeff" if once.has_bom else "") + once.new_text, FACTS, **options)
    assert twice.new_text == once.new_text
    assert not twice.changed
