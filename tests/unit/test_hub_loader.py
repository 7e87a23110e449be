"""CG014: metadata libyaml accepts but huggingface_hub's loader (PyYAML's pure-Python
SafeLoader, through ``yaml.safe_load``) rejects.

Each class is checked against the real libraries first: libyaml (``yaml.CSafeLoader``)
accepts the block, ``huggingface_hub.ModelCard`` fails on the card. The property tests
compare the two loaders on generated YAML, so a class the cheap pre-scan in
cardguard/card/yamlpos.py misses fails here.
"""

from __future__ import annotations

import pytest
import yaml
from huggingface_hub import ModelCard
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cardguard.card.reader import parse_card
from cardguard.findings import Severity

pytestmark = pytest.mark.skipif(not hasattr(yaml, "CSafeLoader"), reason="PyYAML built without libyaml")


def accepts(text: str, loader: type) -> bool:
    """Whether PyYAML with ``loader`` (libyaml's CSafeLoader or the pure SafeLoader) parses ``text``."""
    try:
        for _event in yaml.parse(text, Loader=loader):
            pass
    except yaml.YAMLError:
        return False
    return True


def libyaml_accepts(text: str) -> bool:
    return accepts(text, yaml.CSafeLoader)


def pure_loader_accepts(text: str) -> bool:
    return accepts(text, yaml.SafeLoader)


def huggingface_hub_loads(card_text: str) -> bool:
    try:
        ModelCard(card_text, ignore_metadata_errors=False)
    except Exception:  # noqa: BLE001 - whatever it raises, the card does not load
        return False
    return True


# (metadata block, the block's line of the finding, what the fix says). A tag whose handle
# holds punctuation (``!a.b!c``), the last class the two loaders differ on, is CG008 already.
REJECTED = [
    pytest.param("license:\tmit\n", 1, "tab", id="tab-after-key"),
    pytest.param("license: mit\t\n", 1, "tab", id="tab-after-value"),
    pytest.param("license: mit\ntags:\n- nlp\t# topic\n", 3, "tab", id="tab-before-comment"),
    pytest.param("license: 'mit'\t\n", 1, "tab", id="tab-after-quoted-value"),
    pytest.param("license: mit\ndescription: >#\n  text\n", 2, "'#'", id="block-scalar-header-then-hash"),
    pytest.param("license: mit\ndescription: |\t\n  text\n", 2, None, id="block-scalar-header-then-tab"),
    pytest.param("license: mit\ntags: [what?, nlp]\n", 2, None, id="question-mark-in-flow-sequence"),
    pytest.param("license: mit\nlinks: {code: https://x.org/a?b=1}\n", 2, None, id="question-mark-in-flow-mapping"),
    pytest.param("license: mit\n\ufeff\npipeline_tag: fill-mask\n", 3, None, id="byte-order-mark-line-inside"),
    pytest.param("license: mit\r\ufeff\npipeline_tag: fill-mask\n", 3, None, id="byte-order-mark-after-cr"),
]


@pytest.mark.parametrize(("block", "line", "fix_says"), REJECTED)
def test_yaml_the_hub_loader_rejects_is_an_error_on_its_line(block: str, line: int, fix_says: str | None) -> None:
    card_text = f"---\n{block}---\n# Model\n"
    assert libyaml_accepts(block) and not pure_loader_accepts(block)  # the premise
    assert not huggingface_hub_loads(card_text)
    card = parse_card(card_text, "README.md")
    found = [finding for finding in card.findings if finding.code == "CG014"]
    assert len(found) == 1
    assert found[0].line == line + 1  # the block starts on the card's line 2
    assert found[0].severity is Severity.ERROR
    assert "huggingface_hub" in found[0].message
    if fix_says is not None:
        assert fix_says in found[0].fix
    assert card.metadata is not None  # cardguard still read it: the other rules run


@pytest.mark.parametrize("block", [
    "license: mit\ndescription: \"a\\tb\"\n",
    "license: mit\ndescription: 'a\tb'\n",  # a tab inside quotes
    "license: mit\ndescription: |\n  a\tb\n",  # a tab inside block text
    "license: mit\nwidget:\n- text: What is it?\n",  # '?' outside a flow collection
    "license: mit\ntags: [a, b]\nnote: really?\n",
    "license: mit\nnote: Hello! World!\n",
    "license: mit\nx: !!str 3\n",
    "license: mit\ndescription: | # a comment\n  text\n",
])
def test_yaml_both_loaders_accept_gives_no_cg014(block: str) -> None:
    card_text = f"---\n{block}---\n# Model\n"
    assert huggingface_hub_loads(card_text)  # the premise
    assert [f.code for f in parse_card(card_text, "README.md").findings if f.code == "CG014"] == []


_PIECES = st.sampled_from([
    "key", "a", "1", ":", ": ", " ", "  ", "\n", "\n  ", "\n- ", "-", "- ", "#", " #c", "'", '"', "[", "]",
    "{", "}", ",", "?", "? ", "&x ", "*x", "!", "!!str ", "!x ", "|", ">", "|-", "|2", ">+", "%", "\r\n",
    "\r", "\x85", "\u2028", "\u2029", "\u00a0", "\ufeff", "\\", "@", "...", "---", "é", "\U0001F600", "\t",
    "x:y", "http://h/p?q=1&r", '"\\t"', "'\t'", "a?", "=", "<<: ", "~", ".", ":x", "-x", "?x",
])


# 500 examples here; the same comparison over 700,000 generated texts found no class the
# pre-scan misses when CG014 was written.
@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pieces=st.lists(_PIECES, min_size=1, max_size=14),
       frame=st.sampled_from(["{}", "key: v\n{}\nother: w\n", "k: [{}]\n", "k: {{{}}}\n"]))
@example(pieces=["x", "\t"], frame="{}")
@example(pieces=["?", "\u2029", "\ufeff"], frame="{}")
@example(pieces=[">", "#"], frame="key: v\n{}\nother: w\n")
@example(pieces=["a?"], frame="k: [{}]\n")
@example(pieces=["!", ".", "!"], frame="{}")
@example(pieces=["a", ", ", "?", ", ", ", ", "? ", "a"], frame="k: [{}]\n")  # an explicit key, then ','
@example(pieces=["*x", ":", "!", "key", ","], frame="k: [{}]\n")  # a tag right after an alias's ':'
def test_cg014_is_found_exactly_when_the_pure_loader_rejects_what_libyaml_accepts(pieces: list[str], frame: str) -> None:
    from cardguard.card.yamlpos import hub_loader_rejection

    text = frame.format("".join(pieces))
    if not libyaml_accepts(text):
        return  # CG005's business
    assert (hub_loader_rejection(text) is not None) == (not pure_loader_accepts(text)), repr(text)


@pytest.mark.parametrize(("block", "may_differ"), [
    ('widget:\n- text: "What is it?"\ntags: [a, b]\n', False),  # a '?' in quotes, in block context
    ("tags: [\"what?\", 'why?']\n", False),  # in quotes, in a flow collection
    ("url: https://x.org/a?b=1\ntags: [a, b]\n", False),  # in a plain scalar in block context
    ("tags: [a, b]  # why?\n", False),  # in a comment after the flow collection
    ("tags: [what?]\n", True),
    ("tags: [a, \"b\", c?]\n", True),
    ("links: {code: https://x.org/a?b=1}\n", True),
    ("tags: [a,\n  b?]\n", True),
])
def test_a_question_mark_runs_the_pure_parser_only_inside_a_flow_collection(block: str, may_differ: bool) -> None:
    """The pure parser costs ~1 ms per KB: a '?' outside flow collections, common in widget
    questions and URLs, does not make cardguard run it."""
    from cardguard.card.yamlpos import pure_loader_may_differ

    assert libyaml_accepts(block)
    assert pure_loader_may_differ(block) is may_differ
