"""Issue 11, item 6: one line model everywhere (cardguard/lines.py).

Copy-pasted text carries characters that ``str.splitlines()`` (U+000B, U+000C, U+001C-U+001E,
U+0085, U+2028, U+2029) or PyYAML (U+0085, U+2028, U+2029) count as line breaks, while an
editor, GitHub and the Hub break lines only at LF, CRLF and a lone CR. Each test puts such
characters into a card or an `.eval_results` file and checks, through the real CLI in a child
process, that adopted regions wrap their own lines, `.eval_results` edits land on their own
entry, sync does not crash, and findings (front matter, Markdown, YAML syntax, JSON
artifacts) point at the line an editor shows.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.hostile.helpers import CliRun, assert_clean_failure, classifier_repo, run_cli

SPLITLINES_ONLY_BREAKS = ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e"]
YAML_BREAKS = ["\x85", "\u2028", "\u2029"]  # PyYAML (YAML 1.1) counts these as line breaks too
ODD_BREAKS = SPLITLINES_ONLY_BREAKS + YAML_BREAKS
EVAL_CONFIG = 'profile = "minimal"\neval-results-files = true\n'
LABELS_TABLE = (
    "<!-- cardguard:begin labels -->\n| ID | Label |\n|---:|:------|\n| 0 | negative |\n| 1 | positive |\n"
    "<!-- cardguard:end labels -->\n"
)


# A labels table in the format cardguard writes, gone stale: `sync --add-missing` adopts it
# (and only it: the author's lines around it stay where they are).
STALE_TABLE = "| ID | Label |\n|---:|:------|\n| 0 | neg |\n| 1 | pos |\n"


def _adoption_card(odd: str) -> str:
    return ("---\nlicense: mit\n---\n# Model\n\nIntro copied from a PDF" + odd + " with odd breaks.\n\n"
            "### Labels\n\n" + STALE_TABLE + "\n## Other\n\nMy words.\n")


def _body(card: str) -> str:
    return card.split("\n---\n", 1)[1]


def _line(text: str, number: int) -> str:
    """Line ``number`` as an editor shows it (breaks at CRLF, CR and LF only)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")[number - 1]


@pytest.mark.parametrize("odd", ODD_BREAKS, ids=[f"U+{ord(char):04X}" for char in ODD_BREAKS])
def test_adopted_region_wraps_its_own_lines(tmp_path: Path, odd: str) -> None:
    card = _adoption_card(odd)
    repo = classifier_repo(tmp_path / "repo", card)
    run = run_cli(["sync", "--add-missing", str(repo)], cwd=repo)
    assert_clean_failure(run)
    written = (repo / "README.md").read_text(encoding="utf-8")
    assert _body(written) == _body(card).replace(STALE_TABLE, LABELS_TABLE)


@pytest.mark.parametrize("odd", ODD_BREAKS, ids=[f"U+{ord(char):04X}" for char in ODD_BREAKS])
def test_many_odd_breaks_do_not_crash_sync(tmp_path: Path, odd: str) -> None:
    card = _adoption_card(odd * 40)
    repo = classifier_repo(tmp_path / "repo", card)
    run = run_cli(["sync", "--add-missing", str(repo)], cwd=repo)
    assert_clean_failure(run)
    assert "IndexError" not in run.stderr
    written = (repo / "README.md").read_text(encoding="utf-8")
    assert _body(written) == _body(card).replace(STALE_TABLE, LABELS_TABLE)


def _eval_repo(folder: Path, scores: str) -> Path:
    folder.mkdir()
    (folder / ".git").mkdir()
    (folder / ".cardguard.toml").write_text(EVAL_CONFIG, encoding="utf-8")
    (folder / "README.md").write_text(
        "---\nlicense: mit\nlibrary_name: transformers\nmodel-index:\n- name: tiny\n  results:\n  - task:\n"
        "      type: text-classification\n    dataset:\n      name: IMDB\n      type: stanfordnlp/imdb\n"
        "    metrics:\n    - type: accuracy\n      value: 0.75\n---\n# Tiny\n\nProse.\n", encoding="utf-8")
    (folder / "eval_results.json").write_text(json.dumps({"eval_accuracy": 0.75, "eval_loss": 0.3}))
    (folder / ".eval_results").mkdir()
    (folder / ".eval_results" / "scores.yaml").write_text(scores, encoding="utf-8")
    return folder


@pytest.mark.parametrize("odd", YAML_BREAKS, ids=[f"U+{ord(char):04X}" for char in YAML_BREAKS])
def test_eval_results_edit_lands_on_its_own_value(tmp_path: Path, odd: str) -> None:
    # Four odd breaks before our value: a model that counts them puts the value four lines
    # down, on the other benchmark's `value:`.
    scores = (
        "- dataset:\n    id: stanfordnlp/imdb\n    task_id: default\n"
        f'  notes: "copied{odd}from{odd}the{odd}paper{odd}page 3"\n  value: 0.5\n'
        "- dataset:\n    id: org/other\n    task_id: t1\n  value: 20.5\n"
    )
    repo = _eval_repo(tmp_path / "repo", scores)
    run = run_cli(["sync", str(repo)], cwd=repo)
    assert_clean_failure(run)
    written = (repo / ".eval_results" / "scores.yaml").read_text(encoding="utf-8")
    assert written == scores.replace("value: 0.5\n", "value: 0.75\n")


@pytest.mark.parametrize("odd", YAML_BREAKS, ids=[f"U+{ord(char):04X}" for char in YAML_BREAKS])
def test_eval_results_value_after_many_odd_breaks(tmp_path: Path, odd: str) -> None:
    scores = (
        "- dataset:\n    id: org/other\n    task_id: t1\n"
        f'  notes: "{odd * 40}"\n  value: 20.5\n'
        "- dataset:\n    id: stanfordnlp/imdb\n    task_id: default\n  value: 0.5\n"
    )
    repo = _eval_repo(tmp_path / "repo", scores)
    run = run_cli(["sync", str(repo)], cwd=repo)
    assert_clean_failure(run)
    assert "IndexError" not in run.stderr
    written = (repo / ".eval_results" / "scores.yaml").read_text(encoding="utf-8")
    assert written == scores.replace("value: 0.5\n", "value: 0.75\n")


def _findings(run_stdout: str, code: str) -> list[dict]:
    return [item for item in json.loads(run_stdout)["findings"] if item["code"] == code]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
@pytest.mark.parametrize("odd", ODD_BREAKS, ids=[f"U+{ord(char):04X}" for char in ODD_BREAKS])
def test_findings_point_at_the_line_an_editor_shows(tmp_path: Path, odd: str, newline: str) -> None:
    in_yaml = odd if odd in YAML_BREAKS else " "  # YAML refuses the others (next test)
    card = (
        f'---\nlicense: mit\ntags:\n- "copied{in_yaml}from{in_yaml}a pdf"\npipeline_tag: not-a-pipeline-tag\n---\n'
        f"# Model\n\nIntro copied{odd}from{odd}a PDF.\n\n## Uses\n\n[More Information Needed]\n"
    ).replace("\n", newline)
    run = _validate(tmp_path, card)
    (placeholder,) = _findings(run.stdout, "CG203")
    assert "[More Information Needed]" in _line(card, placeholder["line"])
    if newline == "\r":
        return  # the Hub's front-matter pattern ends the block only at LF or CRLF: no metadata
    wrong_tag = [item for item in json.loads(run.stdout)["findings"] if "not-a-pipeline-tag" in item["message"]]
    assert wrong_tag, run.stdout
    assert _line(card, wrong_tag[0]["line"]).startswith("pipeline_tag:")


@pytest.mark.parametrize("odd", SPLITLINES_ONLY_BREAKS, ids=[f"U+{ord(char):04X}" for char in SPLITLINES_ONLY_BREAKS])
def test_character_yaml_refuses_is_reported_on_its_line(tmp_path: Path, odd: str) -> None:
    card = f'---\nlicense: mit\ndescription: "a{odd}b"\n---\n# Model\n\nText.\n'
    (refused,) = _findings(_validate(tmp_path, card).stdout, "CG005")
    assert (refused["line"], refused["column"]) == (3, 16), refused


@pytest.mark.parametrize("odd", YAML_BREAKS, ids=[f"U+{ord(char):04X}" for char in YAML_BREAKS])
def test_yaml_syntax_error_points_at_its_line(tmp_path: Path, odd: str) -> None:
    card = f'---\nlicense: mit\ndescription: "a{odd}b{odd}c"\ntags: [unclosed\n---\n# Model\n\nText.\n'
    (syntax,) = _findings(_validate(tmp_path, card).stdout, "CG005")
    assert 4 <= syntax["line"] <= 5, syntax  # the unclosed list or the '---' that ends it


def _validate(tmp_path: Path, card: str) -> CliRun:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "README.md").write_bytes(card.encode("utf-8"))
    run = run_cli(["validate", "--profile", "minimal", "--format", "json", str(repo)], cwd=repo)
    assert_clean_failure(run)
    return run


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_json_error_points_at_the_line_an_editor_shows(tmp_path: Path, newline: str) -> None:
    config = '{\n  "model_type": "bert",\n  "hidden_size": ,\n}\n'.replace("\n", newline)
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "config.json").write_bytes(config.encode("utf-8"))
    (repo / "README.md").write_text("---\nlicense: mit\n---\n# Model\n", encoding="utf-8")
    run = run_cli(["facts", "--format", "json", str(repo)], cwd=repo)
    assert "Traceback" not in run.stderr, run.stderr
    (broken,) = [item for item in json.loads(run.stdout)["findings"] if item["code"] == "CG301"]
    assert (broken["line"], broken["column"]) == (3, 18), broken
