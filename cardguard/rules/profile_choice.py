"""The `auto` profile: which required-section profile fits the card, and why.

The profile follows what wrote the card. Each generator leaves two kinds of traces: its
metadata (sentence-transformers' and PEFT's ``library_name``, Trainer's
``generated_from_trainer`` tag and its "proofread" comment) and its section layout. Only the
card's own text is read, never the artifacts beside it: validate stays fast on a card alone.
"""

from __future__ import annotations

from typing import Any

from cardguard.card.reader import Card
from cardguard.record import Record
from cardguard.rules.sections import PROFILES, heading_keys, profile_fits, sections_present

AUTO = "auto"
# The comment Trainer puts above every card it writes (its 4.x Keras wording too).
_TRAINER_COMMENT_START = "This model card has been generated automatically according to the information"
# A tag alone does not make a layout: TRL also tags its cards generated_from_trainer but writes
# other sections. At least this many of Trainer's sections must be there.
_TRAINER_SECTIONS_WITH_A_TRACE = 3
# Without any trace of Trainer (tag and comment removed by hand), its layout must be almost whole.
_TRAINER_SECTIONS_ALONE = 5
_TRAINER_SECTIONS_AT_LEAST = min(_TRAINER_SECTIONS_WITH_A_TRACE, _TRAINER_SECTIONS_ALONE)
# Profiles whose whole layout, when a card has it, decides the choice (first fit wins).
_WHOLE_LAYOUTS = ("hub", "trainer", "sentence-transformers")


class ProfileChoice(Record, frozen=True):
    """The profile `auto` chose for a card, and why."""

    profile: str
    reason: str


def choose_profile(card: Card) -> ProfileChoice:
    """The profile that fits the card's writer, with the evidence for it. A card that already
    has every section of another profile's layout (a card `cardguard init` wrote for a Trainer
    run is the Hub's template) gets that profile instead of its writer's."""
    keys = heading_keys(card)
    writer = _writer(card, keys)
    if writer is not None and profile_fits(keys, writer.profile):
        return writer
    for name in _WHOLE_LAYOUTS:
        if profile_fits(keys, name):
            return ProfileChoice(name, f"the card has every section of the {name} profile")
    return writer or ProfileChoice("hub", "no library's card layout found: hand-written or the Hub's template")


def _writer(card: Card, keys: frozenset[str]) -> ProfileChoice | None:
    """The profile of the library that wrote the card (its heading ``keys``), from its
    metadata, comment and layout."""
    metadata = card.metadata if isinstance(card.metadata, dict) else {}
    library = metadata.get("library_name")
    if library == "sentence-transformers" or _has_tag(metadata, "sentence-transformers"):
        source = "library_name sentence-transformers" if library == "sentence-transformers" else "tag sentence-transformers"
        return ProfileChoice("sentence-transformers", f"written by sentence-transformers: {source}")
    trainer = _trainer_choice(card, keys, metadata)
    if trainer is not None:
        return trainer
    if library == "peft":
        return ProfileChoice("peft", "written by PEFT: library_name peft (PEFT fills in the Hub's template)")
    return None


def _trainer_choice(card: Card, keys: frozenset[str], metadata: dict[str, Any]) -> ProfileChoice | None:
    present = sections_present(keys, "trainer")
    if present < _TRAINER_SECTIONS_AT_LEAST:
        return None  # too few of its sections whatever the traces: the card's text is not searched
    traces = []
    if _has_tag(metadata, "generated_from_trainer"):
        traces.append("tag generated_from_trainer")
    if _TRAINER_COMMENT_START in card.text:
        traces.append("its comment")
    wanted = _TRAINER_SECTIONS_WITH_A_TRACE if traces else _TRAINER_SECTIONS_ALONE
    if present < wanted:
        return None
    total = len(PROFILES["trainer"])
    evidence = ", ".join([*traces, f"{present} of its {total} sections"])
    return ProfileChoice("trainer", f"written by transformers' Trainer: {evidence}")


def _has_tag(metadata: dict[str, Any], tag: str) -> bool:
    """True when the card's ``tags`` (a list, or one string) hold ``tag``. A list is searched
    as it is, not made into a set first: most cards ask for one or two tags, and a string
    never equals a tag of another type (a number, a mapping) that YAML may have given."""
    tags = metadata.get("tags")
    if isinstance(tags, str):
        return tags == tag
    return isinstance(tags, list) and tag in tags
