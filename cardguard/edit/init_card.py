"""``cardguard init``: write a new README.md for a checkpoint folder.

Metadata comes from the facts (library_name, pipeline_tag, base_model, the libraries' tags,
co2_eq_emissions); the body follows the Hub's annotated template (its sections, in its
order) with a generated region wherever the folder has the facts, and the template's
``[More Information Needed]`` wherever only people can write, which ``validate`` keeps
flagging (CG203) until someone does. An existing card is never overwritten.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from cardguard.artifacts import Facts, read_facts
from cardguard.budget import RunOutOfTime, budget_spent, spent_message
from cardguard.expect.expected import RegionRenderer
from cardguard.expect.generated import REGIONS, model_traits
from cardguard.expect.managed import new_card_metadata
from cardguard.artifacts.hub_id import resolve_hub_id
from cardguard.card.regions import begin_marker, end_marker
from cardguard.expect.render import RenderError, find_template, override_dirs_for, render
from cardguard.safe_paths import write_file
from cardguard.settings.targets import CARD_NAME

INIT_TEMPLATE = "init-card"


class CardExists(Exception):
    """The folder already has a card; init refuses to overwrite it."""


def render_new_card(facts: Facts, name: str, override_dirs: tuple[Path, ...] = ()) -> str:
    """The text of a new card for ``facts`` (every region filled where facts allow)."""
    traits = model_traits(facts)
    metadata = new_card_metadata(facts, traits)
    renderer = RegionRenderer(CARD_NAME, facts, metadata, traits, lambda: override_dirs)
    regions: dict[str, str | None] = {}
    for region_name in REGIONS:
        try:
            body = (renderer.rendered(region_name, None) or "").strip("\n")
        except RenderError:
            body = ""
        regions[region_name] = f"{begin_marker(region_name)}\n{body}\n{end_marker(region_name)}" if body else None
    context = {
        "metadata_yaml": yaml.safe_dump(metadata, sort_keys=False, allow_unicode=True) if metadata else "",
        "model_id": name,
        "regions": regions,
    }
    return render(find_template(INIT_TEMPLATE, override_dirs), context)


def init_card(model_dir: Path, hub_id: str | None = None) -> Path:
    """Write ``model_dir/README.md``, naming the model by its Hub id (``hub_id``: the configured
    one, if any; cardguard/artifacts/hub_id.py); raises CardExists when there is a card already."""
    card = model_dir / CARD_NAME
    if os.path.lexists(card):
        raise CardExists(f"{card} already exists; cardguard init never overwrites a card (use `cardguard sync`)")
    facts = read_facts(model_dir)
    facts.hub_id = resolve_hub_id(model_dir, hub_id)
    try:
        text = render_new_card(facts, facts.hub_id, override_dirs_for(model_dir))
    finally:
        if budget_spent():  # a region may have been dropped for want of time: write nothing
            raise RunOutOfTime(f"{card} not written: {spent_message()}")
    try:  # new=True: never replace a card that appeared meanwhile
        write_file(card, model_dir, text.encode("utf-8"), new=True)
    except FileExistsError:
        raise CardExists(f"{card} already exists; cardguard init never overwrites a card (use `cardguard sync`)") from None
    return card
