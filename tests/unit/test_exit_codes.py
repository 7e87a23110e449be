"""Exit codes follow the README for every subcommand that reports findings.

README: ``0`` nothing at or above ``--fail-on``; ``1`` findings at or above it (or, for
``sync``, a card rewritten); ``2`` a usage or I/O error. ``--fail-on`` on the command line wins
over the configuration's ``fail-on``; ``never`` means findings alone never fail the run (the
Action's ``fail-on: never``, after which the SARIF upload must still run).

Each case is one card with exactly one finding, whose severity the folder's configuration sets,
so every severity meets every ``--fail-on``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cardguard.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tiny-bert-classifier"
SEVERITIES = ("info", "warning", "error")
FAIL_ON = ("never", "info", "warning", "error", None)  # None: no flag, the configuration's "warning"
CONFIG_FAIL_ON = "warning"

# (command, edit of the example card, the one finding it gives)
ONE_FINDING_CASES = [
    pytest.param(["validate"], ("license: apache-2.0\n", "license: Apache-2.0\n"), "CG101", id="validate-licence"),
    pytest.param(["check"], ("license: apache-2.0\n", "license: Apache-2.0\n"), "CG101", id="check-licence"),
    pytest.param(["check"], ("pipeline_tag: text-classification\n", "pipeline_tag: text-generation\n"), "CG412",
                 id="check-drift"),
    pytest.param(["sync"], ("pipeline_tag: text-classification\n", "pipeline_tag: &tag text-generation\n"),
                 "CG409", id="sync-refused-edit"),
    pytest.param(["sync", "--check"], ("pipeline_tag: text-classification\n", "pipeline_tag: &tag text-generation\n"),
                 "CG409", id="sync-check-refused-edit"),
]


def model_folder(root: Path, edit: tuple[str, str] | None, severity: str, code: str = "CG101") -> Path:
    """The example Trainer output with one edit to its card and a configuration for the severity."""
    folder = Path(shutil.copytree(EXAMPLE, root / "model"))
    card = folder / "README.md"
    if edit is not None:
        text = card.read_text(encoding="utf-8")
        assert edit[0] in text
        card.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    (folder / ".cardguard.toml").write_text(
        f'profile = "trainer"\nfail-on = "{CONFIG_FAIL_ON}"\nseverity = {{ {code} = "{severity}" }}\n',
        encoding="utf-8",
    )
    return folder


def run(command: list[str], fail_on: str | None, folder: Path, capsys: pytest.CaptureFixture[str]
        ) -> tuple[int, list[tuple[str, str]]]:
    flags = ["--fail-on", fail_on] if fail_on else []
    status = main([*command, "--format", "json", *flags, str(folder)])
    out = capsys.readouterr().out
    report = json.loads(out) if out.strip() else {"findings": []}
    return status, [(item["code"], item["severity"]) for item in report["findings"]]


def should_fail(severity: str, fail_on: str | None) -> bool:
    threshold = fail_on or CONFIG_FAIL_ON
    return threshold != "never" and SEVERITIES.index(severity) >= SEVERITIES.index(threshold)


@pytest.mark.parametrize("fail_on", FAIL_ON)
@pytest.mark.parametrize("severity", SEVERITIES)
@pytest.mark.parametrize(("command", "edit", "code"), ONE_FINDING_CASES)
def test_one_finding_fails_the_run_only_at_or_above_fail_on(
    command: list[str], edit: tuple[str, str], code: str, severity: str, fail_on: str | None,
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    folder = model_folder(tmp_path, edit, severity, code)
    card_before = (folder / "README.md").read_bytes()
    status, findings = run(command, fail_on, folder, capsys)
    assert findings == [(code, severity)]
    assert status == (1 if should_fail(severity, fail_on) else 0)
    assert (folder / "README.md").read_bytes() == card_before  # nothing for sync to rewrite here


@pytest.mark.parametrize("fail_on", FAIL_ON)
@pytest.mark.parametrize("command", [["validate"], ["check"], ["sync"], ["sync", "--check"]])
def test_a_clean_card_passes_at_every_fail_on(
    command: list[str], fail_on: str | None, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    folder = model_folder(tmp_path, None, "error")
    assert run(command, fail_on, folder, capsys) == (0, [])


@pytest.mark.parametrize("fail_on", FAIL_ON)
@pytest.mark.parametrize("write", [True, False], ids=["sync", "sync-check"])
def test_sync_that_rewrites_a_card_exits_1_at_every_fail_on(
    write: bool, fail_on: str | None, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    """As pre-commit fixers do: the user must re-stage the rewritten card, whatever --fail-on says."""
    folder = model_folder(tmp_path, ("pipeline_tag: text-classification\n", "pipeline_tag: text-generation\n"),
                          "info", "CG412")
    flags = ["--fail-on", fail_on] if fail_on else []
    assert main(["sync", *([] if write else ["--check"]), *flags, str(folder)]) == 1
    card = (folder / "README.md").read_text(encoding="utf-8")
    assert ("pipeline_tag: text-classification\n" in card) is write


def _configure_fail_on(folder: Path, value: str) -> None:
    config = folder / ".cardguard.toml"
    text = config.read_text(encoding="utf-8").replace(f'fail-on = "{CONFIG_FAIL_ON}"', f'fail-on = "{value}"')
    config.write_text(text, encoding="utf-8")


@pytest.mark.parametrize("command", [["validate"], ["check"]])
def test_configured_fail_on_never_reports_and_passes(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    """`fail-on = "never"` in the configuration, as `--fail-on never` on the command line."""
    folder = model_folder(tmp_path, ("license: apache-2.0\n", "license: Apache-2.0\n"), "error")
    _configure_fail_on(folder, "never")
    assert run(command, None, folder, capsys) == (0, [("CG101", "error")])
    assert run(command, "error", folder, capsys) == (1, [("CG101", "error")])  # the command line wins


def test_configured_fail_on_of_an_unknown_name_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    folder = model_folder(tmp_path, None, "error")
    _configure_fail_on(folder, "sometimes")
    assert main(["validate", str(folder)]) == 2
    error = capsys.readouterr().err
    assert "fail-on" in error and "never" in error and "Traceback" not in error
