"""The command line: exit codes, formats, errors as one line, and a light import footprint."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cardguard.cli import main

GOOD = """---
license: apache-2.0
library_name: transformers
pipeline_tag: text-classification
language: en
---
# tiny

A card.
"""

BAD = """---
license: Apache-2.0
library_name: transformers
---
# tiny
"""


@pytest.fixture
def model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "README.md").write_text(GOOD)
    (folder / "config.json").write_text("{}")
    return folder


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_clean_card_exits_zero(model: Path, capsys) -> None:
    code, out, _ = run(["validate", "--profile", "minimal", "model"], capsys)
    assert code == 0
    assert out.strip() == "1 card checked: no problems"


def test_findings_exit_one_with_path_line_column_code(model: Path, capsys) -> None:
    (model / "README.md").write_text(BAD)
    code, out, _ = run(["validate", "--profile", "minimal", "model/README.md"], capsys)
    assert code == 1
    assert out.splitlines()[0].startswith("model/README.md:2:10: CG101 error: ")
    assert "apache-2.0" in out


def test_fail_on_decides_the_exit_code(model: Path, capsys) -> None:
    (model / "README.md").write_text(GOOD.replace("library_name: transformers\n", ""))
    assert run(["validate", "--profile", "minimal", "model"], capsys)[0] == 0
    assert run(["validate", "--profile", "minimal", "--fail-on", "warning", "model"], capsys)[0] == 1
    (model / "README.md").write_text(BAD)
    assert run(["validate", "--profile", "minimal", "--fail-on", "never", "model"], capsys)[0] == 0


def test_any_file_of_a_model_folder_checks_its_card_once(model: Path, capsys) -> None:
    code, out, _ = run(["validate", "--profile", "minimal", "model/config.json", "model/README.md", "model"], capsys)
    assert code == 0
    assert "1 card checked" in out


def test_json_format(model: Path, capsys) -> None:
    (model / "README.md").write_text(BAD)
    code, out, _ = run(["validate", "--profile", "minimal", "--format", "json", "model"], capsys)
    document = json.loads(out)
    assert code == 1
    assert document["summary"]["error"] == 1
    assert document["findings"][0]["code"] == "CG101"
    assert document["findings"][0]["line"] == 2


def test_github_format_escapes_and_annotates(model: Path, capsys) -> None:
    (model / "README.md").write_text(BAD)
    _, out, _ = run(["validate", "--profile", "minimal", "--format", "github", "model"], capsys)
    assert out.startswith("::error file=model/README.md,line=2,col=10,title=CG101::")


def test_colour_only_when_asked_or_on_a_terminal(model: Path, capsys, monkeypatch) -> None:
    (model / "README.md").write_text(BAD)
    assert "\033[" not in run(["validate", "--profile", "minimal", "model"], capsys)[1]
    assert "\033[" in run(["validate", "--profile", "minimal", "--color", "always", "model"], capsys)[1]


def test_no_color_is_honoured(monkeypatch) -> None:
    from cardguard.cli import use_colour

    class Terminal:
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_colour("auto", Terminal())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_colour("auto", Terminal())


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["validate", "missing-folder"], "missing-folder: no such file or directory"),
        (["validate", "--profile", "fancy", "model"], "unknown profile 'fancy'"),
        (["validate", "--config", "nope.toml", "model"], "--config nope.toml: no such file"),
    ],
)
def test_usage_errors_exit_two_with_one_line(model: Path, capsys, argv: list[str], message: str) -> None:
    code, out, err = run(argv, capsys)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and message in err


def test_bad_config_file_exits_two(model: Path, capsys) -> None:
    (model / ".cardguard.toml").write_text("profile = 3 = 4\n")
    code, _, err = run(["validate", "model"], capsys)
    assert code == 2
    assert "is not valid TOML" in err


def test_argparse_errors_exit_two(capsys) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["validate", "--format", "xml"])
    assert raised.value.code == 2


def test_version_and_help(capsys) -> None:
    from cardguard import __version__

    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"cardguard {__version__}"
    with pytest.raises(SystemExit):
        main(["validate", "--help"])
    help_text = capsys.readouterr().out
    assert "--profile" in help_text and "--fail-on" in help_text


def test_rules_lists_every_code(capsys) -> None:
    from cardguard.codes import RULES

    code, out, _ = run(["rules"], capsys)
    assert code == 0
    assert {line.split()[0] for line in out.splitlines()} == set(RULES)


def test_schema_prints_the_shipped_schema(capsys) -> None:
    code, out, _ = run(["schema"], capsys)
    assert code == 0
    assert json.loads(out)["$schema"].endswith("2020-12/schema")


def test_validate_never_imports_heavy_modules(model: Path) -> None:
    probe = (
        "import sys; from cardguard.cli import main; code = main(['validate', 'model']);"
        "heavy = sorted(m for m in ('torch', 'transformers', 'jsonschema', 'jinja2', 'huggingface_hub', 'numpy', 'safetensors',"
        " 're2', 'cardguard.edit.sync', 'cardguard.run.sync_run', 'cardguard.artifacts')"
        " if m in sys.modules); print(heavy)"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=model.parent,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stderr


def test_console_script_runs_as_module(model: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "cardguard", "validate", "--profile", "minimal", "model"],
                            capture_output=True, text=True, cwd=model.parent,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    assert result.returncode == 0, result.stderr


def test_organisation_schema_from_the_configuration(model: Path, capsys) -> None:
    (model / "org.json").write_text(json.dumps({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["datasets"],
    }))
    (model / ".cardguard.toml").write_text('profile = "minimal"\nschema = "org.json"\n')
    code, out, _ = run(["validate", "model"], capsys)
    assert code == 1
    assert "CG117" in out
    (model / ".cardguard.toml").write_text('profile = "minimal"\nschema = "missing.json"\n')
    code, _, err = run(["validate", "model"], capsys)
    assert code == 2 and "cannot read the schema" in err
