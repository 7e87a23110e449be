"""The one-pass agreement check between a shard index and its shards matches the full diff.

``_agrees_with_index`` decides the common case (index and shards agree) without building
sets; ``_index_mismatches`` lists what differs. They must agree on every layout.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cardguard.artifacts.weights import _agrees_with_index, _index_mismatches

tensor_names = st.sampled_from(["a", "b", "c", "d", "e"])
shard_names = st.sampled_from(["s1", "s2", "s3"])


@settings(max_examples=500, deadline=None)
@given(
    st.dictionaries(tensor_names, shard_names, max_size=5),
    st.dictionaries(shard_names, st.lists(tensor_names, unique=True, max_size=4), max_size=3),
)
def test_agreement_is_exactly_no_mismatch_with_every_shard_read(weight_map, names_by_shard) -> None:
    names_by_shard = {shard: names for shard, names in names_by_shard.items() if shard in weight_map.values()}
    every_shard_read = set(names_by_shard) == set(weight_map.values())
    mismatches = _index_mismatches(weight_map, names_by_shard)
    assert _agrees_with_index(weight_map, names_by_shard) == (every_shard_read and not mismatches)


def test_a_name_the_index_does_not_list_is_a_disagreement() -> None:
    weight_map = {"a": "s1", "b": "s2"}
    assert not _agrees_with_index(weight_map, {"s1": ["a"], "s2": ["b", "stray"]})
    assert _agrees_with_index(weight_map, {"s1": ["a"], "s2": ["b"]})
