"""`--fix`: the metadata fixes cardguard is certain of, applied with sync's comment-preserving
edits, listed as `fixed:` lines (or json's `fixed`); the exit code follows what remains."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cardguard.cli import main
from cardguard.codes import FIXABLE
from cardguard.rules.metadata import certain_id

BODY = "# tiny\n\nA card.\n"


def card(metadata: str) -> str:
    return f"---\n{metadata}---\n{BODY}"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    (tmp_path / "model").mkdir()
    return tmp_path / "model"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def fixed_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("fixed: ")]


# Trainer's model-index (transformers 5.24, a dataset without a configuration), ``{config}`` the
# line it writes for the dataset's configuration.
TRAINER_INDEX = """license: mit
library_name: transformers
model-index:
- name: tiny-bert-imdb
  results:
  - task:
      name: Text Classification
      type: text-classification
    dataset:
      name: imdb
      type: imdb
{config}{split}    metrics:
    - name: Accuracy
      type: accuracy
      value: 0.75
"""
SPLIT_NONE = "      split: None\n"
SPLIT_TEST = "      split: test\n"


# (metadata before, metadata after, the `fixed:` lines)
CERTAIN = [
    pytest.param("license: Apache-2.0\nlibrary_name: transformers\n", "license: apache-2.0\nlibrary_name: transformers\n",
                 ["fixed: model/README.md:2 CG101 license 'Apache-2.0' -> 'apache-2.0'"], id="licence-case"),
    pytest.param('license: "Apache License, Version 2.0"  # from the LICENSE file\nlibrary_name: transformers\n',
                 'license: "apache-2.0"  # from the LICENSE file\nlibrary_name: transformers\n',
                 ["fixed: model/README.md:2 CG101 license 'Apache License, Version 2.0' -> 'apache-2.0'"],
                 id="licence-alias-quoted-with-comment"),
    pytest.param("license: 'CC-BY-NC-4.0'\nlibrary_name: transformers\n", "license: 'cc-by-nc-4.0'\nlibrary_name: transformers\n",
                 ["fixed: model/README.md:2 CG101 license 'CC-BY-NC-4.0' -> 'cc-by-nc-4.0'"], id="licence-single-quoted"),
    pytest.param("licence: mit\nlibrary_name: transformers\n", "license: mit\nlibrary_name: transformers\n",
                 ["fixed: model/README.md:2 CG112 key 'licence' -> 'license'"], id="licence-key"),
    pytest.param("license: mit\nlibrary_name: transformers\npipeline-tag: text-classification\n",
                 "license: mit\nlibrary_name: transformers\npipeline_tag: text-classification\n",
                 ["fixed: model/README.md:4 CG112 key 'pipeline-tag' -> 'pipeline_tag'"], id="pipeline-tag-key"),
    pytest.param("license: mit\nlibrary_name: transformers\nmodel_index:\n- name: tiny\n  results: []  # none yet\n",
                 "license: mit\nlibrary_name: transformers\nmodel-index:\n- name: tiny\n  results: []  # none yet\n",
                 ["fixed: model/README.md:4 CG112 key 'model_index' -> 'model-index'"], id="model-index-key"),
    pytest.param("license: mit\nlibrary_name: transformers\npipeline_tag: text2text-generation\n",
                 "license: mit\nlibrary_name: transformers\npipeline_tag: text-generation\n",
                 ["fixed: model/README.md:4 CG106 pipeline_tag 'text2text-generation' -> 'text-generation'"],
                 id="removed-tag-successor"),
    pytest.param("# licence as TRL writes it\nLicence: Apache-2.0\nlibrary_name: transformers\n",
                 "# licence as TRL writes it\nlicense: apache-2.0\nlibrary_name: transformers\n",
                 ["fixed: model/README.md:3 CG112 key 'Licence' -> 'license'",
                  "fixed: model/README.md:3 CG101 license 'Apache-2.0' -> 'apache-2.0'"], id="key-then-its-value"),
    # What transformers' Trainer writes when the evaluation dataset has no configuration and no
    # split (built in memory): the Hub refuses the push for the null, and shows a split named None.
    pytest.param(TRAINER_INDEX.format(config="      config: null\n", split=SPLIT_NONE), TRAINER_INDEX.format(config="", split=""),
                 ["fixed: model/README.md:13 CG110 model-index[0].results[0].dataset.config (empty) removed",
                  # its line in the card as written, not after the line above it was removed
                  "fixed: model/README.md:14 CG119 model-index[0].results[0].dataset.split 'None' removed"],
                 id="trainer-null-config-and-none-split"),
    pytest.param(TRAINER_INDEX.format(config="      'config':   ~   # none\n", split=SPLIT_TEST),
                 TRAINER_INDEX.format(config="", split=SPLIT_TEST),
                 ["fixed: model/README.md:13 CG110 model-index[0].results[0].dataset.config (empty) removed"],
                 id="quoted-key-tilde-comment"),
    pytest.param(TRAINER_INDEX.format(config="", split="      'split': 'None'  # str(None)\n"),
                 TRAINER_INDEX.format(config="", split=""),
                 ["fixed: model/README.md:13 CG119 model-index[0].results[0].dataset.split 'None' removed"],
                 id="quoted-none-split-comment"),
]


@pytest.mark.parametrize(("before", "after", "lines"), CERTAIN)
def test_certain_fixes_are_applied_and_listed(before: str, after: str, lines: list[str], folder: Path, capsys) -> None:
    (folder / "README.md").write_text(card(before), encoding="utf-8")
    code, out, _ = run(["validate", "--profile", "minimal", "--fix", "model"], capsys)
    assert (folder / "README.md").read_text(encoding="utf-8") == card(after)
    assert fixed_lines(out) == lines  # in the order applied
    assert {line.split()[2] for line in lines} <= FIXABLE  # `cardguard rules` says these rules can fix
    assert code == 0, out  # nothing remains at or above error
    assert run(["validate", "--profile", "minimal", "model"], capsys)[0] == 0


# The same cards without --fix: reported, never written.
@pytest.mark.parametrize(("before", "after", "lines"), CERTAIN)
def test_without_fix_nothing_is_written(before: str, after: str, lines: list[str], folder: Path, capsys) -> None:
    (folder / "README.md").write_text(card(before), encoding="utf-8")
    _, out, _ = run(["validate", "--profile", "minimal", "model"], capsys)
    assert (folder / "README.md").read_text(encoding="utf-8") == card(before)
    assert fixed_lines(out) == []


UNCERTAIN = [
    pytest.param("licence: mit\nlicense: mit\nlibrary_name: transformers\n", "CG112", id="the-right-key-exists"),
    pytest.param("licence: mit\nLicense_: mit\nlibrary_name: transformers\n", "CG112", id="two-near-misses-of-one-key"),
    pytest.param("license: mit\nlibrary_name: transformers\npipeline_tag: conversational\n", "CG106",
                 id="removed-tag-with-two-successors"),
    pytest.param("license: apache2.0\nlibrary_name: transformers\n", "CG101", id="licence-only-a-close-spelling"),
    pytest.param("license: cc-by-nc\nlibrary_name: transformers\n", "CG101", id="licence-without-version"),
    pytest.param("license: >-\n  Apache-2.0\nlibrary_name: transformers\n", "CG101", id="block-scalar"),
    pytest.param("{license: Apache-2.0, library_name: transformers}\n", "CG101", id="flow-mapping"),
    pytest.param("license: Apache-2.0\nlibrary_name: transformers\n", "CG101", id="ignored-in-the-card"),
    # A rename that would add an error no certain fix removes: the Hub ignores the key now,
    # and would refuse the card after (TRL writes `licence: license`).
    pytest.param("licence: license\nlibrary_name: transformers\n", "CG112", id="rename-gives-an-invalid-licence"),
    pytest.param("license: mit\nlibrary_name: transformers\nmodel_index:\n- results: []\n", "CG112",
                 id="rename-exposes-an-invalid-model-index"),
    # An empty key the Hub requires: removing it adds an error no certain fix removes.
    pytest.param(TRAINER_INDEX.format(config="", split=SPLIT_TEST).replace("      name: imdb\n", "      name: null\n"), "CG110",
                 id="required-key-left-empty"),
    # The empty key opens a list item: removing its line would take the item's dash with it.
    pytest.param(TRAINER_INDEX.format(config="", split=SPLIT_TEST).replace("    - name: Accuracy\n      type: accuracy\n",
                                                         "    - config: null\n      name: Accuracy\n      type: accuracy\n"),
                 "CG110", id="empty-key-opens-a-list-item"),
    # The split written inside a flow mapping: its line holds the whole dataset.
    pytest.param(TRAINER_INDEX.format(config="", split="").replace(
        "    dataset:\n      name: imdb\n      type: imdb\n", "    dataset: {name: imdb, type: imdb, split: None}\n"),
        "CG119", id="none-split-in-a-flow-mapping"),
]


@pytest.mark.parametrize(("before", "code"), UNCERTAIN)
def test_uncertain_fixes_are_left_alone(before: str, code: str, folder: Path, capsys,
                                        request: pytest.FixtureRequest) -> None:
    text = card(before)
    if request.node.callspec.id == "ignored-in-the-card":
        text += f"<!-- cardguard: ignore {code} -->\n"
    (folder / "README.md").write_text(text, encoding="utf-8")
    _, out, _ = run(["validate", "--profile", "minimal", "--fix", "--fail-on", "never", "model"], capsys)
    assert (folder / "README.md").read_text(encoding="utf-8") == text
    assert fixed_lines(out) == []
    if request.node.callspec.id != "ignored-in-the-card":
        assert f" {code} " in out
    if "rename" in request.node.callspec.id:
        assert " CG110 " not in out and " CG101 " not in out  # the key stays ignored, and reported


def test_statistics_after_fix_do_not_offer_a_refused_fix(folder: Path, capsys) -> None:
    (folder / "README.md").write_text(card("license: mit\nlibrary_name: transformers\nmodel_index:\n- results: []\n"))
    assert run(["validate", "--profile", "minimal", "--statistics", "model"], capsys)[1].splitlines()[0] == (
        "1\tCG112\t[*] near-miss-key")
    out = run(["validate", "--profile", "minimal", "--statistics", "--fix", "model"], capsys)[1]
    assert out.splitlines() == ["1\tCG112\t    near-miss-key"]


def test_an_alias_of_two_ids_is_not_certain() -> None:
    assert certain_id("GPL 3", ["gpl-3.0", "gpl-3"]) is None
    assert certain_id("GPL 3", ["gpl-3.0", "mit"]) == "gpl-3.0"


def test_line_endings_bom_and_comments_stay(folder: Path, capsys) -> None:
    text = "\ufeff---\r\n# keep\r\nlicence: MIT  # why\r\nlibrary_name: transformers\r\n---\r\n# tiny\r\n"
    (folder / "README.md").write_bytes(text.encode("utf-8"))
    code, out, _ = run(["validate", "--profile", "minimal", "--fix", "model"], capsys)
    assert (folder / "README.md").read_bytes() == text.replace("licence: MIT", "license: mit").encode("utf-8")
    assert len(fixed_lines(out)) == 2
    assert code == 0


def test_exit_code_follows_the_findings_that_remain(folder: Path, capsys) -> None:
    (folder / "README.md").write_text(card("license: Apache-2.0\nlibrary_name: transformers\nbase_model: ./local\n"))
    code, out, _ = run(["validate", "--profile", "minimal", "--fix", "model"], capsys)
    assert fixed_lines(out) == ["fixed: model/README.md:2 CG101 license 'Apache-2.0' -> 'apache-2.0'"]
    assert " CG113 error" in out and " CG101 " not in out.replace("fixed: model/README.md:2 CG101", "")
    assert code == 1


def test_json_says_what_was_fixed(folder: Path, capsys) -> None:
    (folder / "README.md").write_text(card("licence: Apache-2.0\nlibrary_name: transformers\n"))
    code, out, _ = run(["validate", "--profile", "minimal", "--fix", "--format", "json", "model"], capsys)
    document = json.loads(out)
    assert code == 0
    assert [(item["code"], item["change"]) for item in document["fixed"]] == [
        ("CG112", {"action": "rename-key", "path": ["licence"], "old": "licence", "new": "license"}),
        ("CG101", {"action": "set-value", "path": ["license"], "old": "Apache-2.0", "new": "apache-2.0"}),
    ]  # in the order applied: the key, then its value
    assert document["findings"] == []


def test_json_without_fix_marks_fixable_findings(folder: Path, capsys) -> None:
    (folder / "README.md").write_text(card("license: Apache-2.0\nlibrary_name: transformers\nbase_model: ./local\n"))
    document = json.loads(run(["validate", "--profile", "minimal", "--format", "json", "model"], capsys)[1])
    assert {item["code"]: item["fixable"] for item in document["findings"]} == {"CG101": True, "CG113": False}
    assert "fixed" not in document


def test_one_bad_card_does_not_end_a_fixing_run(folder: Path, tmp_path: Path, capsys) -> None:
    (folder / "README.md").write_text("---\nlicense: [unclosed\n---\n# tiny\n")
    other = tmp_path / "other"
    other.mkdir()
    (other / "README.md").write_text(card("license: MIT\nlibrary_name: transformers\n"))
    code, out, err = run(["validate", "--profile", "minimal", "--fix", "model", "other"], capsys)
    assert fixed_lines(out) == ["fixed: other/README.md:2 CG101 license 'MIT' -> 'mit'"]
    assert " CG005 error" in out and "Traceback" not in err
    assert code == 1
    assert (folder / "README.md").read_text() == "---\nlicense: [unclosed\n---\n# tiny\n"


def test_check_fix_fixes_then_checks(folder: Path, capsys) -> None:
    (folder / "README.md").write_text(card("license: MIT\nlibrary_name: transformers\n"))
    (folder / "config.json").write_text("{}")
    code, out, _ = run(["check", "--profile", "minimal", "--fix", "model"], capsys)
    assert fixed_lines(out) == ["fixed: model/README.md:2 CG101 license 'MIT' -> 'mit'"]
    assert (folder / "README.md").read_text() == card("license: mit\nlibrary_name: transformers\n")
    assert code == 0, out


def test_fix_makes_a_real_trainer_card_acceptable(trainer_classifier_run, folder: Path, capsys) -> None:
    """The card transformers' Trainer writes (an evaluation dataset built in memory, without a
    configuration or a split): the Hub refuses its `config: null` and shows a split named None;
    --fix removes those two lines and nothing else."""
    import yaml

    original = (trainer_classifier_run.out / "README.md").read_text(encoding="utf-8")
    assert "      config: null\n      split: None\n" in original  # what Trainer wrote
    (folder / "README.md").write_text(original, encoding="utf-8")
    _, out, _ = run(["validate", "--fix", "--fail-on", "never", "model"], capsys)
    fixed = (folder / "README.md").read_text(encoding="utf-8")
    assert fixed == original.replace("      config: null\n      split: None\n", "", 1)
    assert [line.split()[2] for line in fixed_lines(out)] == ["CG110", "CG119"]
    rest = "\n".join(line for line in out.splitlines() if line not in fixed_lines(out))
    assert " CG110 " not in rest and " CG119 " not in rest
    dataset = yaml.safe_load(fixed.split("---\n")[1])["model-index"][0]["results"][0]["dataset"]
    assert dataset == {"name": "imdb", "type": "imdb"}
