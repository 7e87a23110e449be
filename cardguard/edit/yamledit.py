"""Minimal edits of a card's YAML front matter, by position, never by re-dumping.

Uses the positions ``cardguard.card.yamlpos.parse_yaml`` records (``key_spans`` / ``value_spans``,
1-based file line and column by instance path). A scalar is replaced in place, keeping its
quoting style; a new top-level key is inserted just before the closing ``---``; a list item
is inserted after the last item of a block list. Everything else (key order, comments,
quoting, line endings) stays as it was. Callers verify the result by parsing it again.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import yaml

from cardguard.card.reader import Card
from cardguard.lines import YAML_ONLY_BREAKS, LineIndex, split_lines
from cardguard.edit.textedit import TextEdit
from cardguard.card.yamlpos import InstancePath

_PLAIN_SAFE = re.compile(r"^[A-Za-z0-9_./+@-][A-Za-z0-9_./+@:\- ]*$")


class EditRefused(Exception):
    """The value is written in a form this module does not edit (multi-line, flow, alias)."""


# The key of a mapping entry and its colon; the key plain or quoted, without escapes. A plain
# key ends with a non-blank, so the key and the blanks before the colon never compete for the
# same characters: linear time on a line of any length (a lazy key before `[ \t]*` was
# quadratic in a run of blanks, which a pull request can write after an explicit `? key`).
ENTRY_KEY = re.compile(r"""(?P<key>[^\s'"#:](?:[^:#]*[^\s:#])?|'[^']*'|"[^"\\]*")[ \t]*:""")
# Where a comment starts after a value: '#' after a blank.
COMMENT_START = re.compile(r"[ \t]#")


def format_scalar(value: Any, style: str = "") -> str:
    """YAML text for a scalar, in the given quoting style ('"', "'" or '' for plain when safe)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    if value is None:
        return "null"
    text = str(value)
    if style == "'":
        return "'" + text.replace("'", "''") + "'"
    if style == "" and _PLAIN_SAFE.match(text) and not text.endswith(" ") and _loads_as(text, text):
        return text
    return json.dumps(text, ensure_ascii=False)


def _loads_as(text: str, value: Any) -> bool:
    try:
        return yaml.safe_load(text) == value and type(yaml.safe_load(text)) is type(value)
    except (yaml.YAMLError, ValueError):  # ValueError: digits past int()'s 4,300-digit bound
        return False


def one_line_entry(text: str) -> tuple[str, str] | None:
    """The key and the value text ('' for none) of the mapping entry ``text`` starts with, its
    comment left out; None when it does not start with a key and a colon followed by a blank or
    nothing. Whether the value is all on this line is for the caller to tell (its YAML loads as
    the value expected). Linear in the line's length, whatever the line holds."""
    key = ENTRY_KEY.match(text)
    if key is None:
        return None
    rest = text[key.end():]
    if rest and rest[0] not in " \t":
        return None
    comment = COMMENT_START.search(rest)
    return key.group("key"), (rest if comment is None else rest[:comment.start()]).strip(" \t")


def scalar_extent(line: str, column: int) -> tuple[int, int, str]:
    """Start and end (0-based, in ``line``) of the scalar starting at 1-based ``column``, and its
    quoting style. Raises EditRefused for block scalars and flow collections."""
    start = column - 1
    if start >= len(line):
        raise EditRefused("the value is not on the key's line")
    first = line[start]
    if first in "|>[{&*!":
        raise EditRefused("a block scalar, flow collection, anchor or tag")
    if first == '"':
        index = start + 1
        while index < len(line):
            if line[index] == "\\":
                index += 2
                continue
            if line[index] == '"':
                return start, index + 1, '"'
            index += 1
        raise EditRefused("a double-quoted value spanning lines")
    if first == "'":
        index = start + 1
        while index < len(line):
            if line[index] == "'":
                if index + 1 < len(line) and line[index + 1] == "'":
                    index += 2
                    continue
                return start, index + 1, "'"
            index += 1
        raise EditRefused("a single-quoted value spanning lines")
    # Only a space or a tab is a blank to YAML: a value may hold U+00A0 before '#', or end in it.
    comment = COMMENT_START.search(line, start)
    end = comment.start() if comment else len(line)
    if any(mark in line[start:end] for mark in YAML_ONLY_BREAKS):
        # YAML 1.1 ends the plain value there; the reader sees one line: no safe extent.
        raise EditRefused("a plain value next to a character YAML reads as a line break (U+0085, U+2028, U+2029)")
    return start, len(line[:end].rstrip(" \t")), ""


class FrontMatterEditor:
    """Builds TextEdits against ``card.text`` for its front matter."""

    def __init__(self, card: Card) -> None:
        if card.front_matter is None or card.yaml is None or not card.yaml.ok:
            raise EditRefused("the card has no readable front matter")
        self.card = card
        self.newline = card.newline

    # Indexed when the first edit is made: most cards' managed metadata already says what it should.
    @functools.cached_property
    def lines(self) -> LineIndex:
        return LineIndex(self.card.text)

    @property
    def starts(self) -> list[int]:
        return self.lines.starts

    def _line_text(self, line: int) -> str:
        return self.lines.line_text(line)

    def _next_line_is_continuation(self, line: int, indent: int) -> bool:
        if line >= self.card.front_matter.closing_line - 1:
            return False
        following = self._line_text(line + 1)
        stripped = following.lstrip(" ")
        return bool(stripped) and len(following) - len(stripped) > indent and not stripped.startswith(("#", "- "))

    def replace_scalar(self, path: InstancePath, value: Any) -> TextEdit:
        span = self.card.yaml.value_spans.get(path)
        if span is None:
            raise EditRefused("no position recorded for the value")
        line, column = span
        text = self._line_text(line)
        start, end, style = scalar_extent(text, column)
        if style == "" and self._next_line_is_continuation(line, column - 1):
            raise EditRefused("a plain value continued on the next line")
        offset = self.starts[line - 1]
        return TextEdit(offset + start, offset + end, format_scalar(value, style))

    def rename_key(self, key: str, new_key: str) -> TextEdit:
        """The top-level ``key`` written as ``new_key``, in the key's quoting style; its value,
        comments and every other character stay."""
        span = self.card.yaml.key_spans.get((key,))
        if span is None:
            raise EditRefused("no position recorded for the key")
        line, column = span
        text = self._line_text(line)
        start = column - 1
        if text[start:start + 1] in ("'", '"'):
            start, end, style = scalar_extent(text, column)
        elif text[start:start + len(key)] == key:
            end, style = start + len(key), ""
        else:
            raise EditRefused("the key is not written as plain or quoted text on its line")
        if not text[end:].lstrip(" ").startswith(":"):
            raise EditRefused("the key is not followed by ':' on its line")
        offset = self.starts[line - 1]
        return TextEdit(offset + start, offset + end, format_scalar(new_key, style))

    def remove_entry(self, path: InstancePath, value: Any) -> TextEdit:
        """The line ``key: value`` of a nested block mapping deleted, newline included, where the
        value is the scalar ``value`` (None: ``key:``, ``key: null``, ``key: ~``); refused where the
        key shares its line with anything but a comment (``- key: null`` opens a list item) or
        a value goes on below it."""
        span = self.card.yaml.key_spans.get(path)
        if span is None:
            raise EditRefused("no position recorded for the key")
        line, column = span
        text = self._line_text(line)
        if text[:column - 1].strip(" "):
            raise EditRefused("the key shares its line with what comes before it")
        entry = one_line_entry(text[column - 1:])
        if entry is None or not _loads_as(entry[0], path[-1]) or not _loads_as(entry[1] or "null", value):
            raise EditRefused("the line is not the key and its value")
        if self._next_line_is_continuation(line, column - 1):
            raise EditRefused("the value goes on below the key")
        start = self.starts[line - 1]
        end = self.starts[line] if line < len(self.starts) else len(self.card.text)
        return TextEdit(start, end, "")

    def insert_top_level(self, key: str, value: Any) -> TextEdit:
        """``key: value`` (a scalar, a list of scalars or a flat mapping) before the closing ``---``."""
        lines = [f"{key}:" + _block(value)]
        text = self.newline.join(lines).replace("\n", self.newline) + self.newline
        offset = self.starts[self.card.front_matter.closing_line - 1]
        return TextEdit(offset, offset, text)

    def append_mappings(self, path: InstancePath, items: list[dict[str, Any]]) -> TextEdit:
        """New ``- key: value`` mapping items after the last item of the block list of mappings
        at ``path`` (a model-index ``metrics:`` list), at the items' indent."""
        current = _value_at(self.card.metadata, path)
        if not isinstance(current, list) or not current or not all(isinstance(item, dict) and item for item in current):
            raise EditRefused("not a non-empty block list of mappings")
        first_key = next(iter(current[0]))
        line, column = self.card.yaml.key_spans.get(path + (0, first_key), (0, 0))
        text = self._line_text(line) if line else ""
        dash = column - 3
        if dash < 0 or text[dash:dash + 2] != "- " or text[:dash].strip():
            raise EditRefused("a flow list, or items not written as '- key: value'")
        prefix = path + (len(current) - 1,)
        last_line = max(where[0] for spans in (self.card.yaml.key_spans, self.card.yaml.value_spans)
                        for key, where in spans.items() if key[:len(prefix)] == prefix)
        offset = self.starts[last_line] if last_line < len(self.starts) else len(self.card.text)
        return TextEdit(offset, offset, _indented(dump_block(items), " " * dash, self.newline))

    def append_list_items(self, path: InstancePath, items: list[Any]) -> TextEdit:
        """New ``- item`` lines after the last item of the block list at ``path``."""
        current = _value_at(self.card.metadata, path)
        if not isinstance(current, list) or not current:
            raise EditRefused("not a non-empty list")
        first_line, first_column = self.card.yaml.value_spans[path + (0,)]
        last_line, _ = self.card.yaml.value_spans[path + (len(current) - 1,)]
        first_text = self._line_text(first_line)
        dash = first_text.rfind("- ", 0, first_column - 1)
        if dash < 0 or first_text[:dash].strip():
            raise EditRefused("a flow list")
        if any(not isinstance(item, (str, int, float)) for item in current):
            raise EditRefused("a list of nested values")
        indent = " " * dash
        offset = self.starts[last_line] if last_line < len(self.starts) else len(self.card.text)
        added = "".join(f"{indent}- {format_scalar(item)}{self.newline}" for item in items)
        return TextEdit(offset, offset, added)


def dump_block(value: Any) -> str:
    """Block-style YAML for new content (never for the author's text), lists at their key's
    indent as PyYAML, huggingface_hub and Trainer write them."""
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True, default_flow_style=False, width=1 << 16)


def _indented(text: str, indent: str, newline: str) -> str:
    return "".join(f"{indent}{line}{newline}" for line in split_lines(text))


def _is_nested(value: Any) -> bool:
    items = value if isinstance(value, list) else list(value.values()) if isinstance(value, dict) else []
    return any(isinstance(item, (list, dict)) for item in items)


def _block(value: Any) -> str:
    if _is_nested(value):
        return "\n" + dump_block(value).rstrip("\n")
    if isinstance(value, list):
        return "".join(f"\n- {format_scalar(item)}" for item in value)
    if isinstance(value, dict):
        return "".join(f"\n  {key}: {format_scalar(item)}" for key, item in value.items())
    return " " + format_scalar(value)


def _value_at(value: Any, path: InstancePath) -> Any:
    for part in path:
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and isinstance(part, int) and part < len(value):
            value = value[part]
        else:
            return None
    return value
