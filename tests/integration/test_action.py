"""action.yml run step by step as the GitHub runner would (tests/integration/action_harness.py).

The install step really creates a venv and pip-installs this checkout (the action's own ref);
the venv lives in a session-wide RUNNER_TEMP, so later runs reuse it as a second use of the
action in one job would.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
import yaml

from action_harness import parse_output_file, run_action
from helpers import BAD_CARD, GOOD_CARD, REPO_ROOT, git, make_model_repo, run

BASE_INPUTS = {"command": "validate", "python": sys.executable}


@pytest.fixture(scope="session")
def runner_temp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("runner_temp")


@pytest.fixture()
def workspace(tmp_path: Path) -> Path:
    """Model folders good/ and bad/ (CG105 on line 4), committed."""
    repo = make_model_repo(tmp_path / "workspace")
    git(repo, "mv", "model", "good")
    bad = repo / "bad"
    bad.mkdir()
    (bad / "README.md").write_text(BAD_CARD)
    (bad / "config.json").write_text("{}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "two models")
    return repo


def pull_request(repo: Path, change: dict[str, str]) -> dict:
    base = git(repo, "rev-parse", "HEAD").strip()
    for name, text in change.items():
        (repo / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "change")
    head = git(repo, "rev-parse", "HEAD").strip()
    return {"pull_request": {"number": 1, "base": {"sha": base}, "head": {"sha": head}}}


def test_findings_become_annotations_outputs_summary_and_sarif(workspace: Path, runner_temp: Path) -> None:
    result = run_action(REPO_ROOT, workspace, runner_temp, dict(BASE_INPUTS))
    assert result.returncode == 1, result.stdout + result.stderr
    errors = result.annotations("error")
    assert any(re.fullmatch(r"::error file=bad/README\.md,line=4,col=\d+,title=CG105::.+", line) for line in errors)
    assert "bad/README.md:4:" in result.stdout  # the text report in the log
    assert result.outputs["errors"] == "1"
    assert result.outputs["cards"] == "2"
    sarif = json.loads(Path(result.outputs["sarif-file"]).read_text())
    assert [item["ruleId"] for item in sarif["runs"][0]["results"] if item["level"] == "error"] == ["CG105"]
    assert "### cardguard validate" in result.summary
    assert re.search(r"^\| error \| CG105 \| bad/README\.md:4:\d+ \| .+ \|$", result.summary, re.M)


def test_every_finding_reaches_log_and_summary_beyond_the_annotation_limit(workspace: Path, runner_temp: Path) -> None:
    for number in range(12):
        folder = workspace / f"bad{number:02d}"
        folder.mkdir()
        (folder / "README.md").write_text(BAD_CARD)
    result = run_action(REPO_ROOT, workspace, runner_temp, dict(BASE_INPUTS, format="json"))
    assert result.returncode == 1
    assert result.outputs["errors"] == "13"
    assert len([line for line in result.annotations("error") if "title=CG105" in line]) == 13
    assert len(re.findall(r"^\| error \| CG105 \|", result.summary, re.M)) == 13
    assert '"code": "CG105"' in result.stdout  # format: json for the log report


def test_only_changed_checks_the_folder_of_a_changed_artifact(workspace: Path, runner_temp: Path) -> None:
    event = pull_request(workspace, {"bad/eval_results.json": '{"eval_accuracy": 0.5}\n'})
    result = run_action(REPO_ROOT, workspace, runner_temp, dict(BASE_INPUTS, **{"only-changed": "true"}), event)
    assert result.returncode == 1
    assert result.outputs["cards"] == "1"
    assert "file=bad/README.md" in result.stdout
    assert "file=good/" not in result.stdout


def test_only_changed_skips_untouched_folders(workspace: Path, runner_temp: Path) -> None:
    event = pull_request(workspace, {"good/README.md": GOOD_CARD.replace("small.", "tiny.")})
    result = run_action(REPO_ROOT, workspace, runner_temp, dict(BASE_INPUTS, **{"only-changed": "true"}), event)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (result.outputs["errors"], result.outputs["cards"]) == ("0", "1")


def test_only_changed_with_nothing_relevant(workspace: Path, runner_temp: Path) -> None:
    event = pull_request(workspace, {"notes.py": "x = 1\n"})
    result = run_action(REPO_ROOT, workspace, runner_temp, dict(BASE_INPUTS, **{"only-changed": "true"}), event)
    assert result.returncode == 0
    assert result.outputs["cards"] == "0"
    assert "No model folder changed" in result.summary


def test_fail_on_never_passes_but_still_reports(workspace: Path, runner_temp: Path) -> None:
    result = run_action(REPO_ROOT, workspace, runner_temp, dict(BASE_INPUTS, **{"fail-on": "never"}))
    assert result.returncode == 0
    assert result.outputs["errors"] == "1"


@pytest.mark.parametrize(("inputs", "message"), [
    ({"command": "sync"}, "command: 'sync' is not one of validate, check"),
    ({"only-changed": "maybe"}, "only-changed: expected true or false"),
    ({"fail-on": "fatal"}, "fail-on: 'fatal'"),
    ({"timeout": "soon"}, "timeout: expected a positive number of seconds"),
    ({"timeout": "-5"}, "timeout: expected a positive number of seconds"),
])
def test_bad_inputs_are_reported(workspace: Path, runner_temp: Path, inputs: dict, message: str) -> None:
    result = run_action(REPO_ROOT, workspace, runner_temp, dict(BASE_INPUTS, **inputs))
    assert result.returncode == 2
    assert any(message in line for line in result.annotations("error")), result.stdout


def test_inputs_are_data_not_script(workspace: Path, runner_temp: Path) -> None:
    hostile = '$(touch pwned) `touch pwned2` "; touch pwned3; echo "'
    result = run_action(REPO_ROOT, workspace, runner_temp, dict(BASE_INPUTS, paths=hostile, profile=hostile))
    assert result.returncode == 2
    assert not list(workspace.glob("pwned*"))


def test_no_input_is_spliced_into_a_script() -> None:
    action = yaml.safe_load((REPO_ROOT / "action.yml").read_text())
    for step in action["runs"]["steps"]:
        assert "${{" not in step["run"], step["name"]
    for name, spec in action["inputs"].items():
        assert spec.get("description"), name


def test_action_yml_matches_the_github_actions_schema() -> None:
    result = run([str(Path(sys.executable).with_name("check-jsonschema")), "--builtin-schema",
                  "vendor.github-actions", "action.yml"], REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("text", "expected"), [
    ("a=1\nb=two=2\n", {"a": "1", "b": "two=2"}),
    ("m<<EOF\nline 1\nline 2\nEOF\nz=3\n", {"m": "line 1\nline 2", "z": "3"}),
])
def test_output_file_parsing(text: str, expected: dict[str, str]) -> None:
    assert parse_output_file(text) == expected


def test_timeout_input_bounds_the_whole_run() -> None:
    from cardguard.integrations.action import Inputs, run_options

    options = run_options(Inputs(paths=["."], timeout="120"))
    assert options["timeout"] == 120.0
    assert "timeout" not in run_options(Inputs(paths=["."]))


def test_only_changed_does_not_check_the_project_readme_as_a_model_card(workspace: Path, runner_temp: Path) -> None:
    """Issue 12 item 9: a pull request changing the project's README.md and a model card."""
    (workspace / ".cardguard.toml").write_text('profile = "hub"\n\n[[overrides]]\npaths = ["good", "bad"]\n'
                                               'profile = "minimal"\n')
    event = pull_request(workspace, {"README.md": "# Our models\n\nTraining scripts.\n",
                                     "good/README.md": GOOD_CARD.replace("small.", "tiny.")})
    result = run_action(REPO_ROOT, workspace, runner_temp, dict(BASE_INPUTS, **{"only-changed": "true"}), event)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (result.outputs["errors"], result.outputs["cards"]) == ("0", "1")
