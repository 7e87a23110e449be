"""Colour in text output: --color always|never as asked; under auto, NO_COLOR (no-color.org)
before FORCE_COLOR (force-color.org) before "is stdout a terminal"."""

from __future__ import annotations

from pathlib import Path

import pytest

from cardguard.cli import main, use_colour

BAD_CARD = """---
license: Apache-2.0
library_name: transformers
---
# tiny
"""

ANSI = "\033["


class Terminal:
    def isatty(self) -> bool:
        return True


class Pipe:
    def isatty(self) -> bool:
        return False


def set_environment(monkeypatch: pytest.MonkeyPatch, no_color: str | None, force_color: str | None) -> None:
    for name, value in (("NO_COLOR", no_color), ("FORCE_COLOR", force_color)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)


# (--color, NO_COLOR, FORCE_COLOR, stdout is a terminal, colour expected); None: variable unset.
CASES = [
    ("auto", None, None, True, True),
    ("auto", None, None, False, False),
    ("auto", None, "1", False, True),      # FORCE_COLOR colours a pipe (CI logs)
    ("auto", None, "0", False, True),      # "regardless of its value" (force-color.org)
    ("auto", None, "", False, False),      # an empty value is unset
    ("auto", "1", None, True, False),
    ("auto", "1", "1", False, False),      # NO_COLOR wins over FORCE_COLOR
    ("auto", "1", "1", True, False),
    ("auto", "", "1", False, True),        # an empty NO_COLOR is unset
    ("auto", "", None, True, True),
    ("always", "1", None, False, True),    # the command line turns colour back on
    ("always", None, None, False, True),
    ("never", None, "1", True, False),     # the command line turns it off
    ("never", None, None, True, False),
]


@pytest.mark.parametrize(("choice", "no_color", "force_color", "terminal", "expected"), CASES)
def test_colour_decision(choice: str, no_color: str | None, force_color: str | None, terminal: bool, expected: bool,
                         monkeypatch: pytest.MonkeyPatch) -> None:
    set_environment(monkeypatch, no_color, force_color)
    assert use_colour(choice, Terminal() if terminal else Pipe()) is expected


@pytest.mark.parametrize(("force_color", "no_color", "expected"), [("1", None, True), ("1", "1", False), (None, None, False)])
def test_force_color_colours_the_cli_output_into_a_pipe(force_color: str | None, no_color: str | None, expected: bool,
                                                        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "README.md").write_text(BAD_CARD, encoding="utf-8")
    set_environment(monkeypatch, no_color, force_color)
    assert main(["validate", "--profile", "minimal", "README.md"]) == 1
    assert (ANSI in capsys.readouterr().out) is expected
