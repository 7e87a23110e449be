"""Metadata rules CG101-CG118 on small real cards: each rule fails one card and passes another."""

from __future__ import annotations

import datetime
import textwrap
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cardguard.card.reader import parse_card
from cardguard.codes import RULES
from cardguard.findings import Finding, Severity
from cardguard.rules.metadata import check_metadata, format_path, hub_vocabulary, json_ready, suggest

# Keys that keep CG107/CG108 quiet, for cards that test something else.
BASELINE = "license: mit\nlibrary_name: transformers\n"


def card_text(front_matter: str) -> str:
    return "---\n" + textwrap.dedent(front_matter).lstrip("\n") + "---\n\n# A model\n\nText.\n"


def check(front_matter: str, **options: object) -> list[Finding]:
    return check_metadata(parse_card(card_text(front_matter), "README.md"), **options)


def only(findings: list[Finding], code: str) -> list[Finding]:
    return [finding for finding in findings if finding.code == code]


# (rule, front matter, line of the finding, words the message or fix must contain)
FAILING = [
    ("CG101", BASELINE.replace("mit", "Apache-2.0"), 1, ['"Apache-2.0" is not a Hub licence id', 'did you mean "apache-2.0"']),
    ("CG101", "library_name: x\nlicense:\n- mit\n- MIT\n", 4, ['"license[1]"', 'did you mean "mit"']),
    ("CG101", "library_name: x\nlicense: gpl-2.0-or-later\n", 2, ["not a Hub licence id"]),
    ("CG102", "library_name: x\nlicense: other\n", 2, ['"license_name" and "license_link"']),
    ("CG102", "library_name: x\nlicense: other\nlicense_link: LICENSE\n", 2, ['needs "license_name"']),
    ("CG103", BASELINE + "language: EN\n", 3, ['use "en"']),
    ("CG103", BASELINE + "language:\n- en\n- sv-SE\n", 5, ['"language[1]"', 'use "sv"', "language_bcp47"]),
    ("CG103", BASELINE + "language: English\n", 3, ["ISO 639"]),
    ("CG104", "license: mit\nlibrary_name: Transformers\n", 2, ['did you mean "transformers"']),
    ("CG104", "license: mit\nlibrary_name: sentence_transformers\n", 2, ['did you mean "sentence-transformers"']),
    ("CG104", "license: mit\nlibrary_name: generic\n", 2, ["not a library the Hub knows"]),
    ("CG105", BASELINE + "pipeline_tag: text-classificaton\n", 3, ['did you mean "text-classification"', "ignores it"]),
    ("CG105", BASELINE + "pipeline_tag: Text-Generation\n", 3, ['did you mean "text-generation"']),
    ("CG106", BASELINE + "pipeline_tag: conversational\n", 3, ["removed", '"text-generation"']),
    ("CG106", BASELINE + "pipeline_tag: text2text-generation\n", 3, ["removed"]),
    ("CG107", "library_name: transformers\ntags: [a]\n", 1, ['no "license"']),
    ("CG108", "license: mit\ntags: [transformers]\n", 1, ["library_name: transformers"]),
    ("CG109", BASELINE + "widget:\n  text: hi\n", 4, ['"widget" must be an array', "`- `"]),
    ("CG109", BASELINE + "datasets:\n- null\n", 4, ['"datasets[0]" must be a string, not empty (null)']),
    ("CG109", BASELINE + "co2_eq_emissions: Kg\n", 3, ['"co2_eq_emissions" must be a number or an object', "grams"]),
    ("CG109", BASELINE + "language: true\n", 3, ['"language" must be a string or an array, not the boolean true']),
    ("CG109", BASELINE + "tags:\n- 3.10\n", 4, ['"tags[0]" must be a string', 'quote it ("3.1")']),
    ("CG109", BASELINE + "thumbnail: [a]\n", 3, ['"thumbnail" must be a string or a null']),
    ("CG110", BASELINE + """\
model-index:
- name: m
  results:
  - task: {type: text-classification}
    dataset: {type: imdb, name: IMDb}
    metric: {type: accuracy, value: 0.9}
""", 6, ['"model-index[0].results[0]" is missing "metrics"', 'found "metric": rename it to "metrics"']),
    ("CG110", BASELINE + """\
model-index:
- name: m
  results:
  - task: {type: text-classification}
    dataset: {type: imdb, name: IMDb, config: {a: 1}}
    metrics: [{type: accuracy, value: 0.9}]
""", 7, ['"model-index[0].results[0].dataset.config" must be a string']),
    ("CG110", BASELINE + "model-index:\n  name: m\n  results: []\n", 4, ['"model-index" must be an array']),
    ("CG110", BASELINE + "model-index:\n- results: []\n", 4, ['is missing "name"', "add `name:"]),
    ("CG111", BASELINE + "model-index:\n- name: m\n  results: []\n", 5, ['"model-index[0].results" is empty']),
    ("CG112", BASELINE.replace("license", "licence"), 1, ['"licence"', 'did you mean "license"', "TRL"]),
    ("CG112", BASELINE + "pipeline-tag: fill-mask\n", 3, ['did you mean "pipeline_tag"']),
    ("CG112", BASELINE + "Datasets: [imdb]\n", 3, ['did you mean "datasets"']),
    ("CG112", BASELINE + "model_index: []\n", 3, ['did you mean "model-index"']),
    ("CG112", "license: mit\nlibrary-name: peft\n", 2, ['did you mean "library_name"']),
    ("CG112", BASELINE + "base-model: a/b\n", 3, ['did you mean "base_model"']),
    ("CG112", "License: mit\nlibrary_name: peft\n", 1, ['did you mean "license"']),
    ("CG113", BASELINE + "base_model: /kaggle/input/llama-3.1/transformers/8b-instruct/2\n", 3,
     ["Use a model id from https://hf.co/models", "local path"]),
    ("CG113", BASELINE + "base_model:\n- ./outputs/checkpoint-60\n", 4, ['"base_model[0]"', "local path"]),
    ("CG113", BASELINE + "base_model: https://huggingface.co/org/model/tree/main\n", 3, ['"org/model"']),
    ("CG113", BASELINE + "base_model: ''\n", 3, ["write the Hub id"]),
    ("CG113", BASELINE + "new_version: C:\\models\\new\n", 3, ["local path"]),
    ("CG114", BASELINE + "datasets:\n- /var/hf/images/\n", 4, ["use a dataset id from https://hf.co/datasets", "local path"]),
    ("CG114", BASELINE + "datasets: https://huggingface.co/datasets/stanfordnlp/imdb\n", 3, ['"stanfordnlp/imdb"']),
    ("CG115", BASELINE + "base_model_relation: merged\n", 3, ['did you mean "merge"']),
    ("CG115", BASELINE + "gated: maybe\n", 3, ['"gated" must be one of [true, false, "auto", "manual"]']),
    ("CG115", BASELINE + "extra_gated_fields:\n  Name: textbox\n", 4, ['"extra_gated_fields.Name" must be one of']),
    ("CG118", BASELINE + """\
model-index:
- name: m
  results:
  - task: {type: token-classification}
    metrics: [{type: f1, value: 0.9}]
""", 6, ['has no "dataset"', "ModelCard.load"]),
    # What transformers writes for an evaluation dataset built in memory (str(None)); the second
    # result of the second entry, to pin the path and the line.
    ("CG119", BASELINE + """\
model-index:
- name: m
  results: []
- name: n
  results:
  - task: {type: text-classification}
    dataset: {name: a, type: a, split: test}
    metrics: [{type: f1, value: 0.9}]
  - task: {type: text-classification}
    dataset:
      name: imdb
      type: imdb
      split: None
    metrics: [{type: f1, value: 0.9}]
""", 15, ['"model-index[1].results[1].dataset.split" is the text \'None\'', "`split: test`"]),
]


@pytest.mark.parametrize(("code", "front_matter", "line", "words"), FAILING)
def test_rule_fires(code: str, front_matter: str, line: int, words: list[str]) -> None:
    findings = only(check(front_matter), code)
    assert len(findings) == 1, findings
    (finding,) = findings
    assert finding.severity == RULES[code].severity
    assert finding.line == line + 1  # the card's first line is the opening ---
    assert finding.path == "README.md"
    shown = finding.message + " | " + (finding.fix or "")
    for word in words:
        assert word in shown


VALID_MODEL_INDEX = """\
model-index:
- name: my-model
  results:
  - task: {type: text-classification, name: Text Classification}
    dataset: {type: stanfordnlp/imdb, name: IMDb, config: plain_text, split: test, args: plain_text}
    metrics:
    - {type: accuracy, value: 0.93, name: Accuracy, verified: false}
    - {type: f1, value: "0.91 ± 0.01"}
    source: {url: https://example.com/eval, name: Eval logs}
"""

PASSING = [
    ("CG101", "library_name: x\nlicense: apache-2.0\n"),
    ("CG101", "library_name: x\nlicense: [mit, cc-by-4.0]\n"),
    ("CG102", "library_name: x\nlicense: other\nlicense_name: my-licence\nlicense_link: LICENSE\n"),
    ("CG103", BASELINE + "language: [en, fr, zho, multilingual, code]\n"),
    ("CG104", "license: mit\nlibrary_name: open_clip\n"),
    ("CG105", BASELINE + "pipeline_tag: text-classification\n"),
    ("CG106", BASELINE + "pipeline_tag: text-generation\ntags: [conversational]\n"),
    ("CG107", BASELINE),
    ("CG107", "library_name: trl\nlicence: license\n"),  # CG112 says it instead
    ("CG108", BASELINE),
    ("CG109", BASELINE + "widget:\n- text: hi\n  example_title: Hello\ntags: autonlp\nthumbnail: null\n"),
    ("CG109", BASELINE + "co2_eq_emissions: {emissions: 12.5, source: code carbon, training_type: fine-tuning}\n"),
    ("CG109", BASELINE + "inference: false\nmetrics: accuracy\n"),
    ("CG109", BASELINE + "inference: {parameters: {temperature: 0.7}}\n"),
    ("CG109", BASELINE + "language: no\n"),  # YAML 1.1 reads false; the card reader reports CG010
    ("CG109", BASELINE + "eval_date: 2024-05-01\nmy_key: [1, 2]\n"),
    ("CG110", BASELINE + VALID_MODEL_INDEX),
    ("CG111", BASELINE + VALID_MODEL_INDEX),
    ("CG112", BASELINE + "my_key: 1\ntask_categories: [x]\nmodel_name: m\n"),
    ("CG113", BASELINE + "base_model: [meta-llama/Llama-3.1-8B, gpt2]\nbase_model_relation: merge\n"),
    ("CG113", BASELINE + "new_version: org/model-v2\n"),
    ("CG114", BASELINE + "datasets: [stanfordnlp/imdb, squad, mozilla-foundation/common_voice_8_0]\n"),
    ("CG115", BASELINE + "gated: true\nextra_gated_fields:\n  Name: text\n  Country: country\n"
                         "  Role: {type: select, options: [a, {label: B, value: b}]}\n  Agree: {type: checkbox}\n"),
    ("CG118", BASELINE + VALID_MODEL_INDEX),
    ("CG119", BASELINE + VALID_MODEL_INDEX),
    # A null split is CG110's, and lower-case text may be a split's real name.
    ("CG119", BASELINE + VALID_MODEL_INDEX.replace("split: test", "split: null")),
    ("CG119", BASELINE + VALID_MODEL_INDEX.replace("split: test", "split: none")),
]


@pytest.mark.parametrize(("code", "front_matter"), PASSING)
def test_rule_stays_quiet(code: str, front_matter: str) -> None:
    assert only(check(front_matter), code) == []


def test_a_clean_card_has_no_findings() -> None:
    front_matter = BASELINE + "language: [en]\npipeline_tag: text-classification\n" + VALID_MODEL_INDEX
    assert check(front_matter) == []


def test_no_metadata_no_findings() -> None:
    card = parse_card("# Just a body\n", "README.md")
    assert check_metadata(card) == []


def test_empty_metadata_is_left_to_the_card_reader() -> None:
    assert check("{}\n") == []


def test_top_level_null_is_only_a_warning() -> None:
    (finding,) = only(check(BASELINE + "language:\n"), "CG109")
    assert finding.severity == Severity.WARNING
    assert '"language" is empty' in finding.message


def test_several_errors_in_one_card_each_at_its_line() -> None:
    findings = check("license: MIT\nlibrary_name: transformers\ndatasets:\n- ok/one\n- /tmp/data\n")
    assert sorted((finding.code, finding.line) for finding in findings) == [("CG101", 2), ("CG114", 6)]


# -- organisation schema (CG117) -----------------------------------------------------------------

ORG_SCHEMA = {
    "type": "object",
    "required": ["owner"],
    "properties": {"owner": {"type": "string", "pattern": "^team-"}},
}


@pytest.mark.parametrize(
    ("front_matter", "count", "line"),
    [
        (BASELINE + "owner: team-nlp\n", 0, None),
        (BASELINE + "owner: bob\n", 1, 4),
        (BASELINE, 1, 2),
    ],
)
def test_organisation_schema(front_matter: str, count: int, line: int | None) -> None:
    findings = only(check(front_matter, org_schema=ORG_SCHEMA), "CG117")
    assert len(findings) == count
    if count:
        assert findings[0].line == line
        assert "organisation schema" in findings[0].message


def test_broken_organisation_schema_is_one_finding_not_a_traceback() -> None:
    (finding,) = only(check(BASELINE, org_schema={"type": 12}), "CG117")
    assert "not valid JSON Schema" in finding.message


# -- helpers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        (("model-index", 0, "results", 0, "dataset", "config"), "model-index[0].results[0].dataset.config"),
        (("datasets", 0), "datasets[0]"),
        (("extra_gated_fields", "Full name"), 'extra_gated_fields["Full name"]'),
        ((0, "dataset", "id"), "[0].dataset.id"),
    ],
)
def test_format_path(path: tuple, shown: str) -> None:
    assert format_path(path) == shown


@pytest.mark.parametrize(
    ("value", "choices", "expected"),
    [
        ("Apache-2.0", ["apache-2.0", "mit"], "apache-2.0"),
        ("MIT", ["apache-2.0", "mit"], "mit"),
        ("sentence_transformers", ["sentence-transformers", "open_clip"], "sentence-transformers"),
        ("open-clip", ["sentence-transformers", "open_clip"], "open_clip"),
        ("apache-2", ["apache-2.0", "mit"], "apache-2.0"),
        ("???", ["apache-2.0", "mit"], None),
        (3, ["apache-2.0"], None),
    ],
)
def test_suggest(value: object, choices: list[str], expected: str | None) -> None:
    assert suggest(value, choices) == expected


# -- robustness: any loaded YAML, no exception --------------------------------------------------


@dataclass
class StandInCard:
    path: str
    metadata: dict | None

    def locate(self, path: tuple, value: bool = True) -> tuple[int, int]:
        return (1, 1)


YAML_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=8),
                         st.dates(), st.sampled_from(["other", "Apache-2.0", "/x", "conversational", "select"]))
YAML_VALUES = st.recursive(
    YAML_SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(st.one_of(st.text(max_size=6), st.integers()), children, max_size=3)),
    max_leaves=10,
)
KEYS = st.one_of(st.sampled_from(sorted(hub_vocabulary().known_keys) + ["licence", "Datasets"]), st.text(max_size=6))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(KEYS, YAML_VALUES, max_size=5))
def test_any_metadata_gives_findings_not_exceptions(metadata: dict) -> None:
    findings = check_metadata(StandInCard("README.md", metadata))
    assert all(finding.code in RULES and finding.code.startswith("CG1") for finding in findings)
    assert all(finding.message for finding in findings)


def test_json_ready_writes_timestamps_as_iso_text_as_keys_and_values() -> None:
    metadata = {"a": [{"when": datetime.date(2020, 1, 2)}], datetime.date(2021, 3, 4): "x", "b": "y"}
    assert json_ready(metadata) == {"a": [{"when": "2020-01-02"}], "2021-03-04": "x", "b": "y"}
    assert metadata["a"][0]["when"] == datetime.date(2020, 1, 2)  # the card's value is left as it is


def test_json_ready_without_timestamps_returns_equal_metadata() -> None:
    metadata = {"a": [1, 2.5, True, None, {"b": ["c"]}], "d": "2020-01-02"}
    assert json_ready(metadata) == {"a": [1, 2.5, True, None, {"b": ["c"]}], "d": "2020-01-02"}
