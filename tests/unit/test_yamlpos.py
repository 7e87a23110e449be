"""cardguard's YAML loader gives the values PyYAML's safe_load gives (what huggingface_hub sees)."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cardguard.card import _FRONT_MATTER
from cardguard.yamlpos import parse_yaml

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "cards"

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20),
    st.sampled_from(["no", "yes", "on", "off", "3.10", "1e5", "0x1f", "012", "1:30", "~", "null", "2020-01-01", ".inf", "-"]),
    st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2100, 1, 1)),
)
documents = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(documents, st.sampled_from([None, True, False]))
def test_values_equal_safe_load(document: object, flow: bool | None) -> None:
    text = yaml.safe_dump(document, default_flow_style=flow, allow_unicode=True)
    parsed = parse_yaml(text, "x.yaml")
    assert parsed.ok, parsed.findings
    assert parsed.value == yaml.safe_load(text)


@pytest.mark.parametrize(
    "text",
    ["a: no\nb: 'no'\nc: \"3.10\"\nd: 3.10\ne: 0o17\nf: 017\ng: 1_000\nh: 1:30\ni: ~\nj:\nk: .NaN\nl: !!str 12\n"],
)
def test_yaml_1_1_scalars_resolve_like_pyyaml(text: str) -> None:
    parsed = parse_yaml(text, "x.yaml").value
    expected = yaml.safe_load(text)
    assert parsed.keys() == expected.keys()
    for key in expected:
        if isinstance(expected[key], float) and expected[key] != expected[key]:
            assert parsed[key] != parsed[key]  # NaN
        else:
            assert parsed[key] == expected[key] and type(parsed[key]) is type(expected[key]), key


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not here")
def test_corpus_metadata_loads_like_safe_load() -> None:
    compared = 0
    for card in sorted(CORPUS.glob("*.md")):
        text = card.read_bytes().decode("utf-8", errors="replace").lstrip("\ufeff")
        match = _FRONT_MATTER.search(text)
        if not match:
            continue
        try:
            expected = yaml.safe_load(match.group(2))
        except yaml.YAMLError:
            continue
        parsed = parse_yaml(match.group(2), card.name)
        if any(f.code == "CG007" for f in parsed.findings):
            continue  # duplicate keys: a finding here, silently the last value in PyYAML
        assert parsed.ok, (card.name, parsed.findings)
        assert parsed.value == expected, card.name
        compared += 1
    assert compared > 600


def test_deferred_reader_pattern_still_works_in_pyyaml() -> None:
    """cardguard defers PyYAML's NON_PRINTABLE compile (cardguard/lazy_pattern.py); the pure
    Python reader must still reject what it always rejected, in a fresh process."""
    import subprocess
    import sys

    probe = (
        "import cardguard.yamlpos, yaml, yaml.reader\n"
        "from cardguard.lazy_pattern import LazyPattern\n"
        "print(type(yaml.reader.Reader.NON_PRINTABLE).__name__)\n"
        "try:\n"
        "    yaml.load('a: \\x01', Loader=yaml.SafeLoader)\n"
        "except yaml.reader.ReaderError:\n"
        "    print('rejected')\n"
        "print(yaml.load('a: b', Loader=yaml.SafeLoader))\n"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=root)
    assert result.stdout.split() == ["LazyPattern", "rejected", "{'a':", "'b'}"], result.stderr
