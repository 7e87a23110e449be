"""Issue 11, item 4: strings from a pull request never inject workflow commands or raw
control characters into cardguard's output.

A shard name, a config value, a label of ``id2label``, a card value, the name of a folder and
a card line each carry line breaks (LF, CR, U+2028, U+2029, NEL), an ANSI escape, DEL, a C1
character, ``::error ...`` lines, the runner's older ``##[...]`` opener and bidirectional
controls (an override, an isolate: a line that shows other text than it holds). Every output
format of every command (text, json, github, sarif; ``facts`` text and json; the diff;
stderr) is then read the way GitHub's runner reads a log (actions/runner ActionCommand.cs:
a line is a command when it starts with ``::`` after its leading blanks, or holds ``##[``
anywhere): the only commands in it are cardguard's own annotations. JSON output is strict.
The Action's step (cardguard/integrations/action.py) is checked the same way, stop-commands
included.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import cardguard
from cardguard.integrations import action as action_support
from cardguard.findings import Finding, Severity
from cardguard.report.formats import FORMATS, format_findings
from tests.hostile.helpers import CLASSIFIER_CONFIG, LABELS_CARD, run_cli

# The child runs the cardguard this test imported (the branch, or /work/wt/base to prove a failure).
PACKAGE_ROOT = str(Path(cardguard.__file__).resolve().parents[1])
CANARY = "cardguard-canary"
INJECTION = ("\n::error title=pwned::after-newline\r::warning title=pwned::after-return"
             "\x1b[31mred\x1b[0m\u2028::notice title=pwned::after-line-separator\u2029::error::after-paragraph"
             "\x85::error::after-nel\x7f\x9b##[error]legacy-command ::add-mask::x\u202ereversed\u2066isolated")
PAYLOAD = CANARY + INJECTION  # the canary first: some messages shorten long values
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
OWN_ANNOTATION = re.compile(r"::(error|warning|notice) file=[^:,]*,line=\d+,col=\d+,title=CG\d{3}::")
STOP = re.compile(r"::stop-commands::(\w+)")


def commands_seen_by_the_runner(log: str) -> list[str]:
    """The lines of ``log`` that GitHub's runner would execute as workflow commands.

    .NET's line reader ends a line at LF, CR or CRLF; a line is a command when, after its
    leading blanks, it starts with ``::``, or when it holds ``##[``; between
    ``::stop-commands::TOKEN`` and ``::TOKEN::`` nothing is executed.
    """
    commands, resume = [], None
    for line in re.split(r"\r\n|\r|\n", log):
        if resume is not None:
            if line.strip() == f"::{resume}::":
                resume = None
            continue
        if line.lstrip().startswith("::") or "##[" in line:
            commands.append(line)
            stop = STOP.match(line.lstrip())
            resume = stop.group(1) if stop else None
    assert resume is None, "commands were stopped and never resumed"
    return commands


def assert_safe_output(text: str) -> None:
    """No raw control character but the LF ending lines; no command but our annotations."""
    raw = RAW_CONTROL.search(text)
    assert raw is None, f"raw {raw.group()!r} in output: {text[max(0, raw.start() - 80):raw.end() + 80]!r}"
    for command in commands_seen_by_the_runner(text):
        assert OWN_ANNOTATION.match(command) or STOP.match(command), f"injected command: {command!r}"


# -- the real CLI, every carrier in every format -----------------------------------------------

def _repo_with_model(tmp_path: Path, folder_name: str = "model") -> tuple[Path, Path]:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    model = repo / folder_name
    model.mkdir()
    (model / "config.json").write_text(json.dumps(CLASSIFIER_CONFIG), encoding="utf-8")
    (model / "README.md").write_text(LABELS_CARD, encoding="utf-8")
    return repo, model


def shard_name(model: Path) -> None:
    index = {"metadata": {"total_size": 8}, "weight_map": {"w": f"model-{PAYLOAD}.safetensors"}}
    (model / "model.safetensors.index.json").write_text(json.dumps(index), encoding="utf-8")


def config_value(model: Path) -> None:
    (model / "config.json").write_text(json.dumps({**CLASSIFIER_CONFIG, "torch_dtype": PAYLOAD}), encoding="utf-8")


def id2label(model: Path) -> None:
    config = {**CLASSIFIER_CONFIG, "id2label": {"0": PAYLOAD, "1": "positive"}, "label2id": {PAYLOAD: 0, "positive": 1}}
    (model / "config.json").write_text(json.dumps(config), encoding="utf-8")


def card_value(model: Path) -> None:
    card = LABELS_CARD.replace("license: mit", f"license: {json.dumps(PAYLOAD)}")  # a YAML double-quoted string
    (model / "README.md").write_text(card, encoding="utf-8")


def card_line(model: Path) -> None:
    """Plain card lines beside a stale region: the diff shows them as context lines."""
    card = LABELS_CARD.replace("<!-- cardguard:begin labels -->",
                               f"::error title=pwned::{CANARY}\n  ##[warning]legacy\n<!-- cardguard:begin labels -->")
    card = card.replace("<!-- cardguard:end labels -->", "<!-- cardguard:end labels -->\ntail\r::warning title=pwned::cr")
    (model / "README.md").write_text(card, encoding="utf-8", newline="")


CARRIERS = {"shard name": shard_name, "config value": config_value, "id2label": id2label,
            "card value": card_value, "card line": card_line, "folder name": None}
# A folder name is printed as a path (at the start of a text line); NBSP is a blank .NET trims.
# (The whole payload is too long for a file name; this keeps one of each kind.)
FOLDER_NAME = f"\u00a0::error title=pwned::{CANARY}\n::warning::lf\r::notice::cr\x1b[31m\u2028::error::ls\x85##[error]x"
OUTPUTS = {
    **{f"check {fmt}": ["check", "--format", fmt] for fmt in FORMATS},
    "sync --check text": ["sync", "--check", "--format", "text"],
    "sync text": ["sync", "--format", "text"],  # writes, and says so on stderr
    "facts text": ["facts", "--format", "text"],
    "facts json": ["facts", "--format", "json"],
}
# Where a carrier's value does not show, so there is nothing to test: the dtype and the shard in
# no check or sync message (sync reports only its own findings), the card in no facts.
NOT_SHOWN = {("config value", "check"), ("config value", "sync"), ("shard name", "sync"), ("card value", "facts"),
             ("card line", "facts")}
# A sync that writes prints only the card's path (stderr: "rewrote PATH").
ONLY_FOR = {"sync text": {"folder name"}}
CASES = [pytest.param(carrier, output, id=f"{carrier}-{name}") for carrier in CARRIERS
         for name, output in OUTPUTS.items()
         if (carrier, output[0]) not in NOT_SHOWN and carrier in ONLY_FOR.get(name, CARRIERS)]


@pytest.mark.parametrize("carrier, output", CASES)
def test_repository_strings_inject_nothing(tmp_path: Path, carrier: str, output: list[str]) -> None:
    repo, model = _repo_with_model(tmp_path, FOLDER_NAME if carrier == "folder name" else "model")
    if CARRIERS[carrier] is not None:
        CARRIERS[carrier](model)
    target = model.name if output[0] == "facts" else "."
    run = run_cli([*output, target], cwd=repo, env={"PYTHONPATH": PACKAGE_ROOT})
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr
    assert run.returncode in (0, 1), (run.returncode, run.stderr)
    assert CANARY in run.stdout + run.stderr, "the hostile value never reached the output: the test proves nothing"
    assert_safe_output(run.stdout)
    assert_safe_output(run.stderr)
    if "json" in output or "sarif" in output:
        json.loads(run.stdout, parse_constant=_reject_constant)


@pytest.mark.parametrize("command", ["check", "validate", "sync", "facts"])
def test_error_line_naming_a_hostile_path_is_one_line(tmp_path: Path, command: str) -> None:
    """In the Action, the paths checked may be the names of files a pull request changed."""
    run = run_cli([command, f"missing-{FOLDER_NAME}"], cwd=tmp_path, env={"PYTHONPATH": PACKAGE_ROOT})
    assert run.returncode == 2, (run.returncode, run.stdout, run.stderr)
    assert CANARY in run.stderr
    assert_safe_output(run.stderr)
    assert len(run.stderr.splitlines()) == 1, run.stderr


def _reject_constant(name: str) -> None:
    raise AssertionError(f"{name} is not JSON")


def test_facts_json_is_strict_json_for_non_finite_numbers(tmp_path: Path) -> None:
    """Item 12 (part): NaN and infinities in results files are written as strings, not NaN."""
    (tmp_path / "all_results.json").write_text('{"eval_loss": NaN, "eval_accuracy": Infinity, "epoch": -Infinity}')
    run = run_cli(["facts", "--format", "json", str(tmp_path)], cwd=tmp_path, env={"PYTHONPATH": PACKAGE_ROOT})
    assert "Traceback" not in run.stderr and run.returncode in (0, 1), run.stderr
    document = json.loads(run.stdout, parse_constant=_reject_constant)
    text = json.dumps(document)
    for name in ("NaN", "Infinity", "-Infinity"):
        assert f'"{name}"' in text, f"{name} lost from {text}"


# -- every formatter, every character of the class (in process) ---------------------------------

UNSAFE_CHARACTERS = [chr(code) for code in (*range(0x00, 0x20), *range(0x7F, 0xA0), 0x2028, 0x2029)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_escapes_every_control_character(fmt: str) -> None:
    findings = [
        Finding("CG305", Severity.ERROR, f"dir{char}name/README.md", 1, 1,
                f"shard a{char}::error title=pwned::{ord(char):x}", fix=f"fix{char}it")
        for char in UNSAFE_CHARACTERS
    ]
    output = format_findings(findings, fmt, files_checked=1)
    assert_safe_output(output)
    if fmt == "json":  # JSON escapes exactly: every value reads back as it was
        document = json.loads(output, parse_constant=_reject_constant)
        assert sorted(item["message"] for item in document["findings"]) == sorted(item.message for item in findings)
        assert sorted(item["path"] for item in document["findings"]) == sorted(item.path for item in findings)
    elif fmt == "sarif":
        results = json.loads(output, parse_constant=_reject_constant)["runs"][0]["results"]
        assert sorted(item["message"]["text"] for item in results) == sorted(f"{item.message} (fix: {item.fix})"
                                                                             for item in findings)
    elif fmt == "github":
        assert len(commands_seen_by_the_runner(output)) == len(findings)  # one annotation each, no more


# -- the Action's step ------------------------------------------------------------------------

def _hostile_findings() -> list[Finding]:
    return [
        Finding("CG305", Severity.ERROR, "::error title=pwned::dir/README.md", 3, 1, PAYLOAD, fix=PAYLOAD),
        Finding("CG101", Severity.WARNING, "model/README.md", 2, 1, "value ##[error]legacy and ::warning::x"),
    ]


@pytest.mark.parametrize("log_format", action_support.LOG_FORMATS)
def test_action_step_log_and_summary_inject_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     log_format: str) -> None:
    inputs = action_support.Inputs(paths=["."], log_format=log_format, sarif_file="out.sarif")
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs.txt"
    env = {"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(outputs)}
    findings = _hostile_findings()
    action_support.report(action_support.Outcome(findings, 1, 1), inputs, env, tmp_path)
    log = capsys.readouterr()
    assert CANARY in log.out
    assert_safe_output(log.out)
    assert_safe_output(log.err)
    annotations = [line for line in commands_seen_by_the_runner(log.out) if OWN_ANNOTATION.match(line)]
    assert len(annotations) == len(findings)
    table = summary.read_text(encoding="utf-8")
    assert RAW_CONTROL.search(table) is None
    assert len([line for line in table.splitlines() if line.startswith("| error") or line.startswith("| warning")]) == 2


def test_action_step_prints_the_diff_of_a_hostile_card_inertly(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """``check --format json`` writes the diff to stderr; the step passes it on to the log."""
    repo, model = _repo_with_model(tmp_path)
    card_line(model)
    monkeypatch.setenv("PYTHONPATH", PACKAGE_ROOT)
    inputs = action_support.Inputs(paths=["."], command="check")
    outcome = action_support.run_cardguard(inputs, ["."], repo)
    log = capsys.readouterr()
    assert outcome.exit_code == 1
    assert CANARY in log.out + log.err
    assert_safe_output(log.out)
    assert_safe_output(log.err)


def test_action_error_line_is_one_annotation(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_check(*args: object) -> None:
        raise action_support.InputError(f"cardguard: error: {PAYLOAD}")

    monkeypatch.setattr(action_support, "check", failing_check)
    assert action_support.main({"CARDGUARD_PATHS": "."}) == action_support.EXIT_USAGE
    out = capsys.readouterr().out
    assert RAW_CONTROL.search(out) is None
    assert out.startswith("::error title=cardguard::") and CANARY in out
    assert commands_seen_by_the_runner(out) == [out.removesuffix("\n")]  # one line: the annotation itself
