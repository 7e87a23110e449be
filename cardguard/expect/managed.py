"""The values of the metadata keys cardguard keeps true to the artifacts.

Managed keys (configurable with ``managed-keys``): ``base_model``, ``library_name``,
``pipeline_tag``, ``model-index`` (metric values that differ from the results files beyond the
card's printed precision; metrics the results files hold that a result describing them lacks;
a whole model-index when the card has none and the dataset and task are known, see
evaluation.py; entries written by hand are kept), ``co2_eq_emissions`` and ``tags`` (the tags
the training library adds). A value the facts do not establish is :class:`Unknown`, with the
reason, and is never touched.

This module only says what the values should be; cardguard/edit/managed_metadata.py writes
them into the front matter, and cardguard/rules/drift.py reports a stated value that differs.
"""

from __future__ import annotations

from cardguard.record import Record
from typing import Any, Union

from cardguard.artifacts import Facts
from cardguard.card.yamlpos import InstancePath
from cardguard.expect.evaluation import EvaluationTarget, missing_metrics, new_model_index
from cardguard.expect.facts_compare import metric_comparisons, values_agree
from cardguard.expect.generated import ModelTraits

MANAGED_KEYS: tuple[str, ...] = ("base_model", "library_name", "pipeline_tag", "model-index", "co2_eq_emissions", "tags")


class Unknown(Record, frozen=True):
    """A value the folder's files do not establish, and why."""

    reason: str


Value = Union[str, Unknown]

# The reasons that read the same for every card, made once: a card-only folder's derivation
# asks for most of them, and an Unknown is frozen, so one value serves every card.
_NO_NEW_MODEL_INDEX = Unknown("the card has a model-index, or the results files, the dataset or the task is unknown")
_NO_EMISSIONS = Unknown("the folder has no emissions.csv")
_NO_LIBRARY = Unknown("the folder has no adapter_config.json, modules.json or transformers config.json")
_SEVERAL_BASE_MODELS = Unknown("the card lists several base models")
_NO_BASE_MODEL = Unknown("the checkpoint names no base model by its Hub id")
_NO_TASK = Unknown("the model's head names no task the Hub knows")


class MetricValue(Record, frozen=True):
    """A model-index metric value that differs from the results files."""

    path: InstancePath  # ("model-index", m, "results", r, "metrics", k, "value")
    stated: Any
    actual: float


class AddedMetrics(Record, frozen=True):
    """Metrics the results files hold that a model-index result describing them lacks."""

    model: int
    result: int
    entries: list[dict[str, Any]]

    @property
    def path(self) -> InstancePath:
        return ("model-index", self.model, "results", self.result, "metrics")


class ExpectedMetadata(Record, frozen=True):
    """What each managed key should say, for one card (its metadata as it stands)."""

    library_name: str | Unknown
    base_model: str | Unknown
    pipeline_tags: tuple[str, ...]  # the tasks the model's head supports, the preferred one first
    pipeline_tag: str | Unknown  # the card's own when it is one of them, else the preferred one
    drifted_metrics: tuple[MetricValue, ...]
    new_model_index: list[dict[str, Any]] | Unknown  # for a card without a model-index
    added_metrics: tuple[AddedMetrics, ...]
    emissions_g: float | Unknown  # co2_eq_emissions, in grams, as the card writes it
    tags: tuple[str, ...]  # the tags the libraries add; the card may hold more

    def scalars(self) -> dict[str, str]:
        """library_name, base_model and pipeline_tag, where known."""
        values = {"library_name": self.library_name, "base_model": self.base_model, "pipeline_tag": self.pipeline_tag}
        return {key: value for key, value in values.items() if not isinstance(value, Unknown)}


def expected_metadata(metadata: dict[str, Any], facts: Facts, traits: ModelTraits,
                      evaluation: EvaluationTarget = EvaluationTarget()) -> ExpectedMetadata:
    """Every managed key's value for a card whose metadata is ``metadata``."""
    created = new_model_index(metadata, facts, traits.pipeline_tags, evaluation)
    return ExpectedMetadata(
        library_name=_library_name(traits),
        base_model=_base_model(traits, metadata),
        pipeline_tags=traits.pipeline_tags,
        pipeline_tag=_pipeline_tag(traits.pipeline_tags, metadata),
        drifted_metrics=tuple(MetricValue(path, stated, actual) for path, stated, actual in
                              metric_comparisons(metadata, facts) if not values_agree(stated, actual)),
        new_model_index=created if created is not None else _NO_NEW_MODEL_INDEX,
        added_metrics=tuple(AddedMetrics(m, r, entries) for m, r, entries in missing_metrics(metadata, facts)),
        emissions_g=round(facts.emissions.emissions_g, 2) if facts.emissions is not None else _NO_EMISSIONS,
        tags=tuple(library_tags(facts, traits)),
    )


def _library_name(traits: ModelTraits) -> Value:
    return traits.library if traits.library is not None else _NO_LIBRARY


def _base_model(traits: ModelTraits, metadata: dict[str, Any]) -> Value:
    if isinstance(metadata.get("base_model"), list):
        return _SEVERAL_BASE_MODELS
    if traits.base_model is None:
        return _NO_BASE_MODEL
    return traits.base_model


def _pipeline_tag(tasks: tuple[str, ...], metadata: dict[str, Any]) -> Value:
    if not tasks:
        return _NO_TASK
    current = metadata.get("pipeline_tag")
    return current if current in tasks else tasks[0]


def library_tags(facts: Facts, traits: ModelTraits) -> list[str]:
    """Tags the libraries add (Trainer: generated_from_trainer; PEFT: its type and base)."""
    tags = []
    if facts.adapter is not None:
        if facts.adapter.peft_type:
            tags.append(facts.adapter.peft_type.lower())
        if traits.base_model:
            tags.append(f"base_model:adapter:{traits.base_model}")
    elif facts.training_state is not None:
        tags.append("generated_from_trainer")
    if facts.sentence_transformers is not None:
        tags.append("sentence-transformers")
    return tags


def new_card_metadata(facts: Facts, traits: ModelTraits) -> dict[str, Any]:
    """The metadata of a new card (``cardguard init``): every managed value the facts establish."""
    expected = expected_metadata({}, facts, traits)
    scalars = expected.scalars()
    metadata: dict[str, Any] = {key: scalars[key] for key in ("library_name", "pipeline_tag", "base_model")
                                if key in scalars}
    if expected.tags:
        metadata["tags"] = list(expected.tags)
    if not isinstance(expected.emissions_g, Unknown):
        metadata["co2_eq_emissions"] = {"emissions": expected.emissions_g}
    return metadata
