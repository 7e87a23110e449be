"""cardguard's YAML loader gives the values PyYAML's safe_load gives (what huggingface_hub sees)."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from huggingface_hub.repocard import REGEX_YAML_BLOCK as _FRONT_MATTER
from cardguard.card.yamlpos import parse_yaml

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


def _holds_a_date(value: object) -> bool:
    if isinstance(value, dict):
        return any(_holds_a_date(key) or _holds_a_date(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_a_date(item) for item in value)
    return isinstance(value, datetime.date)


@settings(max_examples=300, deadline=None)
@given(documents, st.sampled_from([None, True, False]))
def test_holds_date_says_whether_the_value_holds_a_date(document: object, flow: bool | None) -> None:
    text = yaml.safe_dump(document, default_flow_style=flow, allow_unicode=True)
    parsed = parse_yaml(text, "x.yaml")
    assert parsed.holds_date == _holds_a_date(parsed.value)


@pytest.mark.parametrize(("text", "holds_date"), [
    ("a: 2020-01-02\n", True),
    ("2020-01-02: a\n", True),  # a date as a key
    ("a: &d 2020-01-02\nb: [*d]\n", True),
    ("a: '2020-01-02'\nb: 2020-01-02x\n", False),  # quoted, or not a timestamp
    ("a: 1\n", False),
])
def test_holds_date_on_keys_values_and_aliases(text: str, holds_date: bool) -> None:
    assert parse_yaml(text, "x.yaml").holds_date is holds_date


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


def test_importing_every_cardguard_module_leaves_re_and_pyyaml_alone() -> None:
    """A library user's ``re`` and PyYAML behave the same after importing cardguard: no stand-in
    in ``re``'s compile cache (which recursed forever on Python 3.12+), and PyYAML's pure-Python
    reader still rejects what it always rejected. In a fresh process, cardguard imported first."""
    import subprocess
    import sys

    import cardguard

    probe = (
        "import importlib, pkgutil, re, cardguard\n"
        "for module in pkgutil.walk_packages(cardguard.__path__, 'cardguard.'):\n"
        "    if module.name.endswith('.__main__'): continue\n"
        "    try: importlib.import_module(module.name)\n"
        "    except ModuleNotFoundError as missing:\n"  # an integration's optional library (transformers)
        "        if missing.name.partition('.')[0] == 'cardguard': raise\n"
        "import yaml, yaml.reader\n"
        "print(type(yaml.reader.Reader.NON_PRINTABLE) is re.Pattern)\n"
        "print(type(re.compile(yaml.reader.Reader.NON_PRINTABLE.pattern)) is re.Pattern)\n"
        "try:\n"
        "    yaml.load('a: \\x01', Loader=yaml.SafeLoader)\n"
        "except yaml.reader.ReaderError:\n"
        "    print('rejected')\n"
        "print(yaml.load('a: b', Loader=yaml.SafeLoader))\n"
    )
    package_root = Path(cardguard.__file__).resolve().parents[1]  # the cardguard under test
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=package_root)
    assert result.stdout.split() == ["True", "True", "rejected", "{'a':", "'b'}"], result.stderr[-3000:]
