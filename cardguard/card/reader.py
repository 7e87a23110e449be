r"""Read a README.md model card: front matter with positions, body sections, directives.

The split into metadata and body follows the Hub exactly (huggingface_hub's
``REGEX_YAML_BLOCK``, "the exact same regex as in the Hub server")::

    ^(\s*---(?:\r\n|\r|\n))([\S\s]*?)((?:\r\n|\r|\n)---[ \t]*(\r\n|\n|$))

only whitespace may precede the opening ``---``; spaces or tabs may follow the closing one;
with any other text before it the card has no metadata at all. :func:`split_front_matter`
finds the same match with ``str.find`` (the lazy ``[\S\s]*?`` tries the closing pattern at
every character of the card, tens of millions of steps a corpus pass);
tests/unit/test_front_matter_split.py proves the two agree.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cardguard import codes
from cardguard.card.delimiters import missing_block_near_misses, read_past_near_misses
from cardguard.findings import Finding
from cardguard.limits import MAX_CARD_BYTES
from cardguard.lines import LineIndex, line_at, line_count, split_lines
from cardguard.card.markdown import Body, parse_body
from cardguard.safe_paths import Refused, read_small_file
from cardguard.card.text_encoding import WideEncoding, wide_encoding
from cardguard.card.yamlpos import Coercion, InstancePath, Limits, LoaderRejection, YamlDoc, hub_loader_rejection, parse_yaml
from cardguard.record import Record, factory

# What may follow a closing '---': spaces or tabs, then CRLF, LF or the end of the text.
_CLOSING_REST = re.compile(r"[ \t]*(?:\r\n|\n|$)")
_OPENING_ONLY = re.compile(r"^\s*---[ \t]*(?:\r\n|\r|\n|$)")
_DASH_LINE = re.compile(r"---[ \t]*")
_LATE_BLOCK_LINES = 80  # how far down a misplaced metadata block is looked for
_DIRECTIVE_OPENING = "<!--"
_DIRECTIVE_CLOSING = "-->"
_DIRECTIVE_PREFIX = "cardguard:"
_SPACES = re.compile(r"\s*")
_CODE = re.compile(r"^CG\d{3}$")
_WELL_KNOWN_KEYS = ("license", "language", "tags", "library_name", "pipeline_tag", "datasets", "base_model")
_STRING_KEYS = {
    "language", "license", "license_name", "license_link", "library_name", "pipeline_tag", "tags",
    "datasets", "base_model", "new_version", "model_name", "metrics", "thumbnail",
}
_BOM = "\ufeff"


class FrontMatter(Record, frozen=True):
    yaml_text: str
    first_line: int  # file line of the opening '---'
    yaml_first_line: int  # file line of the first YAML line
    closing_line: int  # file line of the closing '---'
    end_offset: int  # offset in Card.text just after the closing line


class Card(Record):
    """Everything cardguard knows about one card's text. Built by :func:`parse_card`."""

    path: str
    text: str  # decoded, without a BOM
    has_bom: bool = False
    newline: str = "\n"
    front_matter: FrontMatter | None = None
    yaml: YamlDoc | None = None
    body_text: str = ""
    body: Body | None = None
    ignored_codes: frozenset[str] = frozenset()
    findings: list[Finding] = factory(list)

    @property
    def metadata(self) -> dict[str, Any] | None:
        """The metadata mapping, or None when there is none or it did not parse."""
        if self.yaml is None or not self.yaml.ok or not isinstance(self.yaml.value, dict):
            return None
        return self.yaml.value

    @functools.cached_property
    def line_count(self) -> int:
        return max(1, line_count(self.text))

    def locate(self, path: InstancePath, value: bool = True) -> tuple[int, int]:
        """Line and column of the metadata value (or key) at ``path``; its nearest ancestor
        when that exact place is unknown; the top of the front matter (or line 1) otherwise."""
        if self.yaml is None:
            return (self.front_matter.first_line if self.front_matter else 1, 1)
        return self.yaml.locate(path, value=value)


def read_card(path: Path, display_path: str, max_bytes: int = MAX_CARD_BYTES, yaml_limits: Limits | None = None,
              boundary: Path | None = None) -> Card:
    """Read and parse a card file; I/O problems become findings on an empty card.

    The card is opened through the repository gate (:mod:`cardguard.safe_paths`); nothing
    outside ``boundary`` (the card's folder when not given) is read.
    """
    raw, problem = read_card_bytes(path, boundary or path.parent, max_bytes)
    if problem is not None:
        return unread_card(display_path, problem)
    return parse_card_bytes(raw, display_path, yaml_limits)


# read_card_bytes's problem when nothing is at the card's path (or a link there leads nowhere).
CARD_NOT_FOUND = ("CG001", "the card does not exist")


def read_card_bytes(path: str | Path, boundary: str | Path, max_bytes: int) -> tuple[bytes, tuple[str, str] | None]:
    """The card's bytes, or the rule code and message saying why they were not read."""
    try:
        raw, size = read_small_file(path, boundary, max_bytes)
    except FileNotFoundError:
        return b"", CARD_NOT_FOUND
    except Refused as refusal:
        return b"", (refusal.code, f"the card {refusal.reason}")
    except OSError as error:  # opening it or reading it
        return b"", ("CG001", f"cannot read the card: {error.strerror or error}")
    if size > max_bytes:
        return b"", ("CG009", f"the card is {size:,} bytes, over the {max_bytes:,}-byte limit (limits.card_bytes)")
    return raw, None


def unread_card(display_path: str, problem: tuple[str, str]) -> Card:
    """An empty card with the finding of why it was not read."""
    code, message = problem
    return Card(path=display_path, text="", findings=[codes.finding(code, display_path, 1, 1, message)])


def parse_card_bytes(raw: bytes, path: str, yaml_limits: Limits | None = None) -> Card:
    """Decode a card's bytes as the Hub does (UTF-8) and parse it."""
    encoding = wide_encoding(raw)
    if encoding is not None:
        return Card(path=path, text="", findings=[_wide_encoding_finding(path, encoding)])
    if b"\x00" in raw:
        line, _ = _byte_position(raw, raw.index(b"\x00"))
        return Card(path=path, text="", findings=[
            codes.finding("CG002", path, line, 1, "the card contains NUL bytes: it is a binary file, not Markdown")
        ])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line, column = _byte_position(raw, error.start)
        return Card(path=path, text="", findings=[codes.finding(
            "CG002", path, line, column,
            f"the card is not valid UTF-8 (byte 0x{raw[error.start]:02x} at offset {error.start})",
            "save the file as UTF-8",
        )])
    return parse_card(text, path, yaml_limits)


def _wide_encoding_finding(path: str, encoding: WideEncoding) -> Finding:
    marked = "with" if encoding.has_bom else "without"
    return codes.finding(
        "CG002", path, 1, 1,
        f"the card is {encoding.description} text ({marked} a byte order mark), not UTF-8: "
        "the Hub and huggingface_hub read cards as UTF-8 only",
        f"convert it to UTF-8: iconv -f {encoding.iconv_name} -t UTF-8 README.md > README.utf8.md "
        "and rename it back, or choose 'Save with Encoding' > 'UTF-8' in your editor",
    )


def _byte_position(raw: bytes, offset: int) -> tuple[int, int]:
    """Line and byte column of ``raw[offset]`` in a text that did not decode. Latin-1 maps each
    byte to one character, so the line breaks (ASCII) stay where they are."""
    return LineIndex(raw[:offset + 1].decode("latin-1")).position(offset)


def parse_card(text: str, path: str, yaml_limits: Limits | None = None) -> Card:
    """Parse a card's text. Never raises for bad input: problems are in ``card.findings``."""
    card = read_front_matter(text, path, yaml_limits)
    body_offset = card.front_matter.end_offset if card.front_matter is not None else 0
    card.body_text = card.text[body_offset:]
    card.body = parse_body(card.body_text, line_at(card.text, body_offset))
    card.ignored_codes = _read_directives(card)
    return card


def read_front_matter(text: str, path: str, yaml_limits: Limits | None = None) -> Card:
    """The card's metadata only: :func:`parse_card` without the Markdown body and the
    directives (``body`` stays None), with the same findings for the metadata block. For a
    caller that asks only what the metadata says (is this README.md a model card?)."""
    has_bom = text.startswith(_BOM)
    if has_bom:
        text = text[1:]
    card = Card(path=path, text=text, has_bom=has_bom, newline=detect_newline(text))
    split = split_front_matter(text)
    if split is None:
        _explain_missing_front_matter(card)
    else:
        _read_front_matter(card, split, yaml_limits)
    return card


def body_offset(text: str) -> int:
    """Offset in ``text`` (without BOM) where the Markdown body begins: just after the front
    matter's closing line, or 0 when the card has none."""
    split = split_front_matter(text)
    return 0 if split is None else split.end


class FrontMatterSplit(Record, frozen=True):
    """Where the Hub's pattern finds the metadata block in a card's text: offsets."""

    opening: int  # the opening '---' (after any leading whitespace)
    yaml_start: int  # just after the opening line's break
    yaml_end: int  # where the closing line's break begins
    closing: int  # the closing '---'
    end: int  # just after the closing line (its break, or the end of the text)


def split_front_matter(text: str) -> FrontMatterSplit | None:
    """The match of the Hub's pattern (see the module's docstring) in ``text``; None when the
    card has no metadata block for the Hub."""
    opening = _SPACES.match(text).end()  # the pattern's \s*, without copying the text
    if not text.startswith("---", opening):
        return None
    after_dashes = opening + 3
    opening_break = _break_length(text, after_dashes)
    if not opening_break:
        return None
    yaml_start = after_dashes + opening_break
    closing = _closing_line(text, yaml_start)
    if closing is None and opening_break == 2:
        # The pattern backtracks and reads the opening CRLF as a lone CR: its LF can then be
        # the break before a closing '---' (an empty block, "---\r\n---\n").
        yaml_start = after_dashes + 1
        closing = _closing_line(text, yaml_start)
    if closing is None:
        return None
    yaml_end, dashes, end = closing
    return FrontMatterSplit(opening, yaml_start, yaml_end, dashes, end)


def _break_length(text: str, offset: int) -> int:
    """Length of the line break (CRLF, CR or LF) at ``offset``; 0 when there is none."""
    if text.startswith("\r\n", offset):
        return 2
    return 1 if text.startswith(("\r", "\n"), offset) else 0


def _closing_line(text: str, start: int) -> tuple[int, int, int] | None:
    """(where its break begins, its '---', its end) for the first line break at or after
    ``start`` followed by '---', spaces or tabs, and CRLF, LF or the end of the text."""
    for line_break in _breaks_before_dashes(text, start):
        rest = _CLOSING_REST.match(text, line_break + 4)
        if rest is None:
            continue
        if text[line_break] == "\n" and line_break > start and text[line_break - 1] == "\r":
            return line_break - 1, line_break + 1, rest.end()  # the break is a CRLF
        return line_break, line_break + 1, rest.end()
    return None


def _breaks_before_dashes(text: str, start: int) -> Iterator[int]:
    """Offsets, in order, of every CR or LF at or after ``start`` that '---' follows.

    CRs are looked for only up to the next LF found: most cards have none, and a search to
    the end of a long card costs more than all the rest of the split. Each character is
    looked at by each search at most once."""
    next_lf = text.find("\n---", start)
    position = start
    while True:
        next_cr = text.find("\r---", position, len(text) if next_lf == -1 else next_lf)
        if next_cr != -1:
            yield next_cr
            position = next_cr + 1
        elif next_lf != -1:
            yield next_lf
            position = next_lf + 1
            next_lf = text.find("\n---", position)
        else:
            return


def detect_newline(text: str) -> str:
    """The card's line ending, decided as the Hub does (CRLF only if every break is one)."""
    if "\r" not in text:  # most cards: LF only (a search at memory speed; counting reads every character)
        return "\n"
    cr = text.count("\r")
    crlf = text.count("\r\n")
    lf = text.count("\n")
    if crlf and crlf == cr == lf:
        return "\r\n"
    if cr > lf:
        return "\r"
    return "\n"


def _read_front_matter(card: Card, split: FrontMatterSplit, yaml_limits: Limits | None) -> None:
    text = card.text
    yaml_text = text[split.yaml_start:split.yaml_end]
    first_line = line_at(text, split.opening)
    yaml_first_line = line_at(text, split.yaml_start)
    closing_line = line_at(text, split.closing)
    card.front_matter = FrontMatter(yaml_text, first_line, yaml_first_line, closing_line, split.end)
    doc = parse_yaml(yaml_text, card.path, line_offset=yaml_first_line - 1, limits=yaml_limits)
    card.yaml = doc
    card.findings.extend(doc.findings)
    if not doc.ok or not isinstance(doc.value, dict):
        card.findings.extend(read_past_near_misses(text, card.path, split.yaml_start, split.yaml_end, closing_line))
    if not doc.ok:
        return
    rejection = hub_loader_rejection(yaml_text)
    if rejection is not None:
        card.findings.append(_hub_loader_finding(card.path, rejection, yaml_first_line - 1))
    if doc.value is None:
        card.findings.append(codes.finding(
            "CG011", card.path, first_line, 1,
            "the metadata block is empty: the Hub shows 'empty or missing yaml metadata in repo card'",
            "add at least license, library_name and pipeline_tag",
        ))
    elif not isinstance(doc.value, dict):
        kind = "a list" if isinstance(doc.value, list) else f"a {type(doc.value).__name__}"
        card.findings.append(codes.finding(
            "CG006", card.path, yaml_first_line, 1,
            f"the metadata block is {kind}, not a mapping: the Hub rejects it ('repo card metadata block should be a dict')",
            "write 'key: value' lines",
        ))
    card.findings.extend(_coercion_findings(card.path, doc.coercions))


_LOADER_FIXES = {
    "\t": "replace the tab with a space (PyYAML allows tabs only inside quoted or block text)",
    "\ufeff": "delete the invisible byte order mark (U+FEFF) on this line",
    "\x85": "replace the invisible NEXT LINE character (U+0085) with an ordinary line break",
    "\u2028": "replace the invisible LINE SEPARATOR (U+2028) with an ordinary line break",
    "\u2029": "replace the invisible PARAGRAPH SEPARATOR (U+2029) with an ordinary line break",
    "?": "quote the value that holds the '?'",
    "#": "put a space before the '#'",
}


def _hub_loader_finding(path: str, rejection: LoaderRejection, line_offset: int) -> Finding:
    return codes.finding(
        "CG014", path, rejection.line + line_offset, rejection.column,
        f"huggingface_hub cannot load this metadata (ModelCard.load fails): PyYAML's pure-Python loader, "
        f"which it uses, rejects it ({rejection.problem}), although libyaml accepts it",
        _LOADER_FIXES.get(rejection.character, "rewrite this line in plain YAML that PyYAML's yaml.safe_load accepts"),
    )


def _coercion_findings(path: str, coercions: list[Coercion]) -> list[Finding]:
    findings = []
    for coercion in coercions:
        top_key = coercion.path[0] if coercion.path else None
        if isinstance(coercion.value, bool) or top_key in _STRING_KEYS or _looks_like_version_key(coercion.path):
            shown = str(coercion.value).lower() if isinstance(coercion.value, bool) else repr(coercion.value)
            findings.append(codes.finding(
                "CG010", path, coercion.line, coercion.column,
                f"unquoted {coercion.text} loads as {shown} in YAML 1.1 (PyYAML, huggingface_hub, transformers)",
                f'quote it: "{coercion.text}"',
            ))
    return findings


def _looks_like_version_key(path: InstancePath) -> bool:
    return bool(path) and isinstance(path[-1], str) and "version" in path[-1].lower()


def _explain_missing_front_matter(card: Card) -> None:
    text = card.text
    near_misses = missing_block_near_misses(text, card.path)
    if near_misses:
        card.findings.extend(near_misses)
        return
    if _OPENING_ONLY.match(text):
        line = line_at(text, len(text) - len(text.lstrip()))
        closing_right_away = re.match(r"^\s*---[ \t]*(\r\n|\r|\n)---[ \t]*(\r\n|\r|\n|$)", text)
        if closing_right_away:
            card.findings.append(codes.finding(
                "CG011", card.path, line, 1,
                "the metadata block is empty: the Hub shows 'empty or missing yaml metadata in repo card'",
                "add at least license, library_name and pipeline_tag",
            ))
        else:
            card.findings.append(codes.finding(
                "CG004", card.path, line, 1,
                "the metadata block opened here is never closed with a '---' line: the Hub reads no metadata",
                "add a line '---' after the last metadata line",
            ))
        return
    late = _late_front_matter(text)
    if late is not None:
        card.findings.append(codes.finding(
            "CG012", card.path, late, 1,
            "this looks like the metadata block, but text comes before it: the Hub reads metadata only at the very top",
            "move the '---' block to the first line of the file",
        ))
        return
    card.findings.append(codes.finding(
        "CG003", card.path, 1, 1,
        "the card has no YAML metadata block: the Hub shows 'empty or missing yaml metadata in repo card'",
        "start the file with a '---' block holding at least license, library_name and pipeline_tag",
    ))


def _late_front_matter(text: str) -> int | None:
    """Line of a '---' block below other text whose YAML holds well-known card keys."""
    head = split_lines(text)[:_LATE_BLOCK_LINES]
    for opening, closing in _dash_blocks(head):
        yaml_text = "\n".join(head[opening + 1:closing]) + "\n"
        doc = parse_yaml(yaml_text, "", limits=Limits(max_depth=20, max_nodes=5000))
        if doc.ok and isinstance(doc.value, dict) and any(key in doc.value for key in _WELL_KNOWN_KEYS):
            return opening + 1
    return None


def _dash_blocks(lines: list[str]) -> list[tuple[int, int]]:
    """(opening, closing) indexes of '---' lines enclosing at least one line, none of which
    starts with '---', outside fenced code (a card that shows a metadata example in a code
    block has not misplaced its metadata). One pass: each line is looked at a bounded number
    of times."""
    blocks = []
    opening: int | None = None
    fence: str | None = None  # the fence characters of the code block we are in
    for index, line in enumerate(lines):
        marker = line.lstrip()[:3]
        if marker in ("```", "~~~"):
            fence = None if fence == marker else (fence or marker)
            opening = None
            continue
        if fence is not None or not line.startswith("---"):
            continue
        is_dash_line = _DASH_LINE.fullmatch(line) is not None
        if opening is not None and is_dash_line and index > opening + 1:
            blocks.append((opening, index))
            opening = None
            continue
        opening = index if is_dash_line else None
    return blocks


def _read_directives(card: Card) -> frozenset[str]:
    """Codes silenced for this card by ``<!-- cardguard: ignore CG201 CG203 -->``."""
    ignored: set[str] = set()
    if _DIRECTIVE_PREFIX not in card.text:  # most cards: no directive, no comment to look into
        return frozenset()
    lines: LineIndex | None = None  # built at the first directive: most cards have none
    for start, directive, content in _directives(card.text):
        lines = lines or LineIndex(card.text)
        line = lines.line_of(start)
        words = content.replace(",", " ").split()
        if not words or words[0].lower() != "ignore" or len(words) < 2:
            if words and words[0].lower() in ("begin", "end"):
                continue  # generated-region markers, read elsewhere
            card.findings.append(codes.finding(
                "CG502", card.path, line, 1,
                f"cannot understand the directive {directive!r}",
                "write <!-- cardguard: ignore CG201 CG203 -->",
            ))
            continue
        for word in words[1:]:
            code = word.upper()
            if not _CODE.match(code) or code not in codes.RULES:
                card.findings.append(codes.finding(
                    "CG501", card.path, line, 1, f"the directive names {word!r}, which is not a cardguard rule code",
                ))
            else:
                ignored.add(code)
    return frozenset(ignored)


def _directives(text: str) -> Iterator[tuple[int, str, str]]:
    """(offset, whole comment, stripped content) of every ``<!-- cardguard: ... -->``.

    One forward scan with ``str.find`` (a regex with lazy ``.*?`` between ``\\s*`` runs
    backtracks over long runs of spaces and rescans to the end for every unclosed opening).
    A comment ends at the first ``-->`` after its opening, as in HTML.
    """
    position = 0
    while (start := text.find(_DIRECTIVE_OPENING, position)) != -1:
        prefix_at = _SPACES.match(text, start + len(_DIRECTIVE_OPENING)).end()
        if not text.startswith(_DIRECTIVE_PREFIX, prefix_at):
            position = start + len(_DIRECTIVE_OPENING)
            continue
        content_at = prefix_at + len(_DIRECTIVE_PREFIX)
        closing = text.find(_DIRECTIVE_CLOSING, content_at)
        if closing == -1:
            return  # no later opening can be closed either
        end = closing + len(_DIRECTIVE_CLOSING)
        yield start, text[start:end], text[content_at:closing].strip()
        position = end
