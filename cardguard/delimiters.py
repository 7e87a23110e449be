"""Near misses of the ``---`` lines that open and close a card's metadata block (CG013).

The Hub finds a card's metadata with one pattern (huggingface_hub's ``REGEX_YAML_BLOCK``,
copied in card.py): the first non-blank line must be exactly ``---`` followed by a line
break; the block ends at the first later line that is ``---`` at the start of the line,
followed only by spaces or tabs and then LF, CRLF or the end of the file. A line a person
reads as a delimiter but the pattern does not makes the Hub drop the whole block, or read
on into the Markdown body. The near misses told apart here:

- the opening ``---`` followed by spaces or tabs (allowed on the closing line only);
- two, four or more dashes (``--``, ``----``);
- text after the dashes (``---hello``, ``--- license: mit``);
- dash look-alikes (``———``, ``–––``: an editor's autocorrect);
- an indented closing ``---``;
- YAML's document end marker ``...`` as the closing line;
- a closing ``---`` ended by a lone CR (classic Mac line endings) with text after it.

Only the classification lives here; card.py decides when a near miss was meant as a
delimiter (the lines it encloses are a YAML mapping) and reports it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Characters an editor's autocorrect or a copy from a rich-text document puts where '-' was.
DASH_LOOKALIKES = {
    "\u2010": "HYPHEN", "\u2011": "NON-BREAKING HYPHEN", "\u2012": "FIGURE DASH",
    "\u2013": "EN DASH", "\u2014": "EM DASH", "\u2015": "HORIZONTAL BAR", "\u2212": "MINUS SIGN",
    "\ufe58": "SMALL EM DASH", "\ufe63": "SMALL HYPHEN-MINUS", "\uff0d": "FULLWIDTH HYPHEN-MINUS",
}
# Where a delimiter-like line may begin: its first character after optional indentation.
CANDIDATE_LINE = re.compile(
    r"(?:^|(?<=[\r\n]))[ \t]*(?:-|\.\.\.|[" + "".join(DASH_LOOKALIKES) + "])"
)
_SHOWN_CHARACTERS = 40


@dataclass(frozen=True)
class NearMiss:
    """Why a line is not the delimiter it looks like, and how to write it."""

    problem: str
    fix: str


def opening_near_miss(line: str) -> NearMiss | None:
    """Why ``line`` (the card's first non-blank line, without its break) does not open the
    Hub's metadata block although it looks like it should; None when it is not delimiter-like
    or is the delimiter itself."""
    core = line.strip(" \t")
    if core == "---":
        if line != line.rstrip(" \t"):
            return NearMiss(
                "the opening '---' is followed by spaces or tabs: the Hub accepts them after the closing "
                "'---' but not after the opening one", "delete the spaces or tabs after '---' on this line")
        return None
    return _shape_near_miss(core)


def closing_near_miss(line: str, line_break: str) -> NearMiss | None:
    """Why ``line`` (without its break ``line_break``, "" at the end of the text) does not
    close the Hub's metadata block although it looks like it should; None when it is not
    delimiter-like or is a closing delimiter the Hub accepts."""
    core = line.strip(" \t")
    if core == "---":
        if line[:1] in (" ", "\t"):
            return NearMiss("the closing '---' is indented: the Hub ends the metadata only at a '---' "
                            "at the start of a line", "remove the spaces or tabs before '---'")
        if line_break == "\r":
            return NearMiss(
                "this '---' ends with a lone carriage return (classic Mac line endings): the Hub ends the "
                "metadata only at a '---' followed by LF, CRLF or the end of the file",
                "save the file with LF (or CRLF) line endings")
        return None
    if core == "...":
        return NearMiss("'...' ends a YAML document, but the Hub ends the metadata block only at a '---' line",
                        "write '---' instead of '...'")
    return _shape_near_miss(core)


def _shape_near_miss(core: str) -> NearMiss | None:
    """The near misses shared by both delimiters: the wrong number of dashes, text after the
    dashes, dash look-alikes. ``core`` is the line without surrounding spaces or tabs."""
    if len(core) >= 2 and core.strip("-") == "":
        return NearMiss(f"'{core[:_SHOWN_CHARACTERS]}' has {len(core)} dashes: the Hub's metadata delimiter "
                        "is exactly three ('---')", "write '---'")
    if core.startswith("---"):
        rest = core[3:].strip(" \t")
        shown = core[:_SHOWN_CHARACTERS]
        if core[3] in " \t":
            return NearMiss(f"'{shown}' has text after the '---': the Hub needs '---' alone on its line",
                            f"move {rest[:_SHOWN_CHARACTERS]!r} to a line of its own below '---'")
        return NearMiss(f"'{shown}' is not '---': the Hub needs '---' alone on its line", "write '---'")
    lookalikes = sorted({character for character in core if character in DASH_LOOKALIKES})
    if lookalikes and all(character == "-" or character in DASH_LOOKALIKES for character in core):
        names = ", ".join(f"U+{ord(character):04X} {DASH_LOOKALIKES[character]}" for character in lookalikes)
        return NearMiss(f"this line is made of {names}, not the ASCII hyphens of '---' "
                        "(an editor's autocorrect?)", "type '---' with the '-' key")
    return None
