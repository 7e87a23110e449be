"""Near misses of the ``---`` lines that open and close a card's metadata block (CG013).

The Hub finds a card's metadata with one pattern (huggingface_hub's ``REGEX_YAML_BLOCK``,
quoted in card/reader.py): the first non-blank line must be exactly ``---`` followed by a line
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

A near miss counts as meant for a delimiter only when the lines it encloses are a YAML
mapping, so a thematic break (``----``) above Markdown is not one.
"""

from __future__ import annotations

import re

from cardguard import codes
from cardguard.findings import Finding
from cardguard.lines import LineIndex, strip_break
from cardguard.card.yamlpos import parse_yaml
from cardguard.record import Record

# Characters an editor's autocorrect or a copy from a rich-text document puts where '-' was.
_DASH_LOOKALIKES = {
    "\u2010": "HYPHEN", "\u2011": "NON-BREAKING HYPHEN", "\u2012": "FIGURE DASH",
    "\u2013": "EN DASH", "\u2014": "EM DASH", "\u2015": "HORIZONTAL BAR", "\u2212": "MINUS SIGN",
    "\ufe58": "SMALL EM DASH", "\ufe63": "SMALL HYPHEN-MINUS", "\uff0d": "FULLWIDTH HYPHEN-MINUS",
}
# The start of a delimiter-like line: after optional indentation, two dashes, '...' or a dash
# look-alike. Not one dash: YAML list items ('- a') would crowd out the lines looked for.
_CANDIDATE_LINE = re.compile(
    r"(?:^|(?<=[\r\n]))[ \t]*(?:--|\.\.\.|[" + "".join(_DASH_LOOKALIKES) + "])"
)
_SHOWN_CHARACTERS = 40
_OPENING_CHARACTERS = frozenset("-").union(_DASH_LOOKALIKES)  # what a near-miss opening line starts with
_NEAR_MISS_CANDIDATES = 200  # delimiter-like lines looked at for a near-miss closing line
_NEAR_MISS_PARSES = 5  # of which at most this many have the lines above them parsed as YAML


class NearMiss(Record, frozen=True):
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
    lookalikes = sorted({character for character in core if character in _DASH_LOOKALIKES})
    if lookalikes and all(character == "-" or character in _DASH_LOOKALIKES for character in core):
        names = ", ".join(f"U+{ord(character):04X} {_DASH_LOOKALIKES[character]}" for character in lookalikes)
        return NearMiss(f"this line is made of {names}, not the ASCII hyphens of '---' "
                        "(an editor's autocorrect?)", "type '---' with the '-' key")
    return None


def missing_block_near_misses(text: str, path: str) -> list[Finding]:
    """CG013 findings when a card (``text``, without BOM) has no metadata for the Hub only
    because its opening or closing line is a near miss of '---' around a YAML mapping."""
    first_offset = len(text) - len(text.lstrip())
    if first_offset == len(text) or text[first_offset] not in _OPENING_CHARACTERS:
        return []
    lines = LineIndex(text)
    opening_line = lines.line_of(first_offset)
    opening_text = lines.line_text(opening_line)
    opening_problem = opening_near_miss(opening_text)
    if opening_problem is None and opening_text.strip(" \t") != "---":
        return []
    closing = _enclosing_closing_line(lines, opening_line, _metadata_on_opening_line(opening_text),
                                      accept_exact=opening_problem is not None)
    if closing is None:
        return []
    closing_line, closing_problem = closing
    findings = []
    if opening_problem is not None:
        findings.append(_near_miss_finding(path, opening_line, opening_problem, "so it reads none of this metadata"))
    if closing_problem is not None:
        findings.append(_near_miss_finding(path, closing_line, closing_problem,
                                           "so it finds no end to the metadata block and reads none of it"))
    return findings


def _metadata_on_opening_line(opening_text: str) -> str:
    """'license: mit' of '--- license: mit': what the author wrote after the dashes and a space."""
    core = opening_text.strip(" \t")
    return core[3:].lstrip(" \t") if core.startswith("---") and core[3:4] in (" ", "\t") else ""


def _enclosing_closing_line(lines: LineIndex, opening_line: int, first_yaml: str,
                            accept_exact: bool) -> tuple[int, NearMiss | None] | None:
    """The first delimiter-like line below ``opening_line`` that closes a YAML mapping: its
    line and its near-miss problem (None for a '---' the Hub accepts, when ``accept_exact``)."""
    text = lines.text
    body_start = lines.line_end(opening_line)
    parses = 0
    for candidates, match in enumerate(_CANDIDATE_LINE.finditer(text, body_start)):
        if candidates >= _NEAR_MISS_CANDIDATES or parses >= _NEAR_MISS_PARSES:
            return None
        line = lines.line_of(match.start())
        problem = closing_near_miss(lines.line_text(line), _line_break(lines, line))
        if problem is None and not (accept_exact and lines.line_text(line).rstrip(" \t") == "---"):
            continue
        parses += 1
        if _is_mapping(first_yaml + "\n" + text[body_start:lines.line_start(line)]):
            return line, problem
    return None


def read_past_near_misses(text: str, path: str, yaml_start: int, yaml_end: int, closing_line: int) -> list[Finding]:
    """CG013 when the Hub's metadata block (``text[yaml_start:yaml_end]``, closed on
    ``closing_line``) runs past a near-miss closing line at the start of a line (``----``,
    ``...``) into the body, which is why its YAML does not parse."""
    lines = LineIndex(text)
    parses = 0
    for candidates, candidate in enumerate(_CANDIDATE_LINE.finditer(text, yaml_start, yaml_end)):
        if candidates >= _NEAR_MISS_CANDIDATES or parses >= _NEAR_MISS_PARSES:
            break
        if text[candidate.start()] in " \t":
            continue  # indented: may be the content of a block scalar
        line = lines.line_of(candidate.start())
        problem = closing_near_miss(lines.line_text(line), _line_break(lines, line))
        if problem is None:
            continue
        parses += 1
        if _is_mapping(text[yaml_start:lines.line_start(line)]):
            return [_near_miss_finding(path, line, problem,
                                       f"so it reads on to the '---' on line {closing_line} and takes the "
                                       "text between as metadata")]
    return []


def _near_miss_finding(path: str, line: int, problem: NearMiss, consequence: str) -> Finding:
    return codes.finding("CG013", path, line, 1, f"{problem.problem}, {consequence}", problem.fix)


def _line_break(lines: LineIndex, line: int) -> str:
    """The break ending ``line``: "\\r\\n", "\\r", "\\n", or "" for the last line."""
    whole = lines.text[lines.line_start(line):lines.line_end(line)]
    return whole[len(strip_break(whole)):]


def _is_mapping(yaml_text: str) -> bool:
    doc = parse_yaml(yaml_text, "")
    return doc.ok and isinstance(doc.value, dict) and bool(doc.value)
