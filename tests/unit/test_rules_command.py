"""`cardguard rules CODE` explains one rule (as `ruff rule F401`): name, severity, what it
checks, why, how to fix, an example; an unknown code is exit 2 with a did-you-mean. The
examples are checked against the rules themselves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cardguard.cli import main
from cardguard.codes import EXPLANATIONS, FIXABLE, RULES


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("code", sorted(RULES))
def test_every_rule_is_explained(code: str, capsys) -> None:
    rule = RULES[code]
    status, out, err = run(["rules", code], capsys)
    assert (status, err) == (0, "")
    assert out.startswith(f"{code} {rule.name}\n")
    assert f"severity:     {rule.severity}" in out
    assert f"What it checks: {rule.summary}" in out
    assert ("sometimes, with --fix" in out) == (code in FIXABLE)
    if code in EXPLANATIONS:
        assert f"Why: {EXPLANATIONS[code].why}" in out and f"How to fix: {EXPLANATIONS[code].fix}" in out


def test_cg101_explained_in_full(capsys) -> None:
    out = run(["rules", "CG101"], capsys)[1]
    assert "invalid-license" in out and "Hub rejects:  yes" in out
    assert "Example:\n    license: Apache-2.0\n  becomes\n    license: apache-2.0\n" in out


@pytest.mark.parametrize("spelling", ["cg101", " CG101", "invalid-license", "INVALID-LICENSE"])
def test_a_code_in_any_case_or_a_rule_name(spelling: str, capsys) -> None:
    assert run(["rules", spelling], capsys)[1] == run(["rules", "CG101"], capsys)[1]


@pytest.mark.parametrize(("asked", "line"), [
    ("CG1O1", "cardguard: error: no rule 'CG1O1'; did you mean CG101?"),
    ("CG120", "cardguard: error: no rule 'CG120'; did you mean CG119?"),
    ("invalid-licence", "cardguard: error: no rule 'invalid-licence'; did you mean invalid-license?"),
    ("F401", "cardguard: error: no rule 'F401'; `cardguard rules` lists them all"),
])
def test_unknown_rule_is_a_usage_error_with_a_suggestion(asked: str, line: str, capsys) -> None:
    assert run(["rules", asked], capsys) == (2, "", line + "\n")


def test_markdown_like_ruff_rule(capsys) -> None:
    out = run(["rules", "CG112", "--format", "markdown"], capsys)[1]
    assert out.startswith("# near-miss-key (CG112)\n")
    assert "## Why" in out and "## How to fix" in out and "```yaml\nlicence: mit\n" in out


def test_json_one_rule_and_all_rules(capsys) -> None:
    one = json.loads(run(["rules", "CG106", "--format", "json"], capsys)[1])
    assert [(item["code"], item["name"], item["severity"], item["fixable"]) for item in one] == [
        ("CG106", "removed-pipeline-tag", "warning", True)]
    assert one[0]["example"] == {"bad": "pipeline_tag: text2text-generation", "good": "pipeline_tag: text-generation"}
    every = json.loads(run(["rules", "--format", "json"], capsys)[1])
    assert [item["code"] for item in every] == sorted(RULES)


def test_the_list_is_unchanged_without_a_code(capsys) -> None:
    from cardguard.report.rules_doc import rules_markdown, rules_text

    assert run(["rules"], capsys)[1] == rules_text()
    assert run(["rules", "--format", "markdown"], capsys)[1] == rules_markdown()


# The examples of the metadata rules, run through validate: the bad one is reported, the
# good one is not; for a fixable rule, --fix turns the bad one into the good one.
EXAMPLES = sorted(code for code, item in EXPLANATIONS.items() if item.bad and code[2] in "01")


def _card(metadata_or_body: str) -> str:
    if metadata_or_body.startswith("#"):
        return metadata_or_body + "\n"
    return f"---\n{metadata_or_body}\n---\n# model\n\nA card.\n"


def _codes(capsys) -> list[str]:
    main(["validate", "--profile", "minimal", "--format", "json", "--fail-on", "never", "README.md"])
    return [item["code"] for item in json.loads(capsys.readouterr().out)["findings"]]


@pytest.mark.parametrize("code", EXAMPLES)
def test_examples_are_true(code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    example = EXPLANATIONS[code]
    (tmp_path / "README.md").write_text(_card(example.bad), encoding="utf-8")
    assert code in _codes(capsys)
    if code in FIXABLE:
        main(["validate", "--profile", "minimal", "--fix", "--fail-on", "never", "README.md"])
        capsys.readouterr()
        assert (tmp_path / "README.md").read_text(encoding="utf-8") == _card(example.good)
    (tmp_path / "README.md").write_text(_card(example.good), encoding="utf-8")
    assert code not in _codes(capsys)


def test_every_fixable_rule_has_an_example_that_fix_applies() -> None:
    assert FIXABLE <= set(EXAMPLES)
