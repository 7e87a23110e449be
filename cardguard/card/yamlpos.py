"""Safe YAML loading that remembers where every key and value stands.

PyYAML's ``safe_load`` forgets positions, keeps the last of two duplicate keys silently and
expands alias bombs without limit. The Hub's own loader rejects duplicates and unknown tags.
So cardguard builds values itself from PyYAML's *event* stream (the C parser where it is
available), which lets it:

- record the 1-based line and column of every key and value, by instance path, in the one
  line model (cardguard/lines.py: from ``Mark.index``, since ``Mark.line`` also counts
  U+0085, U+2028 and U+2029 as breaks);
- report duplicate keys, unsafe tags (``!!python/object``) and bounds as findings;
- never construct anything but plain data (str, int, float, bool, None, dates, lists, dicts).

The event parser is iterative, so deep nesting cannot overflow the Python stack here; the
depth bound is ours.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import yaml
from yaml import (
    AliasEvent, DocumentStartEvent, MappingEndEvent, MappingStartEvent, ScalarEvent, SequenceEndEvent,
    SequenceStartEvent, StreamEndEvent,
)
from yaml.constructor import SafeConstructor
from yaml.reader import ReaderError
from yaml.resolver import Resolver

from cardguard import codes
from cardguard.findings import Finding
from cardguard.lines import LineIndex
from cardguard.record import Record, factory

try:  # libyaml's parser is several times faster; both produce the same events.
    from yaml import CBaseLoader as _Parser  # the public name of libyaml's event parser
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import Loader as _Parser  # type: ignore[assignment]

InstancePath = tuple[Any, ...]

_STANDARD_TAG_PREFIX = "tag:yaml.org,2002:"
# The scalar tags cardguard constructs, by full tag, with their short names.
_SAFE_SCALAR_TAGS = {
    _STANDARD_TAG_PREFIX + name: name
    for name in ("null", "bool", "int", "float", "str", "timestamp", "binary", "merge", "value")
}
_TRAP_BOOLS = {"yes", "no", "on", "off"}
# Longer number scalars are refused before conversion (CG009): an int of 100 characters, in any
# base YAML 1.1 allows, is below 1e120, so str() (bound at 4,300 digits) and float() of every
# number read from a card succeed. Hub metadata numbers are a few digits.
MAX_NUMBER_CHARS = 100
# The implicit resolvers (bool, int, float, null, timestamp, merge, value) that may claim a
# plain scalar, by its first character: the table Resolver.resolve reads, joined once here
# rather than per scalar. A plain scalar no resolver claims is a string.
_WILDCARD_RESOLVERS = tuple(Resolver.yaml_implicit_resolvers.get(None, ()))
_RESOLVERS_BY_FIRST_CHARACTER = {
    first: tuple(resolvers) + _WILDCARD_RESOLVERS
    for first, resolvers in Resolver.yaml_implicit_resolvers.items() if first is not None
}
_VERSION_LIKE = re.compile(r"^[0-9]+\.[0-9]*0$")
_PLAIN_DECIMAL = re.compile(r"[-+]?(0|[1-9][0-9_]*)")
_SAFE_COLLECTION_TAGS = frozenset(_STANDARD_TAG_PREFIX + name for name in ("map", "seq", "omap"))


class Limits(Record, frozen=True):
    """Bounds on what one YAML document may cost; each breach is a CG009 finding."""

    max_depth: int = 100
    max_nodes: int = 200_000
    max_bytes: int = 4 * 1024 * 1024


class Coercion(Record, frozen=True):
    """A plain scalar that YAML 1.1 loaded as something a reader would not expect."""

    path: InstancePath
    text: str
    value: Any
    line: int
    column: int


_DEFAULT_LIMITS = Limits()
# One for every document: SafeConstructor's scalar constructors keep nothing between calls.
_SCALAR_CONSTRUCTOR = SafeConstructor()


class YamlDoc(Record):
    """The result of parsing one YAML document with positions."""

    path: str
    value: Any = None
    ok: bool = False
    # Where each key and each value starts, by instance path, as a character offset in the
    # parsed text (a list item's key offset is the item's): made into a line and a column only
    # when asked (key_spans, value_spans, locate), as few cards need more than a handful.
    key_offsets: dict[InstancePath, int] = factory(dict)
    value_offsets: dict[InstancePath, int] = factory(dict)
    coercions: list[Coercion] = factory(list)
    findings: list[Finding] = factory(list)
    first_line: int = 1
    # True once a timestamp was built (a date or datetime, as a key or a value): the metadata
    # rules then copy the value with dates as text; most cards hold none, and need not be walked.
    holds_date: bool = False
    _text: str = ""  # the parsed text, which the offsets point into

    def __init__(self, path: str, value: Any = None, ok: bool = False,
                 key_offsets: dict[InstancePath, int] | None = None,
                 value_offsets: dict[InstancePath, int] | None = None,
                 coercions: list[Coercion] | None = None, findings: list[Finding] | None = None,
                 first_line: int = 1, holds_date: bool = False, _text: str = "") -> None:
        # Written out rather than Record's generic keyword path (~17 k instructions a call):
        # one document is made per card and per .eval_results file.
        self.path = path
        self.value = value
        self.ok = ok
        self.key_offsets = {} if key_offsets is None else key_offsets
        self.value_offsets = {} if value_offsets is None else value_offsets
        self.coercions = [] if coercions is None else coercions
        self.findings = [] if findings is None else findings
        self.first_line = first_line
        self.holds_date = holds_date
        self._text = _text

    @functools.cached_property
    def key_spans(self) -> dict[InstancePath, tuple[int, int]]:
        """The 1-based file line and column of each key (a list item's: of the item), by path."""
        return {path: self.position(offset) for path, offset in self.key_offsets.items()}

    @functools.cached_property
    def value_spans(self) -> dict[InstancePath, tuple[int, int]]:
        """The 1-based file line and column of each value, by path."""
        return {path: self.position(offset) for path, offset in self.value_offsets.items()}

    @functools.cached_property
    def lines(self) -> LineIndex:
        """The parsed text's lines: made for the first position asked for."""
        return LineIndex(self._text)

    def position(self, offset: int) -> tuple[int, int]:
        """The 1-based file line and column of the character at ``offset`` in the parsed text.
        Through Mark.index: PyYAML's own line and column count U+0085/U+2028/U+2029 as breaks."""
        line, column = self.lines.position(offset)
        return line + self.first_line - 1, column

    def locate(self, path: InstancePath, value: bool = True) -> tuple[int, int]:
        """Line and column of the value (or key) at ``path``, else its nearest ancestor."""
        offsets = self.value_offsets if value else self.key_offsets
        probe = tuple(path)
        while probe:
            if probe in offsets:
                return self.position(offsets[probe])
            if probe in self.key_offsets:
                return self.position(self.key_offsets[probe])
            probe = probe[:-1]
        if () in self.value_offsets:
            return self.position(self.value_offsets[()])
        return self.first_line, 1


class _Abort(Exception):
    """Stop building: a finding has been recorded and the value is unusable."""


class _Frame:
    """A collection being built: a list, or a dict with the key awaiting its value.

    A plain class with slots rather than a Record: one is made per collection in the card, on
    the path every scalar takes."""

    __slots__ = (
        "container", "is_list", "path", "anchor", "start_count", "start_mark", "has_pending_key",
        "pending_key", "pending_path", "pending_key_offset", "pending_key_is_merge", "merges",
    )

    def __init__(self, container: list | dict, path: InstancePath, anchor: str | None, start_count: int,
                 start_mark: Any) -> None:
        self.container = container
        self.is_list = type(container) is list
        self.path = path
        self.anchor = anchor
        self.start_count = start_count  # the node count once this collection is counted
        self.start_mark = start_mark
        self.has_pending_key = False
        self.pending_key: Any = None
        self.pending_path: InstancePath = path  # where the pending key's value goes
        self.pending_key_offset = 0
        self.pending_key_is_merge = False
        self.merges: list[Any] = []

    def expects_key(self) -> bool:
        return not self.is_list and not self.has_pending_key

    def next_path(self) -> InstancePath:
        """Path of the next value placed into this collection."""
        if self.is_list:
            return self.path + (len(self.container),)
        return self.pending_path if self.has_pending_key else self.path


class _Builder:
    def __init__(self, doc: YamlDoc, limits: Limits) -> None:
        self.doc = doc
        self.key_offsets = doc.key_offsets
        self.value_offsets = doc.value_offsets
        self.limits = limits
        self.max_nodes = limits.max_nodes
        self.frame: _Frame | None = None  # the collection being built; None at the top level
        # The frames around it, outermost first: one per open collection, so its length is the depth.
        self.stack: list[_Frame | None] = []
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.node_count = 0
        self.result: Any = None
        self.have_result = False

    # -- positions and findings --------------------------------------------------------------
    def fail(self, code: str, mark: Any, message: str, fix: str | None = None) -> None:
        line, column = self.doc.position(mark.index)
        self.doc.findings.append(codes.finding(code, self.doc.path, line, column, message, fix))
        raise _Abort

    def count(self, weight: int, mark: Any) -> None:
        self.node_count += weight
        if self.node_count > self.max_nodes:
            self.fail_too_many_values(mark)

    def fail_too_many_values(self, mark: Any) -> None:
        self.fail(
            "CG009", mark,
            f"YAML expands to more than {self.limits.max_nodes:,} values (an alias bomb?)",
            "remove the anchors and aliases, or raise limits.yaml_nodes in the configuration",
        )

    # -- where the next value goes ------------------------------------------------------------
    def add(self, value: Any, start: Any) -> None:
        """Place a finished value (scalar, alias or closed collection) into its parent."""
        frame = self.frame
        if frame is None:
            self.result, self.have_result = value, True
        elif frame.is_list:
            frame.container.append(value)
        elif frame.has_pending_key:
            self.put_value(frame, value)
        else:  # an alias as a key (a collection as a key fails when it starts)
            try:
                hash(value)
            except TypeError:
                self.fail("CG005", start, "a mapping key is a list or mapping; keys must be plain values")
            self.take_key(frame, value, start.index)

    def put_value(self, frame: _Frame, value: Any) -> None:
        key = frame.pending_key
        frame.has_pending_key = False
        if key == "<<" and frame.pending_key_is_merge:
            frame.merges.append(value)
            return
        if key in frame.container:
            line, column = self.doc.position(frame.pending_key_offset)
            self.doc.findings.append(codes.finding(
                "CG007", self.doc.path, line, column,
                f"duplicate key {key!r}: the Hub rejects the card ('duplicated mapping key'); "
                "PyYAML would keep only the last value",
                "remove one of the two entries",
            ))
        frame.container[key] = value

    def take_key(self, frame: _Frame, key: Any, key_offset: int) -> None:
        frame.pending_key = key
        frame.has_pending_key = True
        frame.pending_key_offset = key_offset
        frame.pending_path = frame.path + (_path_key(key),)
        self.key_offsets[frame.pending_path] = key_offset

    # -- events -------------------------------------------------------------------------------
    def on_scalar(self, event: Any) -> None:
        # The hottest code in cardguard: most cards are a few hundred scalars, so the common
        # path calls few helpers (count() written out here).
        mark = event.start_mark
        offset = mark.index
        value, tag = self.construct_scalar(event)
        self.node_count += 1
        if self.node_count > self.max_nodes:
            self.fail_too_many_values(mark)
        # Placed here rather than through add(): this branch knows where the value goes.
        frame = self.frame
        if frame is None:
            path: InstancePath = ()
            self.result, self.have_result = value, True
        elif frame.is_list:
            path = frame.path + (len(frame.container),)
            self.key_offsets[path] = offset
            frame.container.append(value)
        elif frame.has_pending_key:
            path = frame.pending_path
            self.put_value(frame, value)
        else:  # a key: scalars are always hashable
            frame.pending_key_is_merge = tag == "merge"
            self.take_key(frame, value, offset)
            return
        self.value_offsets[path] = offset
        if tag != "str":
            self.note_coercion(event, value, path, offset)
        if event.anchor:
            self.anchors[event.anchor] = (value, 1)

    def construct_scalar(self, event: Any) -> tuple[Any, str]:
        tag = event.tag
        if tag is None or tag == "!":
            text = event.value
            if not event.implicit[0]:
                return text, "str"  # quoted
            resolvers = _RESOLVERS_BY_FIRST_CHARACTER.get(text[:1], _WILDCARD_RESOLVERS)
            if not resolvers:
                return text, "str"  # a plain scalar no implicit type can start with
            tag = _implicit_tag(text, resolvers)
        short = _SAFE_SCALAR_TAGS.get(tag)
        if short is None:
            self.fail_unsafe_tag(event, tag)
        if short == "str":
            return event.value, short
        if short == "merge":
            return "<<", short
        if short == "value":
            return event.value, "str"
        if short in ("int", "float") and len(event.value) > MAX_NUMBER_CHARS:
            self.fail(
                "CG009", event.start_mark,
                f"a number written with {len(event.value):,} characters; cardguard reads numbers of at most "
                f"{MAX_NUMBER_CHARS:,}", "quote it if it is text",
            )
        if short == "timestamp":
            self.doc.holds_date = True
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            return SafeConstructor.yaml_constructors[tag](_SCALAR_CONSTRUCTOR, node), short
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as error:
            self.fail("CG005", event.start_mark, f"cannot read {event.value[:40]!r} as {short}: {error}")
            raise  # unreachable: fail() raises

    def fail_unsafe_tag(self, event: Any, tag: str) -> None:
        self.fail(
            "CG008", event.start_mark,
            f"unsafe or unknown YAML tag {tag!r}: the Hub rejects it and cardguard never constructs it",
            "write plain YAML values (dump with yaml.safe_dump, not yaml.dump)",
        )

    def note_coercion(self, event: Any, value: Any, path: InstancePath, offset: int) -> None:
        if event.tag is not None or event.style not in (None, ""):
            return
        text = event.value
        surprising = (
            (isinstance(value, bool) and text.lower() in _TRAP_BOOLS)
            or (isinstance(value, float) and _VERSION_LIKE.match(text) is not None)
            or (isinstance(value, int) and not isinstance(value, bool) and _PLAIN_DECIMAL.fullmatch(text) is None)
        )
        if surprising:
            self.doc.coercions.append(Coercion(path, text, value, *self.doc.position(offset)))

    def on_collection_start(self, event: Any, container: list | dict) -> None:
        if event.tag not in (None, "!") and event.tag not in _SAFE_COLLECTION_TAGS:
            self.fail_unsafe_tag(event, event.tag)
        parent = self.frame
        if parent is not None and parent.expects_key():
            self.fail("CG005", event.start_mark, "a mapping key is a list or mapping; keys must be plain values")
        if len(self.stack) >= self.limits.max_depth:
            self.fail(
                "CG009", event.start_mark,
                f"YAML nests deeper than {self.limits.max_depth} levels",
                "flatten the structure, or raise limits.yaml_depth in the configuration",
            )
        path = parent.next_path() if parent is not None else ()
        offset = event.start_mark.index
        self.value_offsets[path] = offset
        if parent is not None and parent.is_list:
            self.key_offsets[path] = offset
        self.count(1, event.start_mark)
        self.stack.append(parent)
        self.frame = _Frame(container, path, event.anchor, self.node_count, event.start_mark)

    def on_collection_end(self) -> None:
        frame = self.frame
        self.frame = self.stack.pop()
        container = self.apply_merges(frame) if frame.merges else frame.container
        weight = self.node_count - frame.start_count + 1
        if frame.anchor:
            self.anchors[frame.anchor] = (container, weight)
        self.add(container, frame.start_mark)

    def apply_merges(self, frame: _Frame) -> dict:
        merged: dict = {}
        for source in frame.merges:
            sources = source if isinstance(source, list) else [source]
            for item in sources:
                if not isinstance(item, dict):
                    self.fail("CG005", frame.start_mark, "a '<<' merge key must name a mapping")
                for key, value in item.items():
                    merged.setdefault(key, value)
        merged.update(frame.container)
        return merged

    def on_alias(self, event: Any) -> None:
        if event.anchor not in self.anchors:
            self.fail("CG005", event.start_mark, f"alias *{event.anchor} names no anchor defined before it")
        value, weight = self.anchors[event.anchor]
        self.count(weight, event.start_mark)
        frame = self.frame
        if frame is None or not frame.expects_key():
            path = frame.next_path() if frame is not None else ()
            self.value_offsets[path] = event.start_mark.index
        self.add(value, event.start_mark)


def _implicit_tag(text: str, resolvers: tuple[tuple[str, re.Pattern[str]], ...]) -> str:
    """The tag Resolver.resolve gives the plain scalar ``text``: the first resolver matching it."""
    for tag, pattern in resolvers:
        if pattern.match(text):
            return tag
    return Resolver.DEFAULT_SCALAR_TAG


def _path_key(key: Any) -> Any:
    if type(key) is str:  # nearly every key
        return key
    return key if isinstance(key, int) and not isinstance(key, bool) else str(key)


def parse_yaml(text: str, path: str, *, line_offset: int = 0, limits: Limits | None = None) -> YamlDoc:
    """Parse one YAML document; ``line_offset`` is the number of file lines before ``text``.

    Never raises for bad input: problems are in ``doc.findings`` and ``doc.ok`` is False.
    An empty document gives ``value None`` with ``ok True``.
    """
    limits = limits or _DEFAULT_LIMITS
    doc = YamlDoc(path, first_line=line_offset + 1, _text=text)
    # A character is at most 4 bytes: only a long text needs encoding to be measured.
    if len(text) * 4 > limits.max_bytes and len(text.encode("utf-8", "surrogatepass")) > limits.max_bytes:
        doc.findings.append(codes.finding(
            "CG009", path, line_offset + 1, 1,
            f"YAML block is larger than {limits.max_bytes:,} bytes",
            "shrink the metadata, or raise limits.yaml_bytes in the configuration",
        ))
        return doc
    builder = _Builder(doc, limits)
    try:
        _run_events(builder, text)
    except _Abort:
        return doc
    except yaml.MarkedYAMLError as error:
        doc.findings.append(_syntax_finding(error, path, line_offset, doc.lines))
        return doc
    except ReaderError as error:  # a character YAML does not allow, at a character index
        line, column = doc.lines.position(min(error.position, len(text)))
        doc.findings.append(codes.finding("CG005", path, line + line_offset, column, f"invalid YAML: {error}"))
        return doc
    except yaml.YAMLError as error:
        doc.findings.append(codes.finding("CG005", path, line_offset + 1, 1, f"invalid YAML: {error}"))
        return doc
    doc.value = builder.result
    doc.ok = True
    return doc


def _run_events(builder: _Builder, text: str) -> None:
    parser = _Parser(text)
    get_event, on_scalar = parser.get_event, builder.on_scalar  # once, not per event
    documents = 0
    try:
        while True:
            event = get_event()
            kind = type(event)  # the most frequent kinds first
            if kind is ScalarEvent:
                on_scalar(event)
            elif kind is MappingStartEvent:
                builder.on_collection_start(event, {})
            elif kind is SequenceStartEvent:
                builder.on_collection_start(event, [])
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                builder.on_collection_end()
            elif kind is AliasEvent:
                builder.on_alias(event)
            elif kind is DocumentStartEvent:
                documents += 1
                if documents > 1:
                    builder.fail(
                        "CG005", event.start_mark,
                        "the metadata block holds more than one YAML document",
                        "remove the extra '---' or '...' line inside the metadata",
                    )
            elif kind is StreamEndEvent:
                break
    finally:
        _dispose(parser)


def _dispose(parser: Any) -> None:
    """Free libyaml's parser now rather than when collected (the pure parser has nothing to free)."""
    dispose = getattr(parser, "dispose", None)
    if dispose is not None:
        dispose()


class LoaderRejection(Record, frozen=True):
    """Where and why PyYAML's pure-Python loader rejects YAML that libyaml accepted."""

    line: int  # 1-based, in the parsed text
    column: int
    problem: str
    character: str  # the character at the error mark ("" at the end of the text)


# Constructs on which PyYAML's pure-Python scanner rejects what libyaml accepts (found by
# comparing the two on generated YAML; tests/unit/test_hub_loader.py keeps the list honest):
# a tab where a token would start, a byte order mark inside the text, a tag ('!' where a
# token starts, or right after a ':' as in '[*x:!t a]') whose handle holds punctuation, a block scalar header followed by '#' or a
# tab, a '?' inside a flow collection outside quotes ('tags: [what?]', '[?, a]'). The YAML
# 1.1-only line breaks (U+0085, U+2028, U+2029) are scanned for too: next to a byte order
# mark the two loaders disagree on them, and they are rare enough to cost nothing.
_PURE_LOADER_CHARACTERS = ("\t", "\ufeff", "\x85", "\u2028", "\u2029")
_TAG_START = re.compile(r"(?<![^\s\[\]{},:])!")
_BLOCK_HEADER_THEN_HASH = re.compile(r"[|>][-+0-9]{0,3}#")


# The pure loader reads about 250 KB of YAML a second on a loaded machine, so bigger blocks
# are not compared (a second at most per card). Real metadata is far smaller: a few hundred
# characters typically, 13 KB the largest of the 729 blocks in the measurement corpus.
HUB_LOADER_CHECK_MAX_CHARS = 256 * 1024


def pure_loader_may_differ(text: str) -> bool:
    """Whether ``text`` holds a construct on which the pure loader may reject what libyaml
    accepts. Substring tests first (a few microseconds for a card): a regex runs only when
    the character it needs is there, libyaml's events only when a '?' and a flow bracket
    are (a '?' in a question in quotes, or in a URL in block context, is common)."""
    for character in _PURE_LOADER_CHARACTERS:
        if character in text:
            return True
    if "!" in text and _TAG_START.search(text) is not None:
        return True
    if "#" in text and _BLOCK_HEADER_THEN_HASH.search(text) is not None:
        return True
    return "?" in text and ("[" in text or "{" in text) and _question_mark_in_flow(text)


def _question_mark_in_flow(text: str) -> bool:
    """Whether a '?' stands inside a flow collection, outside quoted text, as libyaml reads
    ``text``: there the two scanners part ways (the pure one ends a plain scalar at a '?',
    and reads an explicit key followed by ',' differently). A '?' in block context or in
    quotes is read alike by both. libyaml's events find the flow text at a fraction of the
    pure parser's cost; YAML libyaml rejects counts as a yes."""
    parser = _Parser(text)
    is_flow: list[bool] = []  # per open collection, innermost last
    flow_depth = 0  # how many of them are flow collections
    unread = 0  # where the flow text not yet looked at begins
    try:
        while True:
            event = parser.get_event()
            kind = type(event)
            if kind is MappingStartEvent or kind is SequenceStartEvent:
                is_flow.append(event.flow_style is True)
                if is_flow[-1]:
                    if flow_depth == 0:
                        unread = event.start_mark.index
                    flow_depth += 1
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                if is_flow.pop():
                    flow_depth -= 1
                    if flow_depth == 0 and "?" in text[unread:event.end_mark.index]:
                        return True
            elif kind is ScalarEvent and flow_depth and event.style in ("'", '"'):
                if "?" in text[unread:event.start_mark.index]:
                    return True
                unread = event.end_mark.index  # skip the quoted text
            elif kind is StreamEndEvent:
                return False
    except yaml.YAMLError:
        return True
    finally:
        _dispose(parser)


def hub_loader_rejection(text: str) -> LoaderRejection | None:
    """Why huggingface_hub cannot load ``text``, YAML that libyaml accepted, or None.

    huggingface_hub reads card metadata with ``yaml.safe_load``: PyYAML's pure-Python loader,
    whose scanner is stricter than libyaml's. Its parser runs (events only, through the public
    ``yaml.parse``) only when :func:`pure_loader_may_differ` says it could disagree; the
    constructor is not needed, since cardguard's own builder constructs the same values.
    Blocks longer than ``HUB_LOADER_CHECK_MAX_CHARS`` are not compared.
    """
    if len(text) > HUB_LOADER_CHECK_MAX_CHARS or not pure_loader_may_differ(text):
        return None
    try:
        for _event in yaml.parse(text, Loader=yaml.SafeLoader):
            pass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        index = min(mark.index, len(text)) if mark is not None else 0
        line, column = LineIndex(text).position(index)
        return LoaderRejection(line, column, error.problem or "syntax error", text[index:index + 1])
    except yaml.YAMLError as error:
        return LoaderRejection(1, 1, str(error), "")
    return None


def _syntax_finding(error: yaml.MarkedYAMLError, path: str, line_offset: int, lines: LineIndex) -> Finding:
    mark = error.problem_mark or error.context_mark
    line, column = lines.position(min(mark.index, len(lines.text))) if mark else (1, 1)
    problem = error.problem or "syntax error"
    if error.context:
        problem = f"{problem} ({error.context})"
    fix = None
    if mark is not None and _indented_with_tab(lines.line_text(line)):
        fix = "YAML does not allow tabs for indentation; indent with spaces"
    if "nesting depth" in problem:  # libyaml's own bound, met before ours
        return codes.finding("CG009", path, line + line_offset, column, f"YAML nests too deep: {problem}",
                             "flatten the structure")
    return codes.finding("CG005", path, line + line_offset, column, f"invalid YAML: {problem}", fix)


def _indented_with_tab(line: str) -> bool:
    indent = line[: len(line) - len(line.lstrip(" \t"))]
    return "\t" in indent
