"""The ``cardguard`` command: argument parsing and wiring only.

Exit codes: 0 clean, 1 findings at or above --fail-on (or a file rewritten), 2 usage or I/O error.
"""

from __future__ import annotations

import argparse
import os
import sys

from cardguard import __version__

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs a cold start ~5 ms
if TYPE_CHECKING:
    from typing import Any, Callable, Sequence, TextIO

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2

_DESCRIPTION = """\
Keep Hugging Face model cards valid and true to their checkpoint.

Every command takes --help. Exit codes: 0 nothing at or above --fail-on, 1 findings (or, for
sync, a card rewritten), 2 usage or I/O error. Configuration: [tool.cardguard] in pyproject.toml
or .cardguard.toml (see README.md); rule reference: `cardguard rules` or docs/rules.md.
"""


class UsageError(Exception):
    """Printed as one line on stderr; exit code 2."""


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_command_named_in(arguments))
    args = parser.parse_args(arguments)
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return _run_within_budget(args)
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # the one place where failures become a single line
        return _report_error(error)


def _run_within_budget(args: argparse.Namespace) -> int:
    """The handler, inside one time budget for the whole run when the command has --timeout."""
    if getattr(args, "timeout", None) is None:
        return args.handler(args)
    from cardguard.budget import run_budget

    with run_budget(args.timeout):
        return args.handler(args)


def _debug() -> bool:
    """CARDGUARD_DEBUG is set: let a bug raise, with its traceback."""
    return bool(os.environ.get("CARDGUARD_DEBUG"))


def _report_error(error: Exception) -> int:
    from cardguard.budget import RunOutOfTime
    from cardguard.settings.config import ConfigError
    from cardguard.integrations.install_hooks import InstallError
    from cardguard.settings.targets import TargetError

    if isinstance(error, (UsageError, ConfigError, TargetError, InstallError, RunOutOfTime)):
        _say(f"cardguard: error: {error}")
        return EXIT_USAGE
    if isinstance(error, OSError):
        _say(f"cardguard: error: {error.filename or ''}: {error.strerror or error}".replace(": : ", ": "))
        return EXIT_USAGE
    if _debug():
        raise error
    _say(f"cardguard: internal error: {type(error).__name__}: {error} "
         "(please report it; set CARDGUARD_DEBUG=1 for a traceback)")
    return EXIT_USAGE


def _say(line: str) -> None:
    """One line on stderr; file names and messages in it may come from the repository, so
    its control characters are escaped (a line break inside it would start a new log line)."""
    from cardguard.escape import escape_text

    print(escape_text(line), file=sys.stderr)


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, told the terminal width: left to itself it imports shutil (and
    with it zlib, bz2 and lzma) on every run, only to ask for the width."""

    def __init__(self, prog: str, **kwargs: Any) -> None:
        kwargs.setdefault("width", _terminal_columns() - 2)  # the margin argparse leaves
        super().__init__(prog, **kwargs)


def _terminal_columns() -> int:
    """What shutil.get_terminal_size().columns gives: $COLUMNS, else the terminal's, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class _RawDescriptionFormatter(argparse.RawDescriptionHelpFormatter, _HelpFormatter):
    """For the top-level description, whose line breaks are meant."""


class _Parser(argparse.ArgumentParser):
    """Every cardguard parser, the subcommands' too, with the formatter above."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``only``, just that subcommand's (building all of them costs more
    than a hook run can spare, and only --help needs them all)."""
    parser = _Parser(prog="cardguard", description=_DESCRIPTION, formatter_class=_RawDescriptionFormatter)
    parser.add_argument("--version", action="version", version=f"cardguard {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)
    for name, add in _SUBCOMMANDS.items():
        if only is None or name == only:
            add(commands)
    return parser


def _command_named_in(arguments: list[str]) -> str | None:
    """The subcommand the arguments name, if any (its name is the first non-option word)."""
    first = next((word for word in arguments if not word.startswith("-")), None)
    return first if first in _SUBCOMMANDS else None


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds: {text!r}")
    return value


def _add_timeout_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--timeout", type=_seconds, default=60.0, metavar="SECONDS",
        help="time budget for the whole run, shared by every template render and remote read; cards not "
        "reached in time are reported as CG009 (default: 60)",
    )


def _add_common_card_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "paths", nargs="*", metavar="PATH",
        help="cards (README.md), model folders, or any file inside a model folder; default: the current folder",
    )
    command.add_argument("--profile", help="required-section profile: auto (default: follows what wrote the card), "
                         "hub, trainer, sentence-transformers, peft, minimal")
    command.add_argument("--config", metavar="FILE", help="configuration file to use instead of searching for one")
    command.add_argument("--format", choices=("text", "json", "github", "sarif"), default="text", help="output format (default: text)")
    command.add_argument(
        "--fail-on", choices=("error", "warning", "info", "never"), default=None,
        help="lowest severity that makes the exit code 1 (default: error, or fail-on from the configuration)",
    )
    command.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                         help="colour in text output (auto: when stdout is a terminal, or FORCE_COLOR is set; never when NO_COLOR is set)")
    command.add_argument("--statistics", action="store_true",
                         help="print the number of findings per rule instead of the findings (text or json)")
    command.add_argument(
        "--skip-non-cards", action="store_true",
        help="a README.md named on the command line is checked only when it is a model card (model metadata, or "
        "model files beside it), as one found in a folder is; for hooks, which pass every changed file",
    )
    _add_timeout_option(command)


def _add_fix_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--fix", action="store_true",
        help="apply the metadata fixes cardguard is certain of (licence id spelling, near-miss keys, a removed "
        "pipeline tag's successor) and list them; the exit code follows the findings that remain",
    )


def _add_hub_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--hub-repo", metavar="ID",
                         help="Hub repo the folder mirrors: safetensors files that are Git LFS pointers are read from it "
                         "by HTTP range requests (HF_ENDPOINT and HF_TOKEN are respected)")
    command.add_argument("--hub-revision", metavar="REV", help="branch, tag or commit of --hub-repo (default: main)")


def _hub(args: argparse.Namespace) -> Any:
    """The HubSource of --hub-repo / --hub-revision, or None."""
    if not args.hub_repo:
        if args.hub_revision:
            raise UsageError("--hub-revision needs --hub-repo")
        return None
    from cardguard.artifacts.remote import HubSource

    return HubSource(args.hub_repo, args.hub_revision or "main")


def _add_validate(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "validate", help="check metadata and sections of model cards",
        description="Check model card metadata against the Hub's rules and the required sections of a profile.",
    )
    _add_common_card_options(command)
    _add_fix_option(command)
    command.set_defaults(handler=run_validate)


def _add_facts(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "facts", help="show what the checkpoint files in a model folder say",
        description="Read the checkpoint files of a model folder (headers only, never running code) and print the facts found.",
    )
    command.add_argument("path", nargs="?", default=".", metavar="DIR", help="model folder (default: the current folder)")
    command.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    _add_hub_options(command)
    _add_timeout_option(command)
    command.set_defaults(handler=run_facts)


def _add_schema(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser("schema", help="print the model card metadata JSON Schema",
                                  description="Print the JSON Schema (draft 2020-12) used for card metadata.")
    command.set_defaults(handler=run_schema)


def _add_rules(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "rules", help="list every rule code, or explain one",
        description="List every rule code cardguard reports, or explain one: `cardguard rules CG101` "
        "(a code in any case, or a rule's name such as invalid-license).")
    command.add_argument("rule", nargs="?", metavar="CODE", help="the rule to explain (default: list them all)")
    command.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    command.set_defaults(handler=run_rules)


def _add_install_hooks(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "install-hooks", help="install git hooks that check model cards on commit (and push)",
        description="Install cardguard's plain git hooks into the current repository's hooks folder "
        "(core.hooksPath is respected): pre-commit checks the model folders a commit touches, "
        "pre-push those a push touches. For repos that do not use the pre-commit framework.",
    )
    command.add_argument("--pre-push", action="store_true", help="also install the pre-push hook")
    command.add_argument("--force", action="store_true",
                         help="replace a hook that is not cardguard's (the old one is kept as <name>.cardguard-backup)")
    command.set_defaults(handler=run_install_hooks)


def _add_sync(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "sync", help="rewrite generated regions and managed metadata from the checkpoint",
        description="Rewrite the text between <!-- cardguard:begin NAME --> and <!-- cardguard:end NAME --> markers "
        "and the managed metadata keys from the checkpoint files. Exit 1 when a card was rewritten (pre-commit style).",
    )
    _add_common_card_options(command)
    command.add_argument("--check", action="store_true", help="write nothing; print the diff and exit 1 if sync would change a card")
    command.add_argument("--add-missing", action="store_true",
                         help="also add regions: adopt sections a library wrote, append required regions that are missing")
    _add_hub_options(command)
    command.set_defaults(handler=run_sync)


def _add_check(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "check", help="validate and check drift against the checkpoint (writes nothing)",
        description="validate, plus drift: generated regions, managed metadata and stated facts against the checkpoint. "
        "Prints a unified diff of what `cardguard sync` would change.",
    )
    _add_common_card_options(command)
    _add_fix_option(command)
    _add_hub_options(command)
    command.set_defaults(handler=run_check)


def _add_init(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser("init", help="write a new README.md for a checkpoint folder",
                                  description="Write README.md for a checkpoint folder; refuses to overwrite a card.")
    command.add_argument("path", nargs="?", default=".", metavar="DIR", help="model folder (default: the current folder)")
    _add_timeout_option(command)
    command.set_defaults(handler=run_init)


_SUBCOMMANDS: dict[str, Callable[[argparse._SubParsersAction], None]] = {
    "validate": _add_validate,
    "facts": _add_facts,
    "schema": _add_schema,
    "rules": _add_rules,
    "sync": _add_sync,
    "check": _add_check,
    "init": _add_init,
    "install-hooks": _add_install_hooks,
}


def _emit(text: str) -> None:
    """Write a report to stdout. A lone surrogate (from a file name that is not UTF-8, or an
    artifact string) cannot be encoded: it is written as its escape, ``\\udc80``."""
    if not text.isascii():
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    sys.stdout.write(text)


def use_colour(choice: str, stream: TextIO) -> bool:
    """Whether text output gets colour: ``--color always|never`` as asked (no-color.org: a
    command-line option may turn colour back on); under ``auto``, NO_COLOR (no-color.org) before
    FORCE_COLOR (force-color.org), each when set and not empty, whatever its value; else colour
    only on a terminal."""
    if choice in ("always", "never"):
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


def run_validate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from cardguard.budget import budget_spent, not_checked_finding
    from cardguard.settings.config import check_profile
    from cardguard.findings import Severity
    from cardguard.run.card_guard import run_one_card
    from cardguard.run.validate import ConfigCache, Options, validate_target

    if args.profile:
        check_profile(args.profile)
    if args.config and not Path(args.config).is_file():
        raise UsageError(f"--config {args.config}: no such file")
    configs = ConfigCache(Options(config_file=Path(args.config) if args.config else None, profile=args.profile))
    _check_report_options(args)
    findings, fixed, profiles = [], [], []
    failing = False
    targets = _select_targets(args, configs)
    for target in targets:
        if budget_spent():
            findings.append(not_checked_finding(target.display))
            failing = failing or args.fail_on != "never"
            continue
        result = run_one_card(_card_work(args, target, configs, validate_target), target, configs, _debug())
        findings.extend(result.findings)
        fixed.extend(getattr(result, "fixed", []))
        profiles.extend(_profile_notes(getattr(result, "checked", None) or result))
        fail_on = Severity.parse(args.fail_on) if args.fail_on and args.fail_on != "never" else result.settings.fail_on
        if args.fail_on != "never" and any(item.severity >= fail_on for item in result.findings):
            failing = True
    _emit(_report(args, findings, len(targets), fixed, profiles=profiles))
    return EXIT_FINDINGS if failing else EXIT_OK


def _profile_notes(result: Any) -> list[Any]:
    """The profile `auto` chose for a validated or checked card, as the report shows it ([] when
    the profile was set, or the card could not be checked)."""
    from cardguard.report.formats import ProfileNote

    choice = getattr(result, "profile_choice", None)
    return [ProfileNote(result.target.display, choice.profile, choice.reason)] if choice is not None else []


def run_facts(args: argparse.Namespace) -> int:
    # os.path rather than pathlib on this path: the facts hook is timed against a bare script.
    from cardguard.artifacts import read_facts
    from cardguard.artifacts.format import facts_to_dict, format_facts_text
    from cardguard.findings import Severity

    folder = args.path
    if not os.path.isdir(folder):
        raise UsageError(f"{args.path}: not a folder")
    hub = _hub(args)
    if hub is not None:
        from pathlib import Path

        from cardguard.artifacts.remote import hub_source_for

        hub = hub_source_for(hub.repo_id, hub.revision, Path(folder))
    facts = read_facts(folder, remote=hub)
    if args.format == "json":
        from cardguard.escape import strict_json  # NaN / Infinity become strings: JSON has neither

        _emit(strict_json(facts_to_dict(facts)) + "\n")
    else:
        _emit(format_facts_text(facts))
    return EXIT_FINDINGS if any(item.severity >= Severity.ERROR for item in facts.findings) else EXIT_OK


def run_schema(args: argparse.Namespace) -> int:
    from cardguard.resources import data_dir

    sys.stdout.write((data_dir("schemas") / "model-card-metadata.schema.json").read_text(encoding="utf-8"))
    return EXIT_OK


def run_rules(args: argparse.Namespace) -> int:
    from cardguard.report.rules_doc import rules_json, rules_markdown, rules_text

    if args.rule is not None:
        return _explain_rule(args)
    render: Callable[[], str] = {"markdown": rules_markdown, "json": rules_json}.get(args.format, rules_text)
    sys.stdout.write(render())
    return EXIT_OK


def _explain_rule(args: argparse.Namespace) -> int:
    """``cardguard rules CG101``: one rule explained; an unknown code is a usage error."""
    from cardguard.report.rules_doc import UnknownRule, explain_markdown, explain_text, find_rule, rules_json

    try:
        rule = find_rule(args.rule)
    except UnknownRule as error:
        raise UsageError(str(error)) from None
    if args.format == "json":
        sys.stdout.write(rules_json([rule]))
    else:
        sys.stdout.write(explain_markdown(rule) if args.format == "markdown" else explain_text(rule))
    return EXIT_OK


def run_install_hooks(args: argparse.Namespace) -> int:
    from cardguard.integrations.install_hooks import hooks_dir, install

    names = ["pre-commit", "pre-push"] if args.pre_push else ["pre-commit"]
    for item in install(names, hooks_dir(), force=args.force):
        print(f"{item.name}: {item.action} ({item.path})")
    return EXIT_OK


def _card_configs(args: argparse.Namespace) -> Any:
    from pathlib import Path

    from cardguard.settings.config import check_profile
    from cardguard.run.validate import ConfigCache, Options

    if args.profile:
        check_profile(args.profile)
    if args.config and not Path(args.config).is_file():
        raise UsageError(f"--config {args.config}: no such file")
    return ConfigCache(Options(config_file=Path(args.config) if args.config else None, profile=args.profile))


def _fails(args: argparse.Namespace, result: Any) -> bool:
    from cardguard.findings import Severity

    if args.fail_on == "never":
        return False
    fail_on = Severity.parse(args.fail_on) if args.fail_on else result.settings.fail_on
    return any(item.severity >= fail_on for item in result.findings)


def run_sync(args: argparse.Namespace) -> int:
    from cardguard.budget import budget_spent, not_checked_finding
    from cardguard.report.formats import format_diff
    from cardguard.run.card_guard import run_one_card
    from cardguard.run.sync_run import sync_target

    _check_report_options(args)
    configs, hub = _card_configs(args), _hub(args)
    targets = _select_targets(args, configs)
    findings, diffs, status = [], [], EXIT_OK
    for target in targets:
        if budget_spent():
            findings.append(not_checked_finding(target.display))
            status = status if args.fail_on == "never" else EXIT_FINDINGS
            continue
        result = run_one_card(
            lambda: sync_target(target, configs, add_missing=args.add_missing, write=not args.check, hub=hub),
            target, configs, _debug(),
        )
        findings.extend(result.findings)
        if result.changed or _fails(args, result):
            status = EXIT_FINDINGS
        if result.changed and args.check:
            diffs.append((target.display, result.diff()))
        if result.written:
            _say(f"cardguard: rewrote {target.display}")
        elif result.plan is not None and result.plan.blocked:
            _say(f"cardguard: {target.display} not rewritten: fix its region markers first")
    shown_diff = format_diff("".join(diff for _, diff in diffs))
    if args.format == "text" and not args.statistics:
        if findings:
            _emit(_report(args, findings, len(targets)))
        _emit(shown_diff)
        return status
    # A machine format is one document on stdout, even without findings; the diff goes into
    # the JSON document (``diffs``, as for check) and to stderr.
    _emit(_report(args, findings, len(targets), diffs=dict(diffs)))
    if diffs:
        sys.stderr.write(shown_diff)
    return status


def run_check(args: argparse.Namespace) -> int:
    from cardguard.budget import budget_spent, not_checked_finding
    from cardguard.report.formats import format_diff
    from cardguard.run.card_guard import run_one_card
    from cardguard.run.sync_run import check_target

    _check_report_options(args)
    configs, hub = _card_configs(args), _hub(args)
    targets = _select_targets(args, configs)
    findings, fixed, diffs, status, profiles = [], [], [], EXIT_OK, []

    def check(target: Any, configs: Any) -> Any:
        return check_target(target, configs, hub=hub)

    for target in targets:
        if budget_spent():
            findings.append(not_checked_finding(target.display))
            status = status if args.fail_on == "never" else EXIT_FINDINGS
            continue
        result = run_one_card(_card_work(args, target, configs, check), target, configs, _debug())
        findings.extend(result.findings)
        fixed.extend(getattr(result, "fixed", []))
        result = getattr(result, "checked", None) or result  # --fix wraps the check result
        profiles.extend(_profile_notes(result))
        if _fails(args, result):  # drift is reported as findings: --fail-on decides, as for validate
            status = EXIT_FINDINGS
        if result.changed:
            diffs.append((target.display, result.diff()))
    _emit(_report(args, findings, len(targets), fixed, diffs=dict(diffs), profiles=profiles))
    if args.format == "text" and not args.statistics:
        _emit(format_diff("".join(diff for _, diff in diffs)))
    elif diffs:
        sys.stderr.write(format_diff("".join(diff for _, diff in diffs)))
    return status


def _card_work(args: argparse.Namespace, target: Any, configs: Any, recheck: Callable[[Any, Any], Any]) -> Callable[[], Any]:
    """One card's work: ``recheck(target, configs)`` (validate or check), after its certain
    fixes are applied when --fix is given."""
    if not getattr(args, "fix", False):
        return lambda: recheck(target, configs)
    from cardguard.run.fix import fix_target

    return lambda: fix_target(target, configs, recheck)


def _check_report_options(args: argparse.Namespace) -> None:
    if args.statistics and args.format not in ("text", "json"):
        raise UsageError(f"--statistics prints text or json, not --format {args.format}")


def _report(args: argparse.Namespace, findings: list, files_checked: int, fixed: list | None = None,
            diffs: dict[str, str] | None = None, profiles: list | None = None) -> str:
    """The findings in the chosen format; with --statistics, their count per rule instead;
    with --fix, what was fixed (text: ``fixed:`` lines first; json: its ``fixed`` list;
    github, sarif and json statistics: the ``fixed:`` lines on stderr, stdout being the report)."""
    from cardguard.report.formats import format_findings, format_fixed_text, format_statistics

    fixed = fixed if getattr(args, "fix", False) else None
    if fixed and (args.format in ("github", "sarif") or (args.statistics and args.format == "json")):
        sys.stderr.write(format_fixed_text(fixed))
        fixed = None
    if args.statistics:
        shown = format_fixed_text(fixed) if fixed and args.format == "text" else ""
        return shown + format_statistics(findings, args.format)
    return format_findings(findings, args.format, use_colour(args.color, sys.stdout), files_checked, fixed, diffs,
                           profiles or ())


def run_init(args: argparse.Namespace) -> int:
    from pathlib import Path

    from cardguard.edit.init_card import CardExists, init_card
    from cardguard.safe_paths import Refused

    folder = Path(args.path)
    if not folder.is_dir():
        raise UsageError(f"{args.path}: not a folder")
    try:
        written = init_card(folder, _configured_hub_id(folder))
    except CardExists as error:
        raise UsageError(str(error)) from None
    except Refused as refusal:
        raise UsageError(f"{folder / 'README.md'} {refusal.reason}") from None
    _say(f"cardguard: wrote {written}; fill in the parts marked [More Information Needed]")
    return EXIT_OK


def _select_targets(args: argparse.Namespace, configs: Any) -> list[Any]:
    """The cards behind the paths (``model-card`` from the configuration decides where set); in
    text output, one line on stderr per README.md skipped."""
    from cardguard.settings.targets import NOT_A_CARD, Target, display_path, select_targets

    def configured(card: Any) -> bool | None:
        return configs.settings_for(Target(card, card.parent, display_path(card))).model_card

    selection = select_targets(args.paths, skip_non_cards=args.skip_non_cards, configured=configured)
    if args.format == "text":
        for shown in selection.skipped:
            _say(f"cardguard: {shown}: {NOT_A_CARD}")
    return selection.targets


def _configured_hub_id(folder: Any) -> str | None:
    """The hub-id the configuration sets for ``folder``'s card (cardguard/artifacts/hub_id.py)."""
    from cardguard.settings.targets import CARD_NAME, Target, display_path
    from cardguard.run.validate import ConfigCache, Options

    card = folder / CARD_NAME
    return ConfigCache(Options()).settings_for(Target(card, folder, display_path(card))).hub_id


if __name__ == "__main__":
    raise SystemExit(main())
