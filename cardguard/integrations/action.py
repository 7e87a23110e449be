"""The GitHub Action's run step (``python -m cardguard.integrations.action``; see action.yml).

It reads the action's inputs from ``CARDGUARD_*`` variables (action.yml passes every input
through ``env:``, never into the script text), picks the files to check (in a pull request
with ``only-changed``, the files changed between base and head), runs the cardguard CLI once
with ``--format json``, then prints the report and one annotation per finding to the log
(with ``format: github`` the annotations are the report: each finding is one workflow command,
printed once), writes the SARIF file, a Markdown table of every finding and the diff ``sync``
would apply to each drifted card to ``$GITHUB_STEP_SUMMARY``, and the outputs declared in
action.yml to ``$GITHUB_OUTPUT``. GitHub shows at most 10 error and 10 warning annotations per
step, so the log and the summary carry all of them. The exit code is cardguard's.

Everything the pull request wrote (file names, card text in a diff, artifact values in a
message) reaches the log only inside a ``::stop-commands::`` block with a random token
(``log_untrusted``), with its control characters escaped: the runner executes no line of it,
wherever ``::`` or ``##[`` appears. Only cardguard's own annotations are printed outside.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cardguard.escape import escape_block, escape_text
from cardguard.findings import Finding, Severity
from cardguard.integrations.hookfiles import card_of_deleted, watched
from cardguard.record import Record, factory
from cardguard.report.formats import format_diff, format_findings, format_github, summary_line, workflow_data
from cardguard.safe_paths import Refused, write_file
from cardguard.report.sarif import format_sarif

COMMANDS = ("validate", "check")
LOG_FORMATS = ("text", "json", "github", "sarif")
FAIL_ON = ("", "error", "warning", "info", "never")
SUMMARY_LIMIT = 900 * 1024  # GitHub takes at most 1 MiB per step summary
EXIT_USAGE = 2


class InputError(Exception):
    """An input has a value the action cannot use."""


class Inputs(Record, frozen=True):
    paths: list[str]
    command: str = "check"
    profile: str = ""
    log_format: str = "text"
    fail_on: str = ""
    only_changed: bool = False
    hub_repo: str = ""
    config: str = ""
    sarif_file: str = ""
    timeout: str = ""  # seconds for the whole run (cardguard --timeout); empty: cardguard's default


class Outcome(Record, frozen=True):
    findings: list[Finding]
    exit_code: int
    cards: int
    note: str = ""
    diffs: dict[str, str] = factory(dict)  # card -> the diff `cardguard sync` would apply


def read_inputs(env: dict[str, str]) -> Inputs:
    def get(name: str, default: str = "") -> str:
        return env.get(f"CARDGUARD_{name}", default).strip()

    inputs = Inputs(
        paths=split_paths(get("PATHS", ".")) or ["."],
        command=get("COMMAND") or "check",
        profile=get("PROFILE"),
        log_format=get("FORMAT") or "text",
        fail_on=get("FAIL_ON"),
        only_changed=parse_bool("only-changed", get("ONLY_CHANGED", "false")),
        hub_repo=get("HUB_REPO"),
        config=get("CONFIG"),
        sarif_file=get("SARIF_FILE"),
        timeout=get("TIMEOUT"),
    )
    _check_choice("command", inputs.command, COMMANDS)
    _check_choice("format", inputs.log_format, LOG_FORMATS)
    _check_choice("fail-on", inputs.fail_on, FAIL_ON)
    _check_seconds("timeout", inputs.timeout)
    return inputs


def _check_seconds(name: str, value: str) -> None:
    if not value:
        return
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds < float("inf"):
        raise InputError(f"{name}: expected a positive number of seconds, got {value!r}")


def split_paths(text: str) -> list[str]:
    """One path per line; a single line may hold several, split like a shell would."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) == 1:
        return shlex.split(lines[0])
    return lines


def parse_bool(name: str, text: str) -> bool:
    value = text.lower()
    if value in ("true", "1", "yes", "on"):
        return True
    if value in ("false", "0", "no", "off", ""):
        return False
    raise InputError(f"{name}: expected true or false, got {text!r}")


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        shown = ", ".join(choice for choice in choices if choice)
        raise InputError(f"{name}: {value!r} is not one of {shown}")


# -- which files ------------------------------------------------------------------------------

def pull_request_range(event_path: str) -> tuple[str, str] | None:
    """(base sha, head sha) of the pull request in the event payload, or None."""
    if not event_path or not Path(event_path).is_file():
        return None
    event = json.loads(Path(event_path).read_text(encoding="utf-8"))
    request = event.get("pull_request") if isinstance(event, dict) else None
    if not isinstance(request, dict):
        return None
    base, head = request.get("base", {}).get("sha"), request.get("head", {}).get("sha")
    return (base, head) if base and head else None


def changed_files(base: str, head: str, cwd: Path) -> list[str]:
    """Files added, copied, modified, renamed or deleted between base and head (fetching them
    if needed); a watched file the head no longer has stands for the card it belonged to
    (hookfiles.card_of_deleted), as in the plain git hooks."""
    for sha in (base, head):
        if _git(["cat-file", "-e", f"{sha}^{{commit}}"], cwd).returncode != 0:
            _git(["fetch", "--no-tags", "--depth=1", "origin", sha], cwd)
    for spec in (f"{base}...{head}", f"{base}..{head}"):  # no merge base in a shallow clone
        result = _git(["-c", "core.quotePath=false", "diff", "--name-only", "-z", "--diff-filter=ACMRD", spec], cwd)
        if result.returncode == 0:
            names = [name for name in result.stdout.split("\0") if name]
            gone = [name for name in watched(names) if not os.path.lexists(cwd / name)]
            cards = (card_of_deleted(name, lambda card: (cwd / card).is_file()) for name in gone)
            return names + [card for card in cards if card is not None]
    raise InputError(f"only-changed: cannot diff {base} and {head}: {result.stderr.strip()}")


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)


def select_changed(files: list[str], roots: list[str], cwd: Path) -> list[str]:
    """The changed files that concern a card, lie under one of ``roots`` and still exist."""
    resolved = [(cwd / root).resolve() for root in roots]
    chosen = []
    for name in watched(files):
        path = (cwd / name).resolve()
        if path.exists() and any(path == root or root in path.parents for root in resolved):
            chosen.append(name)
    return chosen


# -- running cardguard ------------------------------------------------------------------------

def run_options(inputs: Inputs) -> dict[str, object]:
    """The keyword options of ``cardguard.check`` / ``cardguard.validate`` the inputs ask for."""
    # skip_non_cards: the changed files of a pull request include the project's own README.md
    options: dict[str, object] = {"skip_non_cards": True}
    hub_repo = inputs.hub_repo if inputs.command == "check" else ""  # validate reads no weights
    for name, value in (("profile", inputs.profile), ("config", inputs.config), ("hub_repo", hub_repo)):
        if value:
            options[name] = value
    if inputs.timeout:
        options["timeout"] = float(inputs.timeout)  # read_inputs checked it is a positive number
    return options


def run_cardguard(inputs: Inputs, targets: list[str], cwd: Path) -> Outcome:
    """The public API's check or validate over ``targets``, paths shown relative to ``cwd``;
    the diff ``sync`` would apply is printed to the log (inertly, as all the repository's text)."""
    import cardguard

    run = cardguard.check if inputs.command == "check" else cardguard.validate
    try:
        with working_folder(cwd):
            report = run(targets, **run_options(inputs))
    except cardguard.UsageError as error:
        raise InputError(f"cardguard: error: {error}") from None
    if report.diffs:
        log_untrusted(format_diff("".join(report.diffs.values())))
    findings = sorted(report.findings, key=Finding.sort_key)
    return Outcome(findings, report.exit_code(inputs.fail_on or None), len(report.cards), diffs=report.diffs)


@contextmanager
def working_folder(folder: Path) -> Iterator[None]:
    """Run the block in ``folder`` (the workspace: findings show paths relative to it)."""
    before = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


# -- reporting --------------------------------------------------------------------------------

def summary_markdown(outcome: Outcome, command: str) -> str:
    head = f"### cardguard {command}\n\n{outcome.note or summary_line(outcome.findings, outcome.cards)}\n"
    if not outcome.findings:
        return head
    rows = ["| Severity | Code | Location | Message |", "|---|---|---|---|"]
    size = len(head)
    ordered = sorted(outcome.findings, key=Finding.sort_key)
    for shown, item in enumerate(ordered):
        message = item.message + (f" (fix: {item.fix})" if item.fix else "")
        row = (f"| {item.severity} | {item.code} | {_cell(f'{item.path}:{item.line}:{item.column}')} "
               f"| {_cell(message)} |")
        size += len(row.encode("utf-8")) + 1
        if size > SUMMARY_LIMIT:
            rows.append(f"\n… and {len(ordered) - shown} more findings: see the job log.")
            break
        rows.append(row)
    return head + "\n" + "\n".join(rows) + "\n" + diff_markdown(outcome.diffs, SUMMARY_LIMIT - size)


def diff_markdown(diffs: dict[str, str], room: int) -> str:
    """The diffs as fenced ``diff`` blocks, in at most ``room`` bytes (the rest: see the log).

    The text is the repository's, so it is escaped like the log (``format_diff``: no control
    character, no line that reads as a workflow command) and fenced with more backticks than
    any run of backticks in it, so no card line can close the block and become Markdown.
    """
    if not diffs:
        return ""
    head = "\n#### What `cardguard sync` would change\n"
    blocks = []
    room -= len(head)
    for path in sorted(diffs):
        text = format_diff(diffs[path]).removesuffix("\n")
        fence = "`" * max(3, _longest_backtick_run(text) + 1)
        block = f"\n{fence}diff\n{text}\n{fence}\n"
        room -= len(block.encode("utf-8"))
        if room < 0:
            blocks.append(f"\n… {len(diffs) - len(blocks)} more diffs: see the job log.\n")
            break
        blocks.append(block)
    return head + "".join(blocks)


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in re.findall("`+", text)), default=0)


def _cell(text: str) -> str:
    """A Markdown table cell: control characters escaped (no raw line break ends the row)."""
    return (escape_text(text).replace("\\", "\\\\").replace("|", "\\|")
            .replace("<", "&lt;").replace(">", "&gt;"))


def write_outputs(path: str, outcome: Outcome, sarif_file: str) -> None:
    counts = {severity: sum(1 for item in outcome.findings if item.severity == severity) for severity in Severity}
    lines = [f"errors={counts[Severity.ERROR]}", f"warnings={counts[Severity.WARNING]}",
             f"infos={counts[Severity.INFO]}", f"cards={outcome.cards}", f"sarif-file={sarif_file}",
             f"exit-code={outcome.exit_code}"]
    _append(path, "\n".join(lines) + "\n")


def _append(path: str, text: str) -> None:
    if path:
        with open(path, "a", encoding="utf-8") as stream:
            stream.write(text)


def log_untrusted(text: str) -> None:
    """Print text from the repository to the log so that the runner executes none of it.

    GitHub's runner reads a line as a workflow command when it starts with ``::`` (after
    blanks) and, in the older syntax, wherever ``##[`` appears in it. Between
    ``::stop-commands::TOKEN`` and ``::TOKEN::`` it reads no command at all; the token is
    random, so the text cannot end the block itself (GitHub's documented way to print
    untrusted output). Everything goes to stdout, the stream the annotations use, so the
    block and the annotations cannot interleave.
    """
    if not text:
        return
    token = secrets.token_hex(16)
    body = escape_block(text.removesuffix("\n"))
    sys.stdout.write(f"::stop-commands::{token}\n{body}\n::{token}::\n")
    sys.stdout.flush()


def write_report_file(path: Path, workspace: Path, text: str) -> None:
    """Write a report file. Inside the workspace (the pull request's checkout) it goes through
    the gate (cardguard.safe_paths): a file the pull request planted there as a link to
    ``.git/config`` or out of the checkout is not written through."""
    data = text.encode("utf-8")
    if os.path.relpath(os.path.abspath(path), os.path.abspath(workspace)).split(os.sep)[0] == "..":
        path.write_bytes(data)  # the runner's own folder (RUNNER_TEMP by default)
        return
    write_file(path, workspace, data, new=not os.path.lexists(path))


def report(outcome: Outcome, inputs: Inputs, env: dict[str, str], cwd: Path) -> None:
    if inputs.log_format == "github":  # the annotations below are that report: print each finding once
        print(summary_line(outcome.findings, outcome.cards))
    else:
        log_untrusted(format_findings(outcome.findings, inputs.log_format, files_checked=outcome.cards))
    if outcome.note:
        print(outcome.note)
    sys.stdout.write(format_github(sorted(outcome.findings, key=Finding.sort_key)))
    sarif_file = str(cwd / (inputs.sarif_file or os.path.join(env.get("RUNNER_TEMP") or ".", "cardguard.sarif")))
    write_report_file(Path(sarif_file), cwd, format_sarif(sorted(outcome.findings, key=Finding.sort_key)))
    _append(env.get("GITHUB_STEP_SUMMARY", ""), summary_markdown(outcome, inputs.command))
    write_outputs(env.get("GITHUB_OUTPUT", ""), outcome, sarif_file)


def main(env: dict[str, str] | None = None) -> int:
    env = dict(os.environ if env is None else env)
    cwd = Path(env.get("GITHUB_WORKSPACE") or ".")
    try:
        inputs = read_inputs(env)
        outcome = check(inputs, env, cwd)
    except (InputError, ValueError, OSError) as error:
        print(f"::error title=cardguard::{workflow_data(str(error))}")
        return EXIT_USAGE
    except Exception as error:  # a bug: one annotation, as the CLI says it, not a traceback
        if env.get("CARDGUARD_DEBUG"):
            raise
        print(f"::error title=cardguard::{workflow_data(internal_error_message(error))}")
        return EXIT_USAGE
    try:
        report(outcome, inputs, env, cwd)
    except Refused as refusal:
        print(f"::error title=cardguard::{workflow_data(f'sarif-file {inputs.sarif_file} {refusal.reason}')}")
        return EXIT_USAGE
    return outcome.exit_code


def internal_error_message(error: Exception) -> str:
    return (f"cardguard: internal error: {type(error).__name__}: {error} "
            "(please report it; set CARDGUARD_DEBUG=1 for a traceback)")


def check(inputs: Inputs, env: dict[str, str], cwd: Path) -> Outcome:
    targets = inputs.paths
    pull_request = pull_request_range(env.get("GITHUB_EVENT_PATH", "")) if inputs.only_changed else None
    if inputs.only_changed and pull_request is None:
        print("only-changed: not a pull request event; checking every path")
    if pull_request is not None:
        targets = select_changed(changed_files(*pull_request, cwd), inputs.paths, cwd)
        if not targets:
            return Outcome([], 0, 0, note="No model folder changed in this pull request.")
    return run_cardguard(inputs, targets, cwd)


if __name__ == "__main__":
    raise SystemExit(main())
