"""The ``cardguard`` command: argument parsing and wiring only. Each subcommand parses its
options, calls the public API (cardguard/api.py) and prints what it returns with report/.

Exit codes: 0 clean, 1 findings at or above --fail-on (or a file rewritten), 2 usage or I/O error.
"""

from __future__ import annotations

import argparse
import os
import sys

from cardguard import __version__

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs a cold start ~5 ms
if TYPE_CHECKING:
    from typing import Any, Callable, Protocol, Sequence, TextIO

    class Commands(Protocol):
        """What ``ArgumentParser.add_subparsers()`` returns: its class is private to argparse."""

        def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser: ...


EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2

_DESCRIPTION = """\
Keep Hugging Face model cards valid and true to their checkpoint.

Every command takes --help. Exit codes: 0 nothing at or above --fail-on, 1 findings (or, for
sync, a card rewritten), 2 usage or I/O error. Configuration: [tool.cardguard] in pyproject.toml
or .cardguard.toml (see README.md); rule reference: `cardguard rules` or docs/rules.md.
"""


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_command_named_in(arguments))
    args = parser.parse_args(arguments)
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # the one place where failures become a single line
        return _report_error(error)


def _debug() -> bool:
    """CARDGUARD_DEBUG is set: let a bug raise, with its traceback."""
    return bool(os.environ.get("CARDGUARD_DEBUG"))


def _report_error(error: Exception) -> int:
    from cardguard.api import UsageError
    from cardguard.integrations.install_hooks import InstallError

    if isinstance(error, (UsageError, InstallError)):
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
    # default None, read as the API's DEFAULT_TIMEOUT by _timeout(): building every parser
    # (--version, --help) then loads no part of the API
    command.add_argument(
        "--timeout", type=_seconds, default=None, metavar="SECONDS",
        help="time budget for the whole run, shared by every template render and remote read; cards not "
        "reached in time are reported as CG009 (default: 60)",
    )


def _timeout(args: argparse.Namespace) -> float:
    """--timeout, or the API's default when not given."""
    from cardguard.api import DEFAULT_TIMEOUT

    return DEFAULT_TIMEOUT if args.timeout is None else args.timeout


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
        "pipeline tag's successor, an empty model-index key such as Trainer's `config: null`) and list them; the exit code follows the findings that remain",
    )


def _add_hub_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--hub-repo", metavar="ID",
                         help="Hub repo the folder mirrors: safetensors files that are Git LFS pointers are read from it "
                         "by HTTP range requests (HF_ENDPOINT and HF_TOKEN are respected)")
    command.add_argument("--hub-revision", metavar="REV", help="branch, tag or commit of --hub-repo (default: main)")


def _add_validate(commands: Commands) -> None:
    command = commands.add_parser(
        "validate", help="check metadata and sections of model cards",
        description="Check model card metadata against the Hub's rules and the required sections of a profile.",
    )
    _add_common_card_options(command)
    _add_fix_option(command)
    command.set_defaults(handler=run_validate)


def _add_facts(commands: Commands) -> None:
    command = commands.add_parser(
        "facts", help="show what the checkpoint files in a model folder say",
        description="Read the checkpoint files of a model folder (headers only, never running code) and print the facts found.",
    )
    command.add_argument("path", nargs="?", default=".", metavar="DIR", help="model folder (default: the current folder)")
    command.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    _add_hub_options(command)
    _add_timeout_option(command)
    command.set_defaults(handler=run_facts)


def _add_schema(commands: Commands) -> None:
    command = commands.add_parser("schema", help="print the model card metadata JSON Schema",
                                  description="Print the JSON Schema (draft 2020-12) used for card metadata.")
    command.set_defaults(handler=run_schema)


def _add_rules(commands: Commands) -> None:
    command = commands.add_parser(
        "rules", help="list every rule code, or explain one",
        description="List every rule code cardguard reports, or explain one: `cardguard rules CG101` "
        "(a code in any case, or a rule's name such as invalid-license).")
    command.add_argument("rule", nargs="?", metavar="CODE", help="the rule to explain (default: list them all)")
    command.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    command.set_defaults(handler=run_rules)


def _add_install_hooks(commands: Commands) -> None:
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


def _add_sync(commands: Commands) -> None:
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
    _add_sync_hub_options(command)
    command.set_defaults(handler=run_sync)


def _add_sync_hub_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--hub", metavar="ORG/NAME",
        help="sync the card of this Hub repo as it stands (read like hf:// targets, in a temporary folder; no PATH): "
        "without --create-pr, print the diff and exit 1 if the card would change (nothing is written anywhere)")
    command.add_argument("--revision", metavar="REV", help="with --hub: the branch to read and to open the pull request "
                         "against (default: main)")
    command.add_argument("--create-pr", action="store_true",
                         help="with --hub: open a Hub pull request holding only the files sync changed (README.md, "
                         ".eval_results/*.yaml) and print its URL; nothing changed: no pull request, exit 0")


def _add_check(commands: Commands) -> None:
    command = commands.add_parser(
        "check", help="validate and check drift against the checkpoint (writes nothing)",
        description="validate, plus drift: generated regions, managed metadata and stated facts against the checkpoint. "
        "Prints a unified diff of what `cardguard sync` would change.",
    )
    _add_common_card_options(command)
    _add_fix_option(command)
    _add_hub_options(command)
    command.set_defaults(handler=run_check)


def _add_init(commands: Commands) -> None:
    command = commands.add_parser("init", help="write a new README.md for a checkpoint folder",
                                  description="Write README.md for a checkpoint folder; refuses to overwrite a card.")
    command.add_argument("path", nargs="?", default=".", metavar="DIR", help="model folder (default: the current folder)")
    _add_timeout_option(command)
    command.set_defaults(handler=run_init)


PUSH_DESCRIPTION = """\
Check the model folder DIR and upload it to the Hub repo ORG/NAME only when the check passes
at --fail-on. A refused push sends nothing to the Hub, not a single request. The upload is
huggingface_hub's upload_folder: every file below DIR except .git/ and .cache/huggingface/
folders (its default ignore patterns; .gitignore is not read), files the repo already holds
unchanged are skipped by it; auth and endpoint from HF_TOKEN or the saved login, and
HF_ENDPOINT. The repo must exist (push never creates one). Exit codes: 0 uploaded (or, with
--dry-run, would be), 1 refused, 2 usage or Hub error (one line).
"""


def _add_push(commands: Commands) -> None:
    command = commands.add_parser("push", help="check a model folder, then upload it to the Hub only if it passes",
                                  description=PUSH_DESCRIPTION, formatter_class=_RawDescriptionFormatter)
    command.add_argument("folder", metavar="DIR", help="the model folder to upload (it must hold README.md)")
    command.add_argument("repo_id", metavar="ORG/NAME", help="the Hub model repo to upload to")
    command.add_argument("--revision", metavar="BRANCH", help="the branch to commit to (default: main)")
    command.add_argument("--create-pr", action="store_true",
                         help="upload into a new Hub pull request against the default branch and print its URL")
    command.add_argument("--sync", action="store_true",
                         help="first rewrite the local card from the checkpoint, as `cardguard sync` does (with "
                         "--dry-run too: --dry-run is about the Hub)")
    command.add_argument("--fix", action="store_true",
                         help="first apply the metadata fixes cardguard is certain of to the local card, as "
                         "`cardguard check --fix` does (Trainer's `config: null`; with --dry-run too)")
    command.add_argument("--dry-run", action="store_true",
                         help="check, and print the files that would be uploaded with their sizes; send nothing")
    command.add_argument(
        "--fail-on", choices=("error", "warning", "info", "never"), default=None,
        help="lowest severity that refuses the push (default: error, or fail-on from the configuration)")
    command.add_argument("--commit-message", metavar="TEXT", help="the commit's (or pull request's) title "
                         "(default: huggingface_hub's)")
    command.add_argument("--profile", help="required-section profile, as for check (default: auto)")
    command.add_argument("--config", metavar="FILE", help="configuration file to use instead of searching for one")
    command.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                         help="colour in the findings (as for check)")
    _add_timeout_option(command)
    command.set_defaults(handler=run_push, format="text", statistics=False)


AUDIT_DESCRIPTION = """\
Check a fleet: every model folder under PATHS, and every Hub model of --hub-author or
--hub-search (each as hf://ORG/NAME@SHA). Writes DIR/results.jsonl (one JSON line per repo, in a
stable order, as each finishes), DIR/summary.md (for $GITHUB_STEP_SUMMARY), DIR/report.html (one
page to open in a browser) and DIR/cache/ (a re-run into the same DIR checks again only what
changed). docs/audit.md has the schema and a GitHub Actions matrix: each job runs --shard I/N,
and a last one `--join SHARD... --out DIR` writes the whole fleet's results.jsonl, summary.md
and report.html from the jobs' folders. Exit codes: 0 no repo fails, 1 a repo has an error
finding or could not be read, 2 usage error, the Hub's listing failed, or shards that cannot be
joined.
"""


def _add_audit(commands: Commands) -> None:
    command = commands.add_parser("audit", help="check many model folders and Hub repos into a report folder",
                                  description=AUDIT_DESCRIPTION, formatter_class=_RawDescriptionFormatter)
    command.add_argument("paths", nargs="*", metavar="PATH", help="folders to search for model cards")
    command.add_argument("--hub-author", metavar="ORG", help="every model of this Hub user or organisation")
    command.add_argument("--hub-search", metavar="QUERY", help="every Hub model whose id matches this search")
    command.add_argument("--out", metavar="DIR", required=True, help="the output folder (made if missing)")
    command.add_argument("--since", metavar="DIR", help="an earlier run's output folder: name the repos newly "
                         "failing, fixed and still failing")
    command.add_argument("--shard", metavar="I/N", help="check only the I-th of N shares (by a stable hash of "
                         "each id), for a CI matrix")
    command.add_argument("--jobs", type=int, metavar="N", help="workers (default: 8 threads for the Hub, and past "
                         "8, one process per 8 jobs up to one per CPU, the N threads split among them; for local "
                         "folders, one process per CPU)")
    command.add_argument("--threads", action="store_true",
                         help="check local folders in threads of this process instead of worker processes")
    command.add_argument("--profile", help="required-section profile, as for check (default: auto)")
    command.add_argument("--join", nargs="+", metavar="SHARD", help="check nothing: join the --out folders of "
                         "the jobs of a --shard matrix into one results.jsonl, summary.md and report.html")
    command.set_defaults(handler=run_audit)


_SUBCOMMANDS: dict[str, Callable[[Commands], None]] = {
    "validate": _add_validate,
    "facts": _add_facts,
    "schema": _add_schema,
    "rules": _add_rules,
    "sync": _add_sync,
    "check": _add_check,
    "init": _add_init,
    "install-hooks": _add_install_hooks,
    "push": _add_push,
    "audit": _add_audit,
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
    from cardguard import api

    _check_report_options(args)
    report = api.validate(args.paths, profile=args.profile, config=args.config, skip_non_cards=args.skip_non_cards,
                          fix=args.fix, timeout=_timeout(args))
    _say_skipped(args, report)
    _emit(_report(args, report))
    return report.exit_code(args.fail_on)


def run_facts(args: argparse.Namespace) -> int:
    from cardguard import api
    from cardguard.artifacts.format import facts_to_dict, format_facts_text
    from cardguard.findings import Severity

    facts = api.read_facts(args.path, hub_repo=args.hub_repo, hub_revision=args.hub_revision, timeout=_timeout(args))
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

    from cardguard.api import UsageError

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


def run_sync(args: argparse.Namespace) -> int:
    from cardguard import api
    from cardguard.report.formats import format_diff

    _check_report_options(args)
    if args.hub or args.create_pr or args.revision:
        return run_sync_hub(args)
    report = api.sync(args.paths, write=not args.check, add_missing=args.add_missing, profile=args.profile,
                      config=args.config, skip_non_cards=args.skip_non_cards, hub_repo=args.hub_repo,
                      hub_revision=args.hub_revision, timeout=_timeout(args))
    _say_skipped(args, report)
    _say_sync_outcome(report)
    shown_diff = format_diff("".join(report.diffs.values()))
    if args.format == "text" and not args.statistics:
        if report.findings:
            _emit(_report(args, report))
        _emit(shown_diff)
        return report.exit_code(args.fail_on)
    # A machine format is one document on stdout, even without findings; the diff goes into
    # the JSON document (``diffs``, as for check) and to stderr.
    _emit(_report(args, report))
    if report.diffs:
        sys.stderr.write(shown_diff)
    return report.exit_code(args.fail_on)


def _say_sync_outcome(report: Any) -> None:
    """One line on stderr per card sync rewrote, or could not rewrite."""
    for card in report.cards:
        if card.written:
            _say(f"cardguard: rewrote {card.path}")
        elif card.blocked:
            _say(f"cardguard: {card.path} not rewritten: fix its region markers first")


def run_check(args: argparse.Namespace) -> int:
    from cardguard import api
    from cardguard.report.formats import format_diff

    _check_report_options(args)
    report = api.check(args.paths, profile=args.profile, config=args.config, skip_non_cards=args.skip_non_cards,
                       fix=args.fix, hub_repo=args.hub_repo, hub_revision=args.hub_revision, timeout=_timeout(args))
    _say_skipped(args, report)
    _emit(_report(args, report))
    shown_diff = format_diff("".join(report.diffs.values()))
    if args.format == "text" and not args.statistics:
        _emit(shown_diff)
    elif report.diffs:
        sys.stderr.write(shown_diff)
    return report.exit_code(args.fail_on)  # drift is reported as findings: --fail-on decides, as for validate


def _check_report_options(args: argparse.Namespace) -> None:
    from cardguard.api import UsageError

    if args.statistics and args.format not in ("text", "json"):
        raise UsageError(f"--statistics prints text or json, not --format {args.format}")


def _report(args: argparse.Namespace, report: Any, fix_commands: dict[str, str] | None = None) -> str:
    """The findings in the chosen format; with --statistics, their count per rule instead;
    with --fix, what was fixed (text: ``fixed:`` lines first; json: its ``fixed`` list;
    github, sarif and json statistics: the ``fixed:`` lines on stderr, stdout being the report);
    for check and sync, the JSON document carries the diffs. ``fix_commands``: how the
    command spells a fixing command (see report.formats.fixable_line)."""
    from cardguard.report.formats import format_findings, format_fixed_text, format_statistics

    findings = report.findings
    fixed = report.fixed if getattr(args, "fix", False) else None
    if fixed and (args.format in ("github", "sarif") or (args.statistics and args.format == "json")):
        sys.stderr.write(format_fixed_text(fixed))
        fixed = None
    if args.statistics:
        shown = format_fixed_text(fixed) if fixed and args.format == "text" else ""
        return shown + format_statistics(findings, args.format)
    diffs = None if report.command == "validate" else report.diffs
    return format_findings(findings, args.format, use_colour(args.color, sys.stdout), len(report.cards), fixed, diffs,
                           _profile_notes(report), fix_commands)


def _profile_notes(report: Any) -> list[Any]:
    """The profiles `auto` chose, as the report shows them (a card whose profile was set, or
    that could not be checked, has none)."""
    from cardguard.report.formats import ProfileNote

    return [ProfileNote(card.path, card.profile_choice.profile, card.profile_choice.reason)
            for card in report.cards if card.profile_choice is not None]


def _say_skipped(args: argparse.Namespace, report: Any) -> None:
    """In text output, one line on stderr per README.md skipped as not a model card."""
    from cardguard.settings.targets import NOT_A_CARD

    if args.format == "text":
        for shown in report.skipped:
            _say(f"cardguard: {shown}: {NOT_A_CARD}")


def run_sync_hub(args: argparse.Namespace) -> int:
    """``sync --hub ORG/NAME [--revision R] [--create-pr]``: the Hub repo's card synced in a
    temporary folder; its diff printed; with --create-pr, proposed as a Hub pull request."""
    from cardguard import api
    from cardguard.escape import escape_text
    from cardguard.report.formats import format_diff

    _refuse_with_hub(args)
    result = api.sync_hub(args.hub, revision=args.revision, create_pr=args.create_pr, add_missing=args.add_missing,
                          profile=args.profile, config=args.config, timeout=_timeout(args))
    report = result.report
    if report.findings or args.format != "text":
        _emit(_report(args, report))
    shown_diff = format_diff("".join(report.diffs.values()))
    if args.format == "text":
        _emit(shown_diff)
    else:  # stdout holds the one machine-readable document
        sys.stderr.write(shown_diff)
    failing = EXIT_FINDINGS if any(card.fails(args.fail_on) for card in report.cards) else EXIT_OK
    where = f"hf://{result.repo_id}@{result.commit}" if result.commit else f"hf://{result.repo_id}"
    blocked = [card.path for card in report.cards if card.blocked]
    if blocked:
        _say(f"cardguard: {blocked[0]} not synced: fix its region markers first")
    if not result.changed:
        if not failing and not blocked:
            _say(f"cardguard: {where}: the card is in sync; nothing to propose")
        return failing
    if result.pr_url is None:
        _say(f"cardguard: {where}: sync would change {', '.join(result.changed)}; "
             "add --create-pr to propose it as a Hub pull request")
        return EXIT_FINDINGS
    opened = "already proposed in open pull request" if result.already_proposed else "opened pull request"
    if args.format == "text":
        _emit(f"{opened} {escape_text(result.pr_url)}\n")
    else:  # the JSON (SARIF...) document stays alone on stdout
        _say(f"cardguard: {opened} {result.pr_url}")
    return failing


def _refuse_with_hub(args: argparse.Namespace) -> None:
    """The options ``sync --hub`` cannot take, each a usage error before any request."""
    from cardguard.api import UsageError

    if not args.hub:
        raise UsageError("--create-pr and --revision go with --hub ORG/NAME")
    if args.paths:
        raise UsageError("--hub syncs a Hub repo's card: give no PATH beside it")
    if args.hub_repo or args.hub_revision:
        raise UsageError("--hub reads the weights from that repo itself: leave out --hub-repo and --hub-revision")
    if args.check and args.create_pr:
        raise UsageError("--check writes nothing: leave out --create-pr")


def run_push(args: argparse.Namespace) -> int:
    """``push DIR ORG/NAME``: the check's findings printed as check prints them; then what was
    uploaded (or would be, or nothing: refused)."""
    from cardguard import api
    from cardguard.escape import escape_text
    from cardguard.report.formats import FIX_OPTION, format_diff
    from cardguard.rules.unsynced import SYNC

    result = api.push(args.folder, args.repo_id, revision=args.revision, create_pr=args.create_pr,
                      sync_first=args.sync, fix=args.fix, dry_run=args.dry_run, fail_on=args.fail_on,
                      commit_message=args.commit_message, profile=args.profile, config=args.config,
                      timeout=_timeout(args))
    if result.synced is not None:
        _say_sync_outcome(result.synced)
    # what fixes a finding, said with push's own options
    _emit(_report(args, result.report, {FIX_OPTION: "cardguard push --fix", SYNC: "cardguard push --sync"}))
    _emit(format_diff("".join(result.report.diffs.values())))
    if result.refused:
        _say(f"cardguard: push refused: {args.folder} fails the check; nothing was sent to {args.repo_id}")
        return EXIT_FINDINGS
    if result.dry_run:
        total = sum(item.size for item in result.files)
        listing = "".join(f"{item.size:>14}  {escape_text(item.path)}\n" for item in result.files)
        _emit(f"would upload {len(result.files)} files ({total} bytes) to {args.repo_id}:\n{listing}")
        return EXIT_OK
    if result.pr_url:
        _emit(f"opened pull request {escape_text(result.pr_url)}\n")
    else:
        _emit(f"uploaded {len(result.files)} files to {args.repo_id}: {escape_text(result.commit_url or '')}\n")
    return EXIT_OK


def run_init(args: argparse.Namespace) -> int:
    from cardguard import api

    written = api.init(args.path, timeout=_timeout(args))
    _say(f"cardguard: wrote {written}; fill in the parts marked [More Information Needed]")
    return EXIT_OK


def run_audit(args: argparse.Namespace) -> int:
    """``audit``: progress on stderr while it runs; where the results are, at the end."""
    from cardguard import api
    from cardguard.report.progress import Progress

    if args.join:
        return run_audit_join(args)
    progress = Progress(sys.stderr)
    try:
        result = api.audit(args.paths, out=args.out, hub_author=args.hub_author, hub_search=args.hub_search,
                           jobs=args.jobs, shard=args.shard, since=args.since, profile=args.profile,
                           threads=args.threads, progress=progress.update)
    finally:
        progress.close()
    totals = result.totals
    _say(f"cardguard audit: {totals.repos} repos, {totals.failing} failing ({totals.unreadable} unreadable, "
         f"{totals.cached} from cache); {os.path.join(args.out, 'results.jsonl')}, "
         f"{os.path.join(args.out, 'summary.md')}, {os.path.join(args.out, 'report.html')}")
    return result.exit_code()


# what --join cannot be given: it checks nothing, it joins what the shards' runs checked
CHECKING_OPTIONS = {"paths": "PATH", "hub_author": "--hub-author", "hub_search": "--hub-search", "shard": "--shard",
                    "jobs": "--jobs", "threads": "--threads", "profile": "--profile"}


def run_audit_join(args: argparse.Namespace) -> int:
    """``audit --join SHARD ... --out DIR``: the shards' results as one run's."""
    from cardguard import api

    given = [option for name, option in CHECKING_OPTIONS.items() if _given(getattr(args, name))]
    if given:
        raise api.UsageError(f"--join checks nothing, it joins the shards' results: leave out {', '.join(given)}")
    result = api.join_audits(args.join, out=args.out, since=args.since)
    totals = result.totals
    _say(f"cardguard audit: joined {len(args.join)} shards: {totals.repos} repos, {totals.failing} failing "
         f"({totals.unreadable} unreadable); {os.path.join(args.out, 'results.jsonl')}, "
         f"{os.path.join(args.out, 'summary.md')}, {os.path.join(args.out, 'report.html')}")
    return result.exit_code()



def _given(value: object) -> bool:
    """An option given on the command line: not its default (None, [] or False; ``--jobs 0`` is given)."""
    return value is not None and value is not False and value != []


if __name__ == "__main__":
    raise SystemExit(main())
