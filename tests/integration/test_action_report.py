"""What the Action's run step leaves for a user (action.yml run as the runner would,
tests/integration/action_harness.py): each finding once as a workflow command, every output it
writes declared, and the drift diff in the job summary."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
import yaml

from action_harness import ActionResult, run_action
from helpers import BAD_CARD, REPO_ROOT, git, make_model_repo

BASE_INPUTS = {"python": sys.executable}
WORKFLOW_COMMAND = re.compile(r"^::(error|warning|notice) ")
# A classifier whose card lacks the metadata sync manages (CG408) and whose labels region is
# stale (CG405); its stale line holds a run of backticks, which must not end the summary's block.
CONFIG = {"model_type": "bert", "architectures": ["BertForSequenceClassification"],
          "_name_or_path": "google-bert/bert-base-uncased",
          "id2label": {"0": "negative", "1": "positive"}, "label2id": {"negative": 0, "positive": 1}}
DRIFTED_CARD = ("---\nlicense: mit\n---\n# Model\n\nMy words.\n\n## Labels\n\n"
                "<!-- cardguard:begin labels -->\nstale ```` text\n<!-- cardguard:end labels -->\n")


@pytest.fixture(scope="module")
def runner_temp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("runner_temp")


def bad_workspace(root: Path, folders: int) -> Path:
    repo = make_model_repo(root)
    for number in range(folders):
        folder = repo / f"bad{number}"
        folder.mkdir()
        (folder / "README.md").write_text(BAD_CARD)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "bad cards")
    return repo


def workflow_commands(result: ActionResult) -> list[str]:
    return [line for line in result.stdout.splitlines() if WORKFLOW_COMMAND.match(line.lstrip())]


@pytest.mark.parametrize("log_format", ["github", "text", "json"])
def test_each_finding_is_one_workflow_command_and_printed_once(tmp_path: Path, runner_temp: Path,
                                                                 log_format: str) -> None:
    repo = bad_workspace(tmp_path / "workspace", folders=3)
    result = run_action(REPO_ROOT, repo, runner_temp, dict(BASE_INPUTS, command="validate", format=log_format))
    assert result.returncode == 1, result.stdout + result.stderr
    annotations = workflow_commands(result)
    counts = result.step_outputs["run"]
    assert len(annotations) == int(counts["errors"]) + int(counts["warnings"]) + int(counts["infos"])
    for number in range(3):
        location = f"file=bad{number}/README.md,line=4,"
        assert len([line for line in annotations if location in line and "title=CG105" in line]) == 1
        if log_format == "github":  # the annotations are the report: no second copy of the finding in the log
            assert len([line for line in result.stdout.splitlines() if f"bad{number}/README.md" in line]) == 1


def test_every_output_the_step_writes_is_declared(tmp_path: Path, runner_temp: Path) -> None:
    repo = bad_workspace(tmp_path / "workspace", folders=1)
    result = run_action(REPO_ROOT, repo, runner_temp, dict(BASE_INPUTS, command="validate"))
    written = set(result.step_outputs["run"])
    declared = yaml.safe_load((REPO_ROOT / "action.yml").read_text())["outputs"]
    assert written <= set(declared), f"written to GITHUB_OUTPUT but not declared: {sorted(written - set(declared))}"
    assert {name: result.outputs[name] for name in written} == result.step_outputs["run"]
    assert result.outputs["exit-code"] == "1"
    assert result.outputs["infos"].isdigit()


def test_the_job_summary_shows_the_drift_diff(tmp_path: Path, runner_temp: Path) -> None:
    repo = make_model_repo(tmp_path / "workspace")
    (repo / "model" / "README.md").write_text(DRIFTED_CARD)
    (repo / "model" / "config.json").write_text(json.dumps(CONFIG))
    result = run_action(REPO_ROOT, repo, runner_temp, dict(BASE_INPUTS, command="check"))
    assert result.returncode == 1, result.stdout + result.stderr
    summary = result.summary
    assert re.search(r"^\| error \| CG405 \| model/README\.md:10:1 \|", summary, re.M)
    assert re.search(r"^\| error \| CG408 \| model/README\.md:3:1 \|", summary, re.M)
    blocks = re.findall(r"^(`{3,})diff\n(.*?)\n\1$", summary, re.M | re.S)
    assert len(blocks) == 1, summary
    fence, diff = blocks[0]
    assert len(fence) > 4  # longer than the card's own run of four
    lines = diff.splitlines()
    assert lines[:2] == ["--- a/model/README.md", "+++ b/model/README.md"]
    assert {"+library_name: transformers", "+base_model: google-bert/bert-base-uncased", "-stale ```` text",
            "+| 0 | negative |"} <= set(lines)


def test_a_hostile_diff_stays_inside_its_block() -> None:
    from cardguard.integrations.action import Outcome, summary_markdown
    from cardguard.findings import Finding, Severity

    diff = ("--- a/m/README.md\n+++ b/m/README.md\n@@ -1,3 +1,3 @@\n ```\n-::error title=pwned::x\n"
            "+<script>alert(1)</script>\x1b[31m\r::warning::cr\n ``````\n")
    finding = Finding("CG405", Severity.ERROR, "m/README.md", 1, 1, "region drift")
    summary = summary_markdown(Outcome([finding], 1, 1, diffs={"m/README.md": diff}), "check")
    assert re.search("[\x00-\x08\x0b-\x1f\x7f]", summary) is None  # no raw control character
    blocks = re.findall(r"^(`{3,})diff\n(.*?)\n\1$", summary, re.M | re.S)
    assert len(blocks) == 1 and len(blocks[0][0]) == 7  # one longer than the diff's longest run
    assert summary.endswith(blocks[0][0] + "\n")  # nothing of the diff outside the block
    assert "<script>alert(1)</script>\\x1b[31m\\r::warning::cr" in blocks[0][1]  # escaped as in the log
