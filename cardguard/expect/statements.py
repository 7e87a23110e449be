"""What the card's prose should state about the checkpoint, where the facts establish it.

A card often says in its own words how many parameters the model has, its tensor type and its
labels. cardguard/rules/drift.py finds such statements outside generated regions (CG414,
CG415, CG416) and compares them with these values; here the facts are interpreted once. A
value the folder does not establish (weights that are LFS pointers or unreadable, no id2label)
is :class:`~cardguard.expect.managed.Unknown`, and a statement about it is never drift.
"""

from __future__ import annotations

from cardguard.artifacts import Facts
from cardguard.expect.generated import ModelTraits
from cardguard.expect.managed import Unknown
from cardguard.record import Record


class ExpectedStatements(Record, frozen=True):
    """The values a statement in the card's prose should match."""

    parameters: int | Unknown  # the weights' parameter count
    dtype: str | Unknown  # the dtype holding most parameters, in safetensors spelling (F32, BF16)
    labels: frozenset[str] | Unknown  # the label names of config.json's id2label


# Each reason made once (see managed.py): most folders have no weights or config.json.
_NO_PARAMETER_COUNT = Unknown("the folder has no weights with a parameter count")
_WEIGHTS_NOT_ALL_READ = Unknown("some weight files are LFS pointers or unreadable")
_NO_TENSOR_TYPE = Unknown("the folder has no weights with a tensor type")
_WEIGHTS_ARE_POINTERS = Unknown("some weight files are LFS pointers")
_NO_LABELS = Unknown("the folder has no config.json with id2label")


def expected_statements(facts: Facts, traits: ModelTraits) -> ExpectedStatements:
    return ExpectedStatements(_parameters(facts), _dtype(facts, traits), _labels(facts))


def _parameters(facts: Facts) -> int | Unknown:
    weights = facts.weights
    if weights is None or not weights.parameters:
        return _NO_PARAMETER_COUNT
    if weights.not_available_locally or weights.unreadable_files:
        return _WEIGHTS_NOT_ALL_READ
    return weights.parameters


def _dtype(facts: Facts, traits: ModelTraits) -> str | Unknown:
    if traits.main_dtype is None:
        return _NO_TENSOR_TYPE
    if facts.weights is not None and facts.weights.not_available_locally:
        return _WEIGHTS_ARE_POINTERS
    return traits.main_dtype


def _labels(facts: Facts) -> frozenset[str] | Unknown:
    if facts.config is None or not facts.config.id2label:
        return _NO_LABELS
    return frozenset(facts.config.id2label.values())
