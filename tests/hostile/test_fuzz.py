"""Issue 6.1: fuzzing the parsers that read attacker-controlled bytes, and sync.

Properties: nothing raises (every reader reports problems as findings), every finding carries
a known rule code and a line inside the file, and sync never changes text outside its regions.

Budget: CI runs a few hundred examples per test (well under a minute together); set
``CARDGUARD_FUZZ=long`` for the long run documented in docs/security.md. Inputs the fuzzer
found failing are kept below as ``@example``s.
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cardguard import codes
from cardguard.artifacts import read_facts
from cardguard.artifacts.format import facts_to_dict, format_facts_text
from cardguard.card.reader import parse_card, parse_card_bytes
from cardguard.findings import Finding
from cardguard.lines import line_count
from cardguard.card.markdown import parse_body
from cardguard.card.regions import scan_regions
from cardguard.rules.metadata import check_metadata
from cardguard.rules.sections import check_sections
from cardguard.expect.expected import ExpectOptions
from cardguard.lines import to_lf
from cardguard.card.yamlpos import parse_yaml
from tests.hostile.helpers import pickle_opcodes, torch_zip
from tests.sync.helpers import classifier_facts, plan_card

LONG = os.environ.get("CARDGUARD_FUZZ") == "long"
FUZZ = settings(max_examples=20_000 if LONG else 150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
FUZZ_FILES = settings(FUZZ, max_examples=5_000 if LONG else 60)  # each example writes files

# -- odd values (issue 11, item 12) ----------------------------------------------------------------
# Hypothesis' text() never produces surrogates and its integers stay small: these do.

lone_surrogates = st.integers(0xD800, 0xDFFF).map(chr)
odd_text = st.one_of(
    st.text(max_size=8),
    st.tuples(st.text(max_size=4), lone_surrogates, st.text(max_size=4)).map("".join),
)
# Past float's range (~309 digits), near and under Python's 4,300-digit int<->str bound (which
# json.dumps and str() obey; a pickle's binary LONG4 does not, see huge_pickled_ints).
huge_ints = st.one_of(
    st.sampled_from([2**128, 2**128 + 1, -(2**128) - 1, 2**1024, 10**309, 10**4299]),
    st.integers(310, 4299).map(lambda digits: 10**digits - 1),
).flatmap(lambda number: st.sampled_from([number, -number]))
huge_pickled_ints = st.integers(4301, 6000).map(lambda digits: 10**digits)
ODD_NUMERIC_STRINGS = ["\u00b2", "--1", "-", "", "\u0663", " 1", "1_0", "0x1f", "+1", "-0", "1.0", "1e400", "inf", "-inf",
                       "nan", "NaN", "Infinity", "1" + "0" * 5000, "\ud800"]
odd_numeric_strings = st.sampled_from(ODD_NUMERIC_STRINGS)
odd_floats = st.sampled_from([float("inf"), float("-inf"), float("nan"), 1e308, -0.0, 5e-324])
# Number texts only written by hand into JSON: json.dumps cannot make the first two.
ODD_JSON_NUMBERS = ["1" + "0" * 5000, "-" + "9" * 4400, "1" + "0" * 400, "1e400", "-1e400", "NaN", "Infinity",
                    "-Infinity", "1e-400", "-0", "0.0000000000000000000000000000000000001"]
DATE_KEYS = ["2020-01-01", "2021-12-31 10:00:00", "2020-01-01t10:00:00.5z", "2001-12-14 21:59:43.10 -5"]
ODD_YAML_LINES = [
    *(f"{date}: x" for date in DATE_KEYS), "base_model: {2020-01-01: 1}", "pipeline_tag: {2020-01-01: a}",
    "model-index: [{2020-01-01: 1, name: m, results: [{2020-01-01: 1}]}]", "co2_eq_emissions: {2020-01-01: 1}",
    "? 2020-01-01\n: x", "  2020-01-01: x", "- {2020-01-01: 1}", "license: 0x" + "f" * 5000, "license: 0x" + "f" * 99,
    "tags: [0x" + "f" * 300 + "]", "value: " + "9" * 5000, "value: " + "9" * 400, "value: 0b" + "1" * 200,
    "value: 0o" + "7" * 150, "value: 1:20:30", "value: 190:20:30.15", "value: .inf", "value: -.inf", "value: .nan",
    "value: 1.0e+999", "    metrics: [{type: accuracy, value: 1.0e+999}]", "    metrics: [{type: accuracy, value: .nan}]",
    "    metrics: [{type: accuracy, value: " + "9" * 99 + "}]", "co2_eq_emissions: {emissions: .inf}",
    "co2_eq_emissions: " + "9" * 99,
]

# -- card-shaped text ------------------------------------------------------------------------------

CARD_LINES = [
    "---", "--- ", "...", "license: mit", "license: [", "license: 'unterminated", "tags:", "  - a", "- b",
    "a: &x [1, 2]", "b: *x", "<<: *x", "c: *nope", "key: !!python/object/apply:os.system ['id']", "k: !!binary AAA=",
    "base_model: ../local", "model-index:", "- name: m", "  results:", "  - task: {type: text-classification}",
    "    metrics: [{type: accuracy, value: 0.5}]", "language: no", "version: 3.10", "\tindent: tab", "? complex",
    ": value", "{a: [b, {c: d}]}", "# Title", "## Model Details", "### Labels", "Title", "===", "-----", "```",
    "~~~", "````python", "    code", "<!--", "-->", "<!-- x -->", "<!-- cardguard: ignore CG201 -->",
    "<!-- cardguard: ignore CG999 nonsense -->", "<!-- cardguard: bogus -->", "<!-- cardguard:begin labels -->",
    "<!-- cardguard:end labels -->", "<!-- cardguard:begin nope -->", "<!-- cardguard:begin -->",
    "<!-- cardguard:end training-results -->", "<!-- cardguard:begin training-results -->", "text <!-- cardguard:begin labels -->",
    "[More Information Needed]", "{{ name }}", "{% if x %}", "| a | b |", "|---|---|", "", " ", "\ufeff", "\x00", "\u2028",
    "é", "\U0001f600",
    # near misses of the '---' delimiters (CG013) and YAML only libyaml accepts (CG014)
    "----", "--", "---hello", "--- license: mit", "  ---", "\u2014\u2014\u2014", "license:\tmit", "tags: [what?]",
    "d: |#", "a: b\t",
]
line_soup = st.lists(st.one_of(st.sampled_from(CARD_LINES), st.sampled_from(ODD_YAML_LINES), st.text(max_size=12)),
                     max_size=40)
newlines = st.sampled_from(["\n", "\r\n", "\r"])


@st.composite
def card_texts(draw: st.DrawFn) -> str:
    lines, newline = draw(line_soup), draw(newlines)
    text = newline.join(lines) + draw(st.sampled_from(["", newline]))
    return ("\ufeff" if draw(st.booleans()) else "") + text


any_card_text = st.one_of(card_texts(), st.text(max_size=300))


def _file_lines(text: str) -> int:
    return max(1, line_count(text.removeprefix("\ufeff")))  # the one line model


def assert_findings_well_formed(findings: list[Finding], text: str) -> None:
    last = _file_lines(text)
    for item in findings:
        assert item.code in codes.RULES, item
        assert 1 <= item.line <= last, (item, last)
        assert item.column >= 1, item


@FUZZ
@given(any_card_text)
@example("---\n---\n")
@example("\ufeff---\r\nlicense: mit\r\n---")
@example("---\na: &a [1]\nb: [*a, *a, *a]\n<<: *a\n---\n")
@example("---\nbase_model: {2020-01-01: 1}\n2020-01-01: x\n---\n")  # a date as a key, shown in a message
@example("---\nlicense: 0x" + "f" * 5000 + "\n---\n")  # converts, but str() of it raises
def test_card_parser_and_rules_never_raise(text: str) -> None:
    card = parse_card(text, "README.md")
    findings = list(card.findings)
    if card.text or card.front_matter is not None:
        findings += check_metadata(card) + check_sections(card, "hub")
    assert_findings_well_formed(findings, text)


@FUZZ
@given(st.binary(max_size=400) | card_texts().map(lambda t: t.encode("utf-8", "surrogatepass"))
       | card_texts().map(lambda t: t.encode("utf-16", "surrogatepass"))
       | st.lists(odd_text, max_size=6).map(lambda parts: "\n".join(["---", *parts, "---", *parts]).encode("utf-8", "surrogatepass")))
@example(b"\xed\xa0\x80")  # an encoded surrogate: not UTF-8
@example(b"\xff\xfe-\x00-\x00-\x00")
def test_card_bytes_never_raise(raw: bytes) -> None:
    card = parse_card_bytes(raw, "README.md")
    assert_findings_well_formed(card.findings, raw.decode("utf-8", "replace"))


@FUZZ
@given(st.lists(st.sampled_from(CARD_LINES[:27] + ODD_YAML_LINES) | st.text(max_size=10), max_size=30).map("\n".join),
       st.integers(0, 50))
@example("---", 0)  # an empty document's null is marked on the next line: in a card, the closing '---'
def test_yaml_position_map_stays_inside_the_text(text: str, offset: int) -> None:
    doc = parse_yaml(text, "README.md", line_offset=offset)
    last = offset + _file_lines(text) + 1  # the line after the block: the card's closing '---'
    for item in doc.findings:
        assert item.code in codes.RULES and offset + 1 <= item.line <= last, (item, last)
    for line, column in list(doc.key_spans.values()) + list(doc.value_spans.values()):
        assert offset + 1 <= line <= last and column >= 1


@FUZZ
@given(card_texts(), st.integers(1, 30))
def test_heading_and_marker_parsers(text: str, first_line: int) -> None:
    text = text.removeprefix("\ufeff")
    body = parse_body(text, first_line)
    last_line = first_line + len(body.lines) - 1
    for heading in body.headings:
        assert first_line <= heading.line <= max(first_line, last_line)
    for section in body.sections:
        assert section.heading.line < section.first_line or section.first_line > last_line
        _ = section.text, section.own_text
    scan = scan_regions(text, "README.md")
    assert_findings_well_formed(scan.findings, text)
    for region in scan.regions:
        assert region.begin_line < region.end_line
        assert region.content_start <= region.content_end <= len(text)


# -- sync ----------------------------------------------------------------------------------------

FACTS = classifier_facts()


def _outside_regions(text: str) -> list[str]:
    pieces, position = [], 0
    for region in scan_regions(text, "README.md").regions:
        pieces.append(text[position:region.content_start])
        position = region.content_end
    return pieces + [text[position:]]


@FUZZ
@given(card_texts())
@example("<!-- cardguard:begin labels -->\n<!-- cardguard:end labels -->")
@example("```\n<!-- cardguard:begin labels -->\n```\n<!-- cardguard:begin labels -->\nx\r<!-- cardguard:end labels -->\r")
def test_sync_never_changes_text_outside_its_regions(text: str) -> None:
    card = parse_card(text, "README.md")
    plan = plan_card(card, FACTS, ExpectOptions(managed_keys=()))
    assert_findings_well_formed(plan.findings, text)
    plan.new_bytes()  # always encodable
    if plan.blocked:
        assert plan.new_text == card.text
    else:
        assert _outside_regions(plan.new_text) == _outside_regions(card.text)


# What Trainer (and cardguard) write under their headings, and what an author writes around them:
# prose, images, and lines that open fences, comments, quotes and HTML blocks (issue 11, item 5).
LIBRARY_BLOCKS = [
    ["### Training hyperparameters", "", "The following hyperparameters were used during training:",
     "- learning_rate: 0.001", "- seed: 42"],
    ["### Training results", "", "| Training Loss | Epoch | Step | Validation Loss | Accuracy |",
     "|:-------------:|:-----:|:----:|:---------------:|:--------:|", "| No log        | 1.0   | 6    | 0.5             | 0.75     |"],
    ["### Labels", "", "| ID | Label |", "|---:|:------|", "| 0 | old |"],
    ["### Framework versions", "", "- Transformers 5.0.0", "- Pytorch 2.0"],
    ["It achieves the following results on the evaluation set:", "- Loss: 0.5", "- Accuracy: 0.7"],
    ["### Labels"], ["### Training results"], ["- seed: 1"], ["| 2 | extra |"], [""],
]
AUTHOR_LINES = [
    "Prose {n} about the run.", "![plot {n}](plot{n}.png)", "```text{n}", "~~~~ {n}", "<!-- note {n}",
    "note {n} -->", "> quoted {n}", "<details{n}>", "    indented {n}", "- my bullet {n}: yes", "| mine {n} | x |",
    "Title {n}", "=== {n}", "<pre{n}>", "</pre> {n}", "# Heading {n}", "\t<!-- cardguard:begin labels --> {n}",
]


@st.composite
def mixed_cards(draw: st.DrawFn) -> tuple[str, set[str]]:
    """A card of library blocks with author lines between them; the author's lines are unique."""
    lines, author = ["---", "license: mit", "---"], set()
    for number, item in enumerate(draw(st.lists(st.sampled_from(LIBRARY_BLOCKS) | st.sampled_from(AUTHOR_LINES),
                                                max_size=30))):
        if isinstance(item, list):
            lines.extend(item)
        else:
            lines.append(item.format(n=f"a{number}"))
            author.add(lines[-1])
    newline = draw(newlines)
    return newline.join(lines) + draw(st.sampled_from(["", newline])), author


def _author_lines_outside_regions(text: str, author: set[str]) -> list[str]:
    return [line for line in to_lf("".join(_outside_regions(text))).split("\n") if line in author]


@FUZZ
@given(mixed_cards())
@example(("---\nlicense: mit\n---\n### Labels\nProse a0.\n| ID | Label |\n|---:|:------|\n| 0 | old |\n", {"Prose a0."}))
@example(("---\nlicense: mit\n---\nProse a0.", {"Prose a0."}))  # appended after a last line without a break
@example(("---\rlicense: mit\r---", set()))  # refused: the Hub's front matter does not close on "---\r" + text
@example(("---\nlicense: mit\n---\n```texta0", {"```texta0"}))  # the region would land in the author's code block
# An HTML block holding an unclosed "<!--": CommonMark keeps the lines after the block live, the
# section reader takes the comment to the end; a marker there would end it on the next read.
@example(("---\nlicense: mit\n---\n<prea0>\n<!-- note a1\n### Training hyperparameters\n\n"
          "The following hyperparameters were used during training:\n- learning_rate: 0.001\n- seed: 42\n"
          "It achieves the following results on the evaluation set:\n- Loss: 0.5\n- Accuracy: 0.7\n"
          "### Training results\n\n| Training Loss | Epoch | Step | Validation Loss | Accuracy |\n"
          "|:-------------:|:-----:|:----:|:---------------:|:--------:|\n"
          "| No log        | 1.0   | 6    | 0.5             | 0.75     |", {"<!-- note a1", "<prea0>"}))
def test_add_missing_keeps_author_lines_around_library_sections(case: tuple[str, set[str]]) -> None:
    text, author = case
    card = parse_card(text, "README.md")
    plan = plan_card(card, FACTS, ExpectOptions(managed_keys=(), add_missing=True, required_regions=("labels",)))
    assert_findings_well_formed(plan.findings, text)
    if "CG418" in {item.code for item in plan.findings}:  # e.g. appending inside the author's open fence
        assert plan.new_text == card.text
    assert _author_lines_outside_regions(plan.new_text, author) == _author_lines_outside_regions(card.text, author)
    again = plan_card(parse_card(plan.new_text, "README.md"), FACTS, ExpectOptions(managed_keys=(), add_missing=True))
    assert again.new_text == plan.new_text or plan.blocked  # adopted once, then stable


# -- artifacts -------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
    | huge_ints | odd_floats | odd_text | odd_numeric_strings,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=6) | odd_numeric_strings | odd_text, children, max_size=4),
    max_leaves=30,
)
KNOWN_KEYS = ["model_type", "architectures", "id2label", "label2id", "hidden_size", "num_hidden_layers", "text_config",
              "quantization_config", "torch_dtype", "dtype", "_name_or_path", "log_history", "global_step", "epoch",
              "best_metric", "eval_accuracy", "base_model_name_or_path", "peft_type", "r", "lora_alpha",
              "target_modules", "task_type", "model_max_length", "chat_template", "weight_map", "metadata",
              "total_size", "__version__", "prompts", "similarity_fn_name", "idx", "name", "path", "type"]
shaped_objects = st.dictionaries(st.sampled_from(KNOWN_KEYS), json_values, max_size=8)
JSON_ARTIFACTS = ["config.json", "generation_config.json", "tokenizer_config.json", "trainer_state.json",
                  "all_results.json", "eval_results.json", "adapter_config.json", "modules.json",
                  "config_sentence_transformers.json", "chat_template.json", "model.safetensors.index.json",
                  "pytorch_model.bin.index.json", "sentence_bert_config.json"]


def _read_and_render(folder: Path) -> None:
    facts = read_facts(folder)
    for item in facts.findings:
        assert item.code in codes.RULES and item.line >= 1, item
        item.message.encode("utf-8")
    json.dumps(facts_to_dict(facts), ensure_ascii=False).encode("utf-8")  # facts hold no lone surrogate
    format_facts_text(facts).encode("utf-8")


@st.composite
def json_texts_with_odd_numbers(draw: st.DrawFn) -> str:
    """A shaped object, with number texts json.dumps cannot write put in by hand, at the top
    and in a log_history row."""
    shaped = draw(shaped_objects)
    shaped.pop("log_history", None)
    odd = draw(st.dictionaries(st.sampled_from(KNOWN_KEYS), st.sampled_from(ODD_JSON_NUMBERS), min_size=1, max_size=3))
    row = draw(st.sampled_from(ODD_JSON_NUMBERS))
    members = [json.dumps(shaped)[1:-1], *(f"{json.dumps(key)}: {number}" for key, number in odd.items()),
               f'"log_history": [{{"eval_loss": {row}, "loss": {row}, "epoch": {row}, "step": {row}}}]']
    return "{" + ", ".join(member for member in members if member) + "}"


@FUZZ_FILES
@given(st.sampled_from(JSON_ARTIFACTS), shaped_objects | json_values | st.lists(shaped_objects, max_size=3))
@example("modules.json", [{"idx": 0, "name": "0", "path": "../..", "type": "x"}])
@example("config.json", {"text_config": {"text_config": {"id2label": {"0": []}}}})
@example("model.safetensors.index.json", {"weight_map": {"a": "/"}})
@example("config.json", {"id2label": {"\u00b2": "a", "--1": "b", "\ud800": "\udfff"}})
@example("trainer_state.json", {"epoch": 10**400, "best_metric": float("inf"), "log_history": [{"loss": 10**400}]})
def test_every_json_reader(name: str, value: object) -> None:
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / name).write_text(json.dumps(value), encoding="utf-8")
        _read_and_render(Path(folder))


@FUZZ_FILES
@given(st.sampled_from(JSON_ARTIFACTS), json_texts_with_odd_numbers())
def test_every_json_reader_with_odd_number_texts(name: str, text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / name).write_text(text, encoding="utf-8")
        _read_and_render(Path(folder))


DTYPES = ["F32", "F16", "BF16", "I64", "U8", "BOOL", "F8_E4M3", "F33", 7, None]
entries = st.fixed_dictionaries({
    "dtype": st.sampled_from(DTYPES),
    "shape": st.lists(st.integers(-2, 2**40), max_size=4) | json_values,
    "data_offsets": st.lists(st.integers(-2, 2**40), min_size=0, max_size=3) | json_values,
})
headers = st.dictionaries(st.text(max_size=6), entries | json_values, max_size=5)


@FUZZ_FILES
@given(headers | json_values, st.integers(-8, 8), st.integers(0, 64), st.binary(max_size=64))
@example({"a": {"dtype": "F32", "shape": [2**40, 2**40], "data_offsets": [0, 2**82]}}, 0, 0, b"")
def test_safetensors_header_parser(header: object, length_error: int, data_size: int, prefix: bytes) -> None:
    raw = json.dumps(header).encode()
    declared = max(0, len(raw) + length_error)
    with tempfile.TemporaryDirectory() as folder:
        with open(Path(folder) / "model.safetensors", "wb") as handle:
            handle.write(struct.pack("<Q", declared) + raw)
            handle.truncate(8 + len(raw) + data_size)
        (Path(folder) / "other.safetensors").write_bytes(prefix)
        _read_and_render(Path(folder))


EMISSIONS_COLUMNS = ["emissions", "duration", "energy_consumed", "gpu_count", "cpu_model", "on_cloud", "country_name"]
csv_cells = odd_numeric_strings | odd_text.map(lambda text: text.replace(",", "").replace("\n", "").replace("\r", "")) \
    | st.floats().map(repr) | huge_ints.map(str)


@FUZZ_FILES
@given(st.lists(st.lists(csv_cells, min_size=len(EMISSIONS_COLUMNS), max_size=len(EMISSIONS_COLUMNS)), max_size=3))
@example([["inf", "inf", "-inf", "inf", "", "Y", ""]])
def test_emissions_csv(rows: list[list[str]]) -> None:
    lines = [",".join(EMISSIONS_COLUMNS), *(",".join(row) for row in rows)]
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "emissions.csv").write_text("\n".join(lines), encoding="utf-8", errors="surrogatepass")
        _read_and_render(Path(folder))


# -- pickles ---------------------------------------------------------------------------------------



TRAINING_ARGS_FIELDS = ["learning_rate", "per_device_train_batch_size", "per_device_eval_batch_size", "seed", "optim",
                        "adam_beta1", "lr_scheduler_type", "warmup_steps", "num_train_epochs", "max_steps",
                        "gradient_accumulation_steps", "fp16", "hub_token", "_n_gpu", "output_dir"]
pickle_leaves = st.none() | st.booleans() | st.integers() | huge_ints | huge_pickled_ints | odd_floats | odd_text \
    | odd_numeric_strings | st.binary(max_size=4)
pickle_values = st.recursive(pickle_leaves, lambda children: st.lists(children, max_size=3)
                             | st.tuples(children, children) | st.dictionaries(pickle_leaves, children, max_size=3),
                             max_leaves=12)
training_states = st.dictionaries(st.sampled_from(TRAINING_ARGS_FIELDS) | pickle_leaves, pickle_values, max_size=8)
tensor_dims = st.integers(0, 2**20) | st.integers(-2, 2**64) | huge_pickled_ints
tensor_parts = st.tuples(
    st.one_of(tensor_dims, pickle_values),                                 # storage offset
    st.one_of(st.lists(tensor_dims, max_size=3).map(tuple), pickle_values),  # size
    st.one_of(st.lists(tensor_dims, max_size=3).map(tuple), pickle_values),  # stride
    st.none() | st.dictionaries(st.sampled_from(["shape", "offset", "storage", "__dict__", "items"]), pickle_values,
                                max_size=2),                             # BUILD state set on the tensor
)
_STORAGE = (b"(X\x07\x00\x00\x00storagectorch\nFloatStorage\n" + b"X\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x04tQ")


def _tensor_opcodes(offset: object, size: object, stride: object, build: dict | None) -> bytes:
    tensor = (b"ctorch._utils\n_rebuild_tensor_v2\n(" + _STORAGE + pickle_opcodes(offset) + pickle_opcodes(size) + pickle_opcodes(stride)
              + b"\x89)tR")
    return tensor + (pickle_opcodes(build) + b"b" if build is not None else b"")


@FUZZ_FILES
@given(training_states, st.dictionaries(pickle_leaves, tensor_parts, max_size=3),
       st.none() | st.dictionaries(st.sampled_from(["items", "keys", "_metadata", "get"]) | odd_text, pickle_values,
                                   max_size=2))
@example({"learning_rate": 10**5000, "optim": "\ud800"}, {"w": (0, (10**5000,), (1,), None)}, {"items": 1})
@example({}, {"w": (0, (2, 2), (2, 1), {"shape": "x"})}, None)
@example({"\ud800": 2**128 + 1}, {}, None)  # found by the long run: the field's name in the finding
def test_pickled_training_args_and_state_dicts(state: dict, tensors: dict, dict_build: dict | None) -> None:
    training_args = b"\x80\x02ctransformers.training_args\nTrainingArguments\n)\x81" + pickle_opcodes(state) + b"b."
    state_dict = b"\x80\x02ccollections\nOrderedDict\n)R"
    for name, parts in tensors.items():
        state_dict += pickle_opcodes(name) + _tensor_opcodes(*parts) + b"s"
    state_dict += (pickle_opcodes(dict_build) + b"b" if dict_build is not None else b"") + b"."
    with tempfile.TemporaryDirectory() as folder:
        torch_zip(Path(folder) / "training_args.bin", training_args)
        torch_zip(Path(folder) / "pytorch_model.bin", state_dict)
        _read_and_render(Path(folder))
