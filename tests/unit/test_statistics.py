"""`--statistics`: the findings counted per rule (code, name, count, fixable), most frequent
first, in text and json, instead of the findings themselves (as ruff's --statistics)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cardguard.cli import main

# Two cards: CG101 (fixable) twice, CG113 once, CG107 (warning) once.
CARDS = {
    "a": "---\nlicense: Apache-2.0\nlibrary_name: transformers\nbase_model: ./local\n---\n# a\n",
    "b": "---\nlicense: MIT\nlibrary_name: transformers\n---\n# b\n",
    "c": "---\nlibrary_name: transformers\n---\n# c\n",
}


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.chdir(tmp_path)
    for name, text in CARDS.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "README.md").write_text(text, encoding="utf-8")
    return list(CARDS)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("command", ["validate", "check"])
def test_json_statistics(command: str, folders: list[str], capsys) -> None:
    code, out, _ = run([command, "--profile", "minimal", "--statistics", "--format", "json", *folders], capsys)
    assert json.loads(out) == [
        {"code": "CG101", "name": "invalid-license", "count": 2, "fixable": True},
        {"code": "CG107", "name": "missing-license", "count": 1, "fixable": False},
        {"code": "CG113", "name": "invalid-base-model", "count": 1, "fixable": False},
    ]
    assert code == 1  # the exit code still follows the findings


def test_text_statistics(folders: list[str], capsys) -> None:
    code, out, _ = run(["validate", "--profile", "minimal", "--statistics", *folders], capsys)
    assert out.splitlines() == [
        "2\tCG101\t[*] invalid-license",
        "1\tCG107\t    missing-license",
        "1\tCG113\t    invalid-base-model",
        "[*] fixable with --fix",
    ]
    assert code == 1


def test_statistics_after_fix_count_what_remains(folders: list[str], capsys) -> None:
    code, out, _ = run(["validate", "--profile", "minimal", "--statistics", "--fix", *folders], capsys)
    assert out.splitlines() == [
        "fixed: a/README.md:2 CG101 license 'Apache-2.0' -> 'apache-2.0'",
        "fixed: b/README.md:2 CG101 license 'MIT' -> 'mit'",
        "1\tCG107\t    missing-license",
        "1\tCG113\t    invalid-base-model",
    ]
    assert code == 1


def test_no_findings_no_statistics(folders: list[str], capsys) -> None:
    assert run(["validate", "--profile", "minimal", "--statistics", "--format", "json", "--fail-on", "never", "b"],
               capsys)[1].strip() != "[]"  # CG101 in b
    (Path("b") / "README.md").write_text("---\nlicense: mit\nlibrary_name: transformers\n---\n# b\n")
    code, out, _ = run(["validate", "--profile", "minimal", "--statistics", "--format", "json", "b"], capsys)
    assert (code, json.loads(out)) == (0, [])


@pytest.mark.parametrize("fmt", ["github", "sarif"])
def test_statistics_in_another_format_is_a_usage_error(fmt: str, folders: list[str], capsys) -> None:
    code, out, err = run(["validate", "--statistics", "--format", fmt, *folders], capsys)
    assert (code, out) == (2, "")
    assert err.strip() == f"cardguard: error: --statistics prints text or json, not --format {fmt}"
