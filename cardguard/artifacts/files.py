"""Safe access to the files of one model folder, shared by every reader.

Every artifact is opened through a ``ReadContext``: it refuses ``..`` and absolute paths,
opens the rest through the repository gate (:mod:`cardguard.safe_paths`: no symlink leading
outside the model folder, into ``.git`` or to a file git does not track), refuses files over
the configured size bound, recognises Git LFS pointers, and turns every problem into a
finding instead of an exception. Readers therefore never see a path they must not follow.

Paths in findings and in ``files_read`` are ``display_root`` joined with the path relative to
the model folder (``display_root=""`` gives plain relative paths such as
``text_encoder/config.json``).
"""

from __future__ import annotations

import json
import os
import re
from contextlib import nullcontext
from itertools import accumulate

from cardguard import codes
from cardguard.artifacts.lfs import MAX_POINTER_BYTES, LfsPointer, parse_lfs_pointer
from cardguard.artifacts.odd_text import clean_json_value, may_hold_lone_surrogates
from cardguard.findings import Finding
from cardguard.limits import Limits
from cardguard.lines import LineIndex
from cardguard.record import Record, factory
from cardguard.safe_paths import Refused, open_for_reading, read_up_to

TYPE_CHECKING = False  # typing is imported for type checkers only: it costs a cold start ~5 ms
if TYPE_CHECKING:
    from typing import BinaryIO


class ReadContext(Record):
    """One model folder being read: where it is, how to name its files, what went wrong."""

    model_dir: str  # a path-like is accepted and kept as its string
    display_root: str = ""
    limits: Limits = factory(Limits)
    findings: list[Finding] = factory(list)
    files_read: list[str] = factory(list)
    lfs_pointers: dict[str, LfsPointer] = factory(dict)  # relative path -> pointer

    def __post_init__(self) -> None:
        self.model_dir = os.fspath(self.model_dir)
        self._root: str | None = None
        self._already_read: set[str] = set(self.files_read)

    @property
    def root(self) -> str:
        """The folder, resolved: where every file opened must stay. Worked out at the first
        file opened: a folder holding only its card opens none."""
        if self._root is None:
            self._root = os.path.realpath(self.model_dir)
        return self._root

    def display(self, relative: str) -> str:
        """The path shown to the user for a file given relative to the model folder."""
        if not self.display_root:
            return relative
        return f"{self.display_root.rstrip('/')}/{relative}"

    def report(self, code: str, relative: str, message: str, fix: str | None = None) -> None:
        self.findings.append(codes.finding(code, self.display(relative), 1, 1, message, fix))

    def note_read(self, relative: str) -> None:
        shown = self.display(relative)
        if shown not in self._already_read:
            self._already_read.add(shown)
            self.files_read.append(shown)

    # -- locating files -------------------------------------------------------------------------

    def exists(self, relative: str) -> bool:
        """True when something (file, link, folder) is at this path; never follows it outside."""
        return is_plain_relative(relative) and os.path.lexists(os.path.join(self.model_dir, relative))

    # -- opening files --------------------------------------------------------------------------

    def reading_ahead(self, relatives: list[str]) -> object:
        """A ``with`` block in which ``relatives`` are opened, in this order: a context whose
        files are remote fetches their first bytes meanwhile (remote.py); a local folder has
        nothing to fetch."""
        return nullcontext()

    def open_binary(self, relative: str) -> tuple[BinaryIO, int] | None:
        """Open a file through the gate (cardguard.safe_paths); returns the file and its size,
        or None with a finding. Missing files give None silently.

        LFS pointer files are recorded (CG308) and give None: their content is not here.
        """
        if not is_plain_relative(relative):
            self.report("CG307", relative, f"path {relative!r} is absolute or contains '..'; not followed")
            return None
        try:
            handle, size = open_for_reading(os.path.join(self.root, relative), self.root)
        except FileNotFoundError:
            return None
        except Refused as refusal:
            self.report(refusal.code, relative, f"{relative} {refusal.reason}")
            return None
        except OSError as err:
            self.report("CG001", relative, f"cannot open {relative}: {err.strerror or err}")
            return None
        pointer = _read_pointer_if_small(handle, size)
        if pointer is not None:
            handle.close()
            self.lfs_pointers[relative] = pointer
            self.note_read(relative)
            self.report(
                "CG308",
                relative,
                f"{relative} is a Git LFS pointer: not available locally ({pointer.size} bytes on the LFS server)",
                fix="run `git lfs pull` to fetch the content",
            )
            return None
        self.note_read(relative)
        return handle, size

    def read_bytes(self, relative: str, max_bytes: int) -> bytes | None:
        """The whole content of a small file, or None (missing, refused, too large, LFS pointer)."""
        opened = self.open_binary(relative)
        if opened is None:
            return None
        handle, size = opened
        with handle:
            if size > max_bytes:
                self.report(
                    "CG311",
                    relative,
                    f"{relative} is {size} bytes, over the {max_bytes}-byte bound for this kind of file; not read",
                )
                return None
            try:
                data = read_up_to(handle, size, max_bytes)
            except OSError as err:
                self.report("CG001", relative, f"cannot read {relative}: {err.strerror or err}")
                return None
        if len(data) > max_bytes:
            self.report("CG311", relative, f"{relative} is over the {max_bytes}-byte bound; not read")
            return None
        return data

    def read_text(self, relative: str) -> str | None:
        data = self.read_bytes(relative, self.limits.max_text_bytes)
        if data is None:
            return None
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            self.report("CG312", relative, f"{relative} is not UTF-8 text ({err.reason} at byte {err.start})")
            return None

    def read_json(self, relative: str, flat: bool = False) -> object | None:
        """Parsed JSON of a file, or None when it is missing or broken (with a finding).

        ``flat=True`` is for a reader that never walks nested values (a shard index, read as
        one mapping): it skips the nesting bound, a pass over the whole text.
        """
        data = self.read_bytes(relative, self.limits.max_json_bytes)
        if data is None:
            return None
        return parse_json(self, relative, data, None if flat else self.limits.max_json_depth)

    def read_json_object(self, relative: str, flat: bool = False) -> dict | None:
        value = self.read_json(relative, flat)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.report("CG301", relative, f"{relative} holds a JSON {json_type_name(value)}, not an object")
            return None
        return value


def parse_json(ctx: ReadContext, relative: str, data: bytes, max_depth: int | None) -> object | None:
    """Decode and parse JSON bytes; any failure becomes CG301 on ``relative``, and so does
    nesting deeper than ``max_depth`` (None: no bound)."""
    max_values = ctx.limits.max_json_values
    if len(data) >= max_values and (values := json_values_at_most(data)) > max_values:
        ctx.report("CG311", relative, f"{relative} may hold {values} JSON values, over the bound of {max_values}; not read")
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        ctx.report("CG301", relative, f"{relative} is not UTF-8 ({err.reason} at byte {err.start})")
        return None
    try:
        value = json.loads(text)
    except RecursionError:
        ctx.report("CG301", relative, f"{relative} is nested too deeply to parse")
    except ValueError as err:
        # json counts only LF as a line break: place the error through the one line model.
        position = getattr(err, "pos", None)
        line, column = LineIndex(text).position(position) if position is not None else (1, 1)
        message = getattr(err, "msg", str(err))
        ctx.findings.append(
            codes.finding("CG301", ctx.display(relative), line, column, f"{relative} is not valid JSON: {message}")
        )
    else:
        if max_depth is None or _opening_brackets(text) <= max_depth or json_depth(text) <= max_depth:
            return clean_json_value(value) if may_hold_lone_surrogates(text) else value
        ctx.report("CG301", relative, f"{relative} nests arrays and objects deeper than {max_depth} levels")
    return None


# Compiled on first use (re caches them): most runs never need json_depth.
_JSON_STRING = r'"[^"\\]*(?:\\.[^"\\]*)*"'
_NOT_BRACKET = r"[^\[\]{}]+"
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def json_depth(text: str) -> int:
    """How deep arrays and objects nest in valid JSON ``text``, without recursion: json.loads
    accepts ~1,000 levels, deeper than the recursion left to code that walks the value."""
    brackets = re.sub(_NOT_BRACKET, "", re.sub(_JSON_STRING, "", text))
    return max(accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0)


def json_values_at_most(data: bytes) -> int:
    """An upper bound of the values and keys in JSON ``data``, counted in C before parsing:
    every value but the first follows a '[', ',' or ':' and every key a '{' or ','. Characters
    inside strings only raise the count. Parsing costs memory per value, not per byte; the
    count is at most one more than the bytes, so data shorter than a bound need not be counted."""
    return 1 + data.count(b"[") + data.count(b"{") + data.count(b",") + data.count(b":")


def _opening_brackets(text: str) -> int:
    """An upper bound of the nesting depth, counted in C: most files (config.json, results)
    have fewer brackets than the bound and need no json_depth pass."""
    return text.count("[") + text.count("{")


def summarise(messages: list[str], shown: int = 3) -> str:
    """A few messages of one kind joined, then how many more there are."""
    text = "; ".join(messages[:shown])
    if len(messages) > shown:
        text += f"; … and {len(messages) - shown} more"
    return text


def json_type_name(value: object) -> str:
    names = {list: "array", str: "string", int: "number", float: "number", bool: "boolean", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def is_plain_relative(relative: str) -> bool:
    """True for a relative path without ``..`` parts (Windows separators count as separators)."""
    if not relative or "\x00" in relative:
        return False
    normalised = relative.replace("\\", "/")
    if normalised.startswith("/") or (len(normalised) > 1 and normalised[1] == ":"):
        return False
    return ".." not in normalised.split("/")


def _read_pointer_if_small(handle: BinaryIO, size: int) -> LfsPointer | None:
    if size > MAX_POINTER_BYTES:
        return None
    head = handle.read(MAX_POINTER_BYTES)
    handle.seek(0)
    return parse_lfs_pointer(head)
