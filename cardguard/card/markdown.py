"""The Markdown body of a card as cardguard needs it: headings and the sections under them.

Only what renders counts: lines inside fenced code blocks and inside HTML comments are never
headings (sentence-transformers comments out whole sections that way). ATX (``## Title``)
and setext (``Title`` over ``===`` / ``---``) headings are both recognised, as the Hub's
renderer does.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Iterator
from itertools import compress, islice

from cardguard.lines import split_lines, to_lf
from cardguard.record import Record, factory

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_NOT_PARAGRAPH = re.compile(r"^\s*([-*+>|<]|\d+[.)]\s|#|$)|^( {4}|\t)")
_OPTIONAL = re.compile(r"\[\s*optional\s*\]", re.IGNORECASE)
_EMPHASIS = re.compile(r"[*_`]+")


class Heading(Record):
    level: int
    title: str
    line: int  # 1-based line in the whole file
    key: str = factory(str, compare=False)  # normalize_title(title), filled in when built

    def __init__(self, level: int, title: str, line: int, key: str = "") -> None:
        # Written out rather than Record's generic one: a batch makes headings by the thousand
        # (~6,300 a corpus pass). Not frozen, as Section: nothing changes a heading once built,
        # and a frozen record's fields can only go through its __dict__ (the refusing
        # __setattr__ is in the way), which costs twice plain attributes (callgrind: a 4-field
        # record ~4.5 k instructions made and dropped, against ~2.7 k) and a dict per heading.
        self.level = level
        self.title = title
        self.line = line
        self.key = key or normalize_title(title)


class Section(Record):
    """A heading and everything under it up to the next heading of the same or higher level."""

    heading: Heading
    first_line: int  # first line after the heading
    last_line: int  # last line of the section, subsections included
    own_last_line: int  # last line before the first subsection
    _body_lines: list[str]
    _visible: list[bool]
    _body_first_line: int

    def __init__(self, heading: Heading, first_line: int, last_line: int, own_last_line: int,
                 _body_lines: list[str], _visible: list[bool], _body_first_line: int) -> None:
        # Written out: one per heading of every card in a batch. Callgrind, instructions per
        # section made and dropped: 9.8 k through Record's generic positional path, 6.6 k with
        # self.__dict__.update(heading=heading, ...), 3.6 k as plain attributes (a Section is
        # not frozen).
        self.heading = heading
        self.first_line = first_line
        self.last_line = last_line
        self.own_last_line = own_last_line
        self._body_lines = _body_lines
        self._visible = _visible
        self._body_first_line = _body_first_line

    @functools.cached_property
    def text(self) -> str:
        """The visible lines of the section, subsections included (HTML comments left out)."""
        return "\n".join(self.visible_lines())

    def visible_lines(self) -> Iterator[str]:
        """The lines of :attr:`text`, one by one: a caller that stops at the first line it
        wants (is the section empty?) does not join a long section."""
        return _visible_lines(self._body_lines, self._body_first_line, self._visible, self.first_line, self.last_line)

    @functools.cached_property
    def own_text(self) -> str:
        """The visible lines before the first subsection."""
        return _visible_text(self._body_lines, self._body_first_line, self._visible, self.first_line, self.own_last_line)


class Body(Record, frozen=True):
    lines: list[str]  # the body's lines, without line endings
    first_line: int  # the file line of lines[0]
    visible: list[bool]  # per line: False inside code fences' delimiters or HTML comments
    in_code: list[bool]  # per line: inside a fenced code block (content lines)
    headings: list[Heading]
    sections: list[Section]
    lf_text: str = ""  # the body with every line break written as "\n": one text to search

    @functools.cached_property
    def heading_keys(self) -> frozenset[str]:
        """The normalized titles of the headings: worked out once per card, then matched
        against every profile's layouts."""
        return frozenset(heading.key for heading in self.headings)

    @functools.cached_property
    def section_by_key(self) -> dict[str, Section]:
        """The first section under each normalized title."""
        first: dict[str, Section] = {}
        for section in self.sections:
            first.setdefault(section.heading.key, section)
        return first


# Titles repeat across a batch of cards (every Trainer card has "Training procedure"): the key
# of a title is worked out once. It depends on the title alone.
@functools.lru_cache(maxsize=4096)
def normalize_title(title: str) -> str:
    """The form in which headings are compared: case, `[optional]`, markup, punctuation,
    HTML entities (``&amp;``) and decoration (emoji, symbols such as ``★`` or ``→``) ignored."""
    text = _OPTIONAL.sub("", title) if "[" in title else title
    if "*" in text or "_" in text or "`" in text:
        text = _EMPHASIS.sub("", text)
    if "&" in text and ";" in text:  # an entity (&amp; &#38;), not a plain "&" as in "Uses & limitations"
        import html  # off the cold path: few titles hold an entity, and html loads its entity table

        text = html.unescape(text)
    if not text.isascii():
        text = "".join(char for char in text if not _is_decoration(char))
    # str.split() and re's \s both split at what str.isspace() calls whitespace.
    text = " ".join(text.split()).lower()
    return text.rstrip(" .:!?;,")


# Emoji come with joiners and variation selectors (U+200D, U+FE0F) that are format or mark
# characters; keycaps (1️⃣) add U+20E3. ASCII symbols (+, <, $ ...) stay: they are words in titles.
_EMOJI_PARTS = frozenset("\u200d\ufe0e\ufe0f\u20e3")


def _is_decoration(char: str) -> bool:
    """True for a non-ASCII symbol (Unicode categories S*: emoji, arrows, stars) or a part of
    an emoji sequence."""
    return not char.isascii() and (unicodedata.category(char).startswith("S") or char in _EMOJI_PARTS)


def parse_body(body: str, first_line: int) -> Body:
    lines = split_lines(body)
    lf_text = to_lf(body) if "\r" in body else body
    visible, in_code = _classify_lines(lines, lf_text)
    headings, setext_lines = _find_headings(lines, first_line, visible, in_code)
    sections = _build_sections(lines, first_line, visible, headings, setext_lines)
    return Body(lines, first_line, visible, in_code, headings, sections, lf_text)


def occurrences(text: str, word: str) -> list[int]:
    """Where ``word`` starts in ``text``, each place. A list, not a generator: it runs ~15
    times a card and finds nothing most times, where a generator is an object made each time."""
    found: list[int] = []
    position = text.find(word)
    while position != -1:
        found.append(position)
        position = text.find(word, position + 1)
    return found


def line_indices(text: str, positions: Iterable[int]) -> list[int]:
    """The 0-based index of the line of ``text`` (lines end at "\n") holding each of
    ``positions``: sorted, each index once. Line breaks are counted between one position and the
    next, so the text is read once however many positions there are."""
    indices: list[int] = []
    line, counted_to = 0, 0
    for position in sorted(positions):
        line += text.count("\n", counted_to, position)
        counted_to = position
        if not indices or indices[-1] != line:
            indices.append(line)
    return indices


# A line that opens or closes a code fence or an HTML comment holds one of these marks. Each is
# looked for only in a text holding its character: a one-character search costs next to nothing,
# a longer one reads the whole text. ("-->" matters only after a "<!--".)
_BLOCK_MARKS = (("```", "`"), ("~~~", "~"), ("<!--", "<"), ("-->", "<"))


def _classify_lines(lines: list[str], lf_text: str) -> tuple[list[bool], list[bool]]:
    """Mark which lines are outside HTML comments, and which are inside code fences.

    Only the lines holding a fence or comment mark can change the state (in a fence, in a
    comment, neither); the lines between two of them share the state and are marked a run at
    a time."""
    # Every line starts visible and outside code; only the lines that are not get marked.
    visible = [True] * len(lines)
    in_code = [False] * len(lines)
    positions: list[int] = []
    for mark, character in _BLOCK_MARKS:
        if character in lf_text:
            positions.extend(occurrences(lf_text, mark))
    marked = line_indices(lf_text, positions)
    state = _BlockState()
    after_previous = 0  # the first line after the previous marked line
    for index in [*marked, len(lines)]:
        if state.fence is not None:
            in_code[after_previous:index] = [True] * (index - after_previous)
        elif state.in_comment:
            visible[after_previous:index] = [False] * (index - after_previous)
        if index < len(lines):
            state.read(lines[index], index, visible, in_code)
        after_previous = index + 1
    return visible, in_code


class _BlockState:
    """Whether the lines read so far left a code fence (and which) or an HTML comment open."""

    def __init__(self) -> None:
        self.fence: str | None = None
        self.in_comment = False

    def read(self, line: str, index: int, visible: list[bool], in_code: list[bool]) -> None:
        """Mark ``line`` (at ``index``) and move past it."""
        fence = self.fence
        if fence is not None:
            # A closing fence holds three of the opening's characters: most code lines skip the regex.
            closing = _FENCE.match(line) if fence[:3] in line else None
            if closing and closing.group(1)[0] == fence[0] and len(closing.group(1)) >= len(fence) and not closing.group(2).strip():
                self.fence = None
            else:
                in_code[index] = True
            return
        if self.in_comment:
            visible[index] = False
            if "-->" in line:
                self.in_comment = False
            return
        if "```" not in line and "~~~" not in line and "<!--" not in line:
            return  # a line of prose: neither opens a fence nor a comment
        opening = _FENCE.match(line) if ("```" in line or "~~~" in line) else None
        if opening and not (opening.group(1)[0] == "`" and "`" in opening.group(2)):
            self.fence = opening.group(1)
            return
        stripped = line.lstrip()
        if stripped.startswith("<!--") and "-->" not in stripped[4:]:
            self.in_comment = True
            visible[index] = False
        elif stripped.startswith("<!--") and stripped.rstrip().endswith("-->"):
            visible[index] = False


# The first character of a line that may be an ATX heading or a setext underline (which may
# be indented by up to three spaces).
_HEADING_OR_UNDERLINE_STARTS = frozenset("#=- ")


def _find_headings(
    lines: list[str], first_line: int, visible: list[bool], in_code: list[bool]
) -> tuple[list[Heading], set[int]]:
    """The headings, and the file lines of those written in setext style."""
    headings: list[Heading] = []
    setext_lines: set[int] = set()
    for index in _candidate_lines(lines):
        if not visible[index] or in_code[index]:
            continue
        line = lines[index]
        content = line.lstrip(" ")
        if content.startswith("#"):
            atx = parse_atx(line)
            if atx is not None:
                level, title = atx
                headings.append(Heading(level, title, first_line + index))
        elif content[:1] in ("=", "-") and _is_run_of_one(content.rstrip(" \t")) and index > 0 and _is_setext_underline(
            lines, index, visible, in_code, headings, first_line
        ):
            level = 1 if line.strip().startswith("=") else 2
            headings.append(Heading(level, lines[index - 1].strip(), first_line + index - 1))
            setext_lines.add(first_line + index - 1)
    return headings, setext_lines


def _is_run_of_one(text: str) -> bool:
    """True for a non-empty run of '=' or of '-' (a setext underline, spaces aside)."""
    return text[:1] in ("=", "-") and not text.strip(text[0])


def _candidate_lines(lines: list[str]) -> list[int]:
    """Indices of the lines that may be an ATX heading or a setext underline: one cheap test
    per line, the full one only for these."""
    return [index for index, line in enumerate(lines) if line[:1] in _HEADING_OR_UNDERLINE_STARTS]


def parse_atx(line: str) -> tuple[int, str] | None:
    """(level, title) of an ATX heading line (``## Title ##``), None for any other line.

    String operations, not one regex: a pattern with ``[ \\t]+(.*?)`` before an optional
    ``[ \\t]+#+`` backtracks quadratically over a long run of spaces.
    """
    content = line.lstrip(" ")
    if len(line) - len(content) > 3:
        return None  # indented four spaces or more: code, not a heading
    after_hashes = content.lstrip("#")
    level = len(content) - len(after_hashes)
    if not 1 <= level <= 6 or after_hashes[:1] not in ("", " ", "\t"):
        return None  # no '#', more than six, or text right after them ("#tag")
    rest = after_hashes.rstrip(" \t")
    without_closing = rest.rstrip("#")
    if not without_closing or without_closing[-1] in " \t":
        rest = without_closing  # a closing run of '#' needs a space or tab before it
    return level, rest.strip(" \t").strip()


def _is_setext_underline(
    lines: list[str], index: int, visible: list[bool], in_code: list[bool], headings: list[Heading], first_line: int
) -> bool:
    if not _SETEXT.match(lines[index]):
        return False
    previous = lines[index - 1]
    if not visible[index - 1] or in_code[index - 1] or _NOT_PARAGRAPH.match(previous):
        return False
    if _FENCE.match(previous) or (headings and headings[-1].line == first_line + index - 1):
        return False
    # A paragraph of several lines would make this a multi-line heading: treat it as a rule.
    return index < 2 or not lines[index - 2].strip() or not visible[index - 2]


def _build_sections(
    lines: list[str], first_line: int, visible: list[bool], headings: list[Heading], setext_lines: set[int]
) -> list[Section]:
    """One section per heading, in one pass: a stack holds the sections still open."""
    last_body_line = first_line + len(lines) - 1
    ends = [last_body_line] * len(headings)
    own_ends = [last_body_line] * len(headings)
    open_positions: list[int] = []
    for position, heading in enumerate(headings):
        if position > 0:
            own_ends[position - 1] = heading.line - 1
        while open_positions and headings[open_positions[-1]].level >= heading.level:
            ends[open_positions.pop()] = heading.line - 1
        open_positions.append(position)
    sections = []
    for position, heading in enumerate(headings):
        start = heading.line + (2 if heading.line in setext_lines else 1)  # past a setext underline
        sections.append(Section(heading, start, ends[position], own_ends[position], lines, visible, first_line))
    return sections


def _visible_text(lines: list[str], first_line: int, visible: list[bool], start: int, end: int) -> str:
    return "\n".join(_visible_lines(lines, first_line, visible, start, end))


def _visible_lines(lines: list[str], first_line: int, visible: list[bool], start: int, end: int) -> Iterator[str]:
    """The visible ones of the file lines ``start`` to ``end`` (both included).

    Iterators from itertools, not a generator: most callers stop at the first line with text,
    and an abandoned generator is closed by raising GeneratorExit inside it."""
    first = start - first_line if start > first_line else 0
    stop = end - first_line + 1  # islice stops at the end of the lines by itself
    if stop < first:  # an empty range
        stop = first
    return compress(islice(lines, first, stop), islice(visible, first, stop))


# -- where a cardguard marker may live ----------------------------------------------------------

# A fence may open after any indentation and list markers (a fence inside a list item); a
# fence that CommonMark would not open only hides more lines, which is the safe direction.
_ANY_FENCE = re.compile(r"^[ \t]*(?:(?:[-*+]|\d{1,9}[.)])[ \t]+)*(`{3,}|~{3,})(.*)$")
_HTML_RAW_BLOCK = re.compile(r"^ {0,3}<(pre|script|style|textarea)(?:[\s>]|$)", re.IGNORECASE)
_HTML_BLOCK = re.compile(r"^ {0,3}</?[A-Za-z]")
_INDENTED = re.compile(r"^(?: {4}| {0,3}\t)")


LIVE, FENCE, CODE, HIDDEN = "live", "fence", "code", "hidden"


def live_lines(lines: list[str]) -> list[bool]:
    """Per line: True where the line is plain Markdown of the body, outside every fenced code
    block (fences inside list items included), indented code block, blockquote, HTML block and
    multi-line HTML comment. Only such a line can hold a cardguard marker; elsewhere a marker is
    text that renders (or is hidden) as the author wrote it."""
    return [kind == LIVE for kind in line_kinds(lines)]


def line_kinds(lines: list[str]) -> list[str]:
    """Per line: LIVE, FENCE (a code fence opens on it), CODE (inside that fenced block, its
    closing line included) or HIDDEN (indented code, blockquote, HTML block or comment)."""
    kinds: list[str] = []
    fence: str | None = None
    closer: str | None = None  # what ends the open HTML block: "-->", "</pre>", ... or "" (a blank line)
    for line in lines:
        if fence is not None:
            fence = None if _closes_fence(fence, line) else fence
            kinds.append(CODE)
        elif closer is not None:
            closer = _html_block_after(closer, line)
            kinds.append(HIDDEN)
        else:
            fence, closer, kind = _open_block(line)
            kinds.append(kind)
    return kinds


def _closes_fence(fence: str, line: str) -> bool:
    stripped = line.strip()
    return stripped.startswith(fence[0] * len(fence)) and not stripped.strip(fence[0])


def _html_block_after(closer: str, line: str) -> str | None:
    """The HTML block's closer after ``line``, None once the block ended on it."""
    if closer == "":
        return None if not line.strip() else closer
    return None if closer in line.lower() else closer


# What a line that opens a block starts with: a fence (after any list markers), indentation,
# a blockquote's '>', an HTML block's or comment's '<'; or whitespace that str.strip() drops.
_BLOCK_OPENING_STARTS = frozenset(" \t-*+0123456789`~><")


def _open_block(line: str) -> tuple[str | None, str | None, str]:
    """(open fence, open HTML block closer, the line's kind) for a line outside blocks."""
    first = line[:1]
    if first not in _BLOCK_OPENING_STARTS and not first.isspace():
        return None, None, LIVE  # most lines (prose, headings, tables): one test, no pattern
    return _opened_block(line)


def _opened_block(line: str) -> tuple[str | None, str | None, str]:
    """:func:`_open_block` for a line that may open a block: every pattern tried."""
    fence = _ANY_FENCE.match(line)
    if fence and not (fence.group(1)[0] == "`" and "`" in fence.group(2)):
        return fence.group(1), None, FENCE
    if _INDENTED.match(line) or line.lstrip(" ").startswith(">"):
        return None, None, HIDDEN
    stripped = line.strip()
    if stripped.startswith("<!--"):
        if "-->" in stripped[4:]:
            return None, None, LIVE  # a one-line comment: a marker is exactly this
        return None, "-->", HIDDEN
    raw = _HTML_RAW_BLOCK.match(line)
    if raw:
        closer = f"</{raw.group(1).lower()}>"
        return None, (None if closer in line.lower()[raw.end():] else closer), HIDDEN
    if _HTML_BLOCK.match(line):
        return None, "", HIDDEN
    return None, None, LIVE
