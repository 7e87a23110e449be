"""CG116: `.eval_results/*.yaml` files against the Hub's evaluation-results format."""

from __future__ import annotations

import textwrap

import pytest

from cardguard.findings import Finding
from cardguard.rules.eval_results import check_eval_results
from cardguard.card.yamlpos import parse_yaml

PATH = ".eval_results/gpqa.yaml"


def check(text: str) -> list[Finding]:
    doc = parse_yaml(textwrap.dedent(text).lstrip("\n"), PATH)
    assert doc.ok, doc.findings
    return check_eval_results(doc.value, PATH, doc.locate)


VALID = [
    """
    - dataset:
        id: Idavidrein/gpqa
        task_id: gpqa_diamond
      value: 0.412
    """,
    """
    - dataset: {id: cais/hle, task_id: default, revision: 5503434ddd753f426f4b38109466949a1217c2bb}
      value: 20.90
      verifyToken: eyJhbGciOi
      date: 2025-01-15T10:30:00Z
      source: {url: https://huggingface.co/datasets/cais/hle, name: CAIS HLE, user: someone, org: cais}
      notes: no-tools
    - dataset: {id: SWE-bench/SWE-bench_Verified, task_id: swe_bench_%_resolved}
      value: "75.8"
    """,
    "[]\n",
]


@pytest.mark.parametrize("text", VALID)
def test_valid_files_pass(text: str) -> None:
    assert check(text) == []


# (file text, line, words the message or fix must contain)
INVALID = [
    ("dataset: {id: a/b, task_id: t}\nvalue: 1\n", 1, ['the file must be an array', "`- `"]),
    ("- dataset: {id: a/b}\n  value: 1\n", 1, ['"[0].dataset" is missing "task_id"', "add `task_id:"]),
    ("- dataset: {id: a/b, task: t}\n  value: 1\n", 1, ['found "task": rename it to "task_id"']),
    ("- dataset: {id: a/b, task_id: t}\n", 1, ['"[0]" is missing "value"']),
    ("- value: 1\n", 1, ['"[0]" is missing "dataset"']),
    ("- dataset: {id: /data/gpqa, task_id: t}\n  value: 1\n", 1, ['"[0].dataset.id"', "not a Hub dataset id", "local path"]),
    ("- dataset: {id: a/b, task_id: t}\n  value: [1, 2]\n", 2, ['"[0].value" must be a number or a string, not a list']),
    ("- dataset: {id: a/b, task_id: t}\n  value: 1\n  source: {name: logs}\n", 3, ['"[0].source" is missing "url"']),
    ("- dataset: {id: a/b, task_id: ''}\n  value: 1\n", 1, ['"[0].dataset.task_id" must not be empty']),
]


@pytest.mark.parametrize(("text", "line", "words"), INVALID)
def test_invalid_files_fail_at_their_line(text: str, line: int, words: list[str]) -> None:
    findings = check(text)
    assert len(findings) == 1, findings
    (finding,) = findings
    assert (finding.code, finding.path, finding.line) == ("CG116", PATH, line)
    shown = finding.message + " | " + (finding.fix or "")
    for word in words:
        assert word in shown


def test_an_empty_file_is_one_finding() -> None:
    (finding,) = check_eval_results(None, PATH, lambda path, value=True: (1, 1))
    assert finding.code == "CG116"
    assert "empty" in finding.message


def test_every_card_of_a_folder_reports_its_eval_results_files(tmp_path, monkeypatch) -> None:
    """The folder's .eval_results is listed once per run, and still checked for each card in it."""
    import cardguard

    (tmp_path / ".git").mkdir()
    (tmp_path / ".eval_results").mkdir()
    (tmp_path / ".eval_results" / "bad.yaml").write_text("- not: [a, mapping\n", encoding="utf-8")
    card = "---\nlicense: mit\nlibrary_name: transformers\n---\n# Model\n\nText.\n"
    for name in ("README.md", "OTHER.md"):
        (tmp_path / name).write_text(card, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    report = cardguard.validate(["README.md", "OTHER.md"], profile="minimal", timeout=None)
    eval_paths = [{f.path for f in card.findings if ".eval_results" in f.path} for card in report.cards]
    assert eval_paths == [{".eval_results/bad.yaml"}, {".eval_results/bad.yaml"}]
