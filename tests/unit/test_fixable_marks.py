"""Text output marks what a command can fix, as ruff marks what ``--fix`` fixes: ``[*]`` before
the message, and a last line saying how many and with what. The marks are true: running the
named command leaves none of the marked findings, and the unmarked ones stay."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cardguard.cli import main
from cardguard.codes import finding
from cardguard.findings import Autofix
from cardguard.report.formats import fixable_line, format_text

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tiny-bert-classifier"
FIXABLE_BY_FIX = "---\nlicense: Apache-2.0\nlibrary_name: transformers\nbase_model: ./local\n---\n# a\n"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    main(argv)
    return capsys.readouterr().out


def marked_codes(out: str) -> set[str]:
    """The codes of the finding lines that carry the mark."""
    return {line.split()[1] for line in out.splitlines() if ": [*] " in line}


def finding_codes(out: str) -> set[str]:
    return {line.split()[1] for line in out.splitlines() if line.startswith("README.md:")}


def fixable_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("[*] ")]


def test_validate_marks_what_fix_fixes_and_fix_leaves_no_mark(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    Path("README.md").write_text(FIXABLE_BY_FIX, encoding="utf-8")
    out = run(["validate", "--profile", "minimal", "--fail-on", "never", "README.md"], capsys)
    assert marked_codes(out) == {"CG101"}
    assert "CG113" in finding_codes(out)  # a local base_model: no certain fix, no mark
    assert out.splitlines()[-1] == "[*] 1 fixable with `cardguard validate --fix`"

    run(["validate", "--profile", "minimal", "--fix", "--fail-on", "never", "README.md"], capsys)
    out = run(["validate", "--profile", "minimal", "--fail-on", "never", "README.md"], capsys)
    assert "CG101" not in finding_codes(out) and "CG113" in finding_codes(out)
    assert "[*]" not in out


def test_no_line_when_nothing_is_fixable(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    Path("README.md").write_text("---\nlicense: mit\nbase_model: ./local\n---\n# a\n", encoding="utf-8")
    out = run(["validate", "--profile", "minimal", "--fail-on", "never", "README.md"], capsys)
    assert "CG113" in finding_codes(out)
    assert "[*]" not in out


def _drifted_example(folder: Path) -> None:
    """The example card with a managed key, a model-index value and a region edited away from the
    checkpoint, and a parameter count stated in prose (which no command rewrites)."""
    shutil.copytree(EXAMPLE, folder)
    card = folder / "README.md"
    text = card.read_text(encoding="utf-8")
    for old, new in (("library_name: transformers", "library_name: peft"), ("value: 0.75\n", "value: 0.5\n"),
                     ("- seed: 0\n", "- seed: 999\n")):
        assert old in text
        text = text.replace(old, new, 1)
    card.write_text(text + "\nParameters: 12\n", encoding="utf-8")
    (folder / ".cardguard.toml").write_text('required-regions = ["labels"]\n', encoding="utf-8")


def test_check_marks_what_sync_fixes_and_sync_fixes_exactly_those(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    _drifted_example(tmp_path / "model")
    out = run(["check", "--fail-on", "never", "model"], capsys)
    shown = {line.split()[1] for line in out.splitlines() if line.startswith("model/README.md:")}
    marked = {line.split()[1] for line in out.splitlines() if line.startswith("model/README.md:") and ": [*] " in line}
    assert marked == {"CG405", "CG406", "CG411", "CG413"}
    assert shown - marked == {"CG414"}
    assert fixable_lines(out) == ["[*] 4 fixable: 3 with `cardguard sync`, 1 with `cardguard sync --add-missing`"]

    run(["sync", "--add-missing", "model"], capsys)
    out = run(["check", "--fail-on", "never", "model"], capsys)
    assert {line.split()[1] for line in out.splitlines() if line.startswith("model/README.md:")} == {"CG414"}
    assert "[*]" not in out


def test_the_last_line_counts_each_command() -> None:
    licence = finding("CG101", "README.md", 2, 10, "license 'Apache-2.0' is not a Hub licence id").replace(
        autofix=Autofix("set-value", ("license",), "Apache-2.0", "apache-2.0"))
    region = finding("CG405", "README.md", 9, 1, "region 'labels' no longer matches the checkpoint").replace(
        extra={"fix_command": "cardguard sync"})
    plain = finding("CG414", "README.md", 20, 1, "the card states 'Parameters: 12'")
    assert fixable_line([plain]) == ""
    assert fixable_line([region, region]) == "[*] 2 fixable with `cardguard sync`"
    assert fixable_line([region, plain, licence]) == (
        "[*] 2 fixable: 1 with `cardguard validate --fix`, 1 with `cardguard sync`")
    lines = format_text([licence, plain], files_checked=1).splitlines()
    assert lines[0] == "README.md:2:10: CG101 error: [*] license 'Apache-2.0' is not a Hub licence id"
    assert lines[1] == "README.md:20:1: CG414 error: the card states 'Parameters: 12'"
    assert lines[-1] == "[*] 1 fixable with `cardguard validate --fix`"
