"""The ``cardguard`` command: argument parsing and wiring only.

Exit codes: 0 clean, 1 findings at or above --fail-on (or a file rewritten), 2 usage or I/O error.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Callable, Sequence, TextIO

from cardguard import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2

_DESCRIPTION = """\
Keep Hugging Face model cards valid and true to their checkpoint.

commands:
  validate   check card metadata against the Hub's rules and required sections
  facts      show what the checkpoint files next to a card say (parameters, training, ...)
  schema     print the JSON Schema cardguard validates metadata with
  rules      list every rule code with its severity and whether the Hub rejects it
  install-hooks  install plain git hooks (pre-commit, pre-push) that run cardguard

Exit codes: 0 no findings at or above --fail-on, 1 findings, 2 usage or I/O error.
Configuration: [tool.cardguard] in pyproject.toml or .cardguard.toml (see README).
"""


class UsageError(Exception):
    """Printed as one line on stderr; exit code 2."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # the one place where failures become a single line
        return _report_error(error)


def _report_error(error: Exception) -> int:
    from cardguard.config import ConfigError
    from cardguard.install_hooks import InstallError
    from cardguard.targets import TargetError

    if isinstance(error, (UsageError, ConfigError, TargetError, InstallError)):
        print(f"cardguard: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    if isinstance(error, OSError):
        print(f"cardguard: error: {error.filename or ''}: {error.strerror or error}".replace(": : ", ": "), file=sys.stderr)
        return EXIT_USAGE
    if os.environ.get("CARDGUARD_DEBUG"):
        raise error
    print(
        f"cardguard: internal error: {type(error).__name__}: {error} "
        "(please report it; set CARDGUARD_DEBUG=1 for a traceback)",
        file=sys.stderr,
    )
    return EXIT_USAGE


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cardguard", description=_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"cardguard {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    _add_validate(commands)
    _add_facts(commands)
    _add_schema(commands)
    _add_rules(commands)
    _add_install_hooks(commands)
    return parser


def _add_common_card_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "paths", nargs="*", metavar="PATH",
        help="cards (README.md), model folders, or any file inside a model folder; default: the current folder",
    )
    command.add_argument("--profile", help="required-section profile: hub (default), trainer, sentence-transformers, peft, minimal")
    command.add_argument("--config", metavar="FILE", help="configuration file to use instead of searching for one")
    command.add_argument("--format", choices=("text", "json", "github", "sarif"), default="text", help="output format (default: text)")
    command.add_argument(
        "--fail-on", choices=("error", "warning", "info", "never"), default=None,
        help="lowest severity that makes the exit code 1 (default: error, or fail-on from the configuration)",
    )
    command.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                         help="colour in text output (auto: when stdout is a terminal and NO_COLOR is unset)")


def _add_validate(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "validate", help="check metadata and sections of model cards",
        description="Check model card metadata against the Hub's rules and the required sections of a profile.",
    )
    _add_common_card_options(command)
    command.set_defaults(handler=run_validate)


def _add_facts(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "facts", help="show what the checkpoint files in a model folder say",
        description="Read the checkpoint files of a model folder (headers only, never running code) and print the facts found.",
    )
    command.add_argument("path", nargs="?", default=".", metavar="DIR", help="model folder (default: the current folder)")
    command.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    command.set_defaults(handler=run_facts)


def _add_schema(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser("schema", help="print the model card metadata JSON Schema",
                                  description="Print the JSON Schema (draft 2020-12) used for card metadata.")
    command.set_defaults(handler=run_schema)


def _add_rules(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser("rules", help="list every rule code", description="List every rule code cardguard reports.")
    command.add_argument("--format", choices=("text", "markdown"), default="text")
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


def use_colour(choice: str, stream: TextIO) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return hasattr(stream, "isatty") and stream.isatty()


def run_validate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from cardguard.config import check_profile
    from cardguard.findings import Severity
    from cardguard.report import format_findings
    from cardguard.targets import find_targets
    from cardguard.validate import ConfigCache, Options, validate_target

    if args.profile:
        check_profile(args.profile)
    if args.config and not Path(args.config).is_file():
        raise UsageError(f"--config {args.config}: no such file")
    configs = ConfigCache(Options(config_file=Path(args.config) if args.config else None, profile=args.profile))
    findings = []
    failing = False
    targets = find_targets(args.paths)
    for target in targets:
        result = validate_target(target, configs)
        findings.extend(result.findings)
        fail_on = Severity.parse(args.fail_on) if args.fail_on and args.fail_on != "never" else result.settings.fail_on
        if args.fail_on != "never" and any(item.severity >= fail_on for item in result.findings):
            failing = True
    output = format_findings(findings, args.format, use_colour(args.color, sys.stdout), files_checked=len(targets))
    sys.stdout.write(output)
    return EXIT_FINDINGS if failing else EXIT_OK


def run_facts(args: argparse.Namespace) -> int:
    from pathlib import Path

    from cardguard.artifacts import read_facts
    from cardguard.artifacts.format import facts_to_dict, format_facts_text
    from cardguard.findings import Severity

    folder = Path(args.path)
    if not folder.is_dir():
        raise UsageError(f"{args.path}: not a folder")
    facts = read_facts(folder)
    if args.format == "json":
        import json

        sys.stdout.write(json.dumps(facts_to_dict(facts), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(format_facts_text(facts))
    return EXIT_FINDINGS if any(item.severity >= Severity.ERROR for item in facts.findings) else EXIT_OK


def run_schema(args: argparse.Namespace) -> int:
    from cardguard.resources import data_dir

    sys.stdout.write((data_dir("schemas") / "model-card-metadata.schema.json").read_text(encoding="utf-8"))
    return EXIT_OK


def run_rules(args: argparse.Namespace) -> int:
    from cardguard.rules_doc import rules_markdown, rules_text

    render: Callable[[], str] = rules_markdown if args.format == "markdown" else rules_text
    sys.stdout.write(render())
    return EXIT_OK


def run_install_hooks(args: argparse.Namespace) -> int:
    from cardguard.install_hooks import hooks_dir, install

    names = ["pre-commit", "pre-push"] if args.pre_push else ["pre-commit"]
    for item in install(names, hooks_dir(), force=args.force):
        print(f"{item.name}: {item.action} ({item.path})")
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
