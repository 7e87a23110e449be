"""Render section templates with Jinja2.

Built-in templates live in the top-level ``templates/`` folder (``cardguard/_data/templates``
in a wheel), one ``NAME.md.j2`` per generated region. A repository may override any of them in
``.cardguard/templates/NAME.md.j2``; those are the repository's code, so they are rendered in
Jinja2's sandbox with bounds on output size and time. Every template uses ``StrictUndefined``:
an undefined name is an error (a CG407 finding), never blank text.

jinja2 is imported only when something is rendered, so ``validate`` never pays for it.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

from cardguard.budget import spent_message, time_left
from cardguard.child_process import ChildFailed, ChildTimedOut, call_bounded
from cardguard.record import Record
from cardguard.resources import data_dir
from cardguard.safe_paths import Refused, open_for_reading

TEMPLATE_SUFFIX = ".md.j2"
OVERRIDE_DIR = Path(".cardguard") / "templates"
MAX_OUTPUT_CHARS = 256 * 1024
MAX_RENDER_SECONDS = 2.0
MAX_RENDER_MEMORY = 512 * 1024 * 1024  # address space a repository template may add
MAX_TEMPLATE_BYTES = 1024 * 1024
# The oldest Jinja2 whose sandbox has no published escape (GHSA-cpwx-vrp4-4pq7 and
# GHSA-q2x7-8rv6-6q7h are fixed in 3.1.6). pyproject.toml requires it; check_jinja_floor
# refuses repository templates when an older one is installed anyway.
JINJA_FLOOR = (3, 1, 6)


class RenderError(Exception):
    """A template could not be rendered; the message says why (one line)."""


class TemplateSource(Record, frozen=True):
    name: str
    text: str
    path: Path
    sandboxed: bool  # True for repository templates


def find_template(name: str, override_dirs: tuple[Path, ...] = ()) -> TemplateSource:
    """The template for region ``name``: a repository override if one exists, else built-in."""
    filename = name + TEMPLATE_SUFFIX
    for folder in override_dirs:
        candidate = folder / filename
        text = _read_repository_template(candidate, folder.parent.parent)  # <repo>/.cardguard/templates -> <repo>
        if text is not None:
            return TemplateSource(name, text, candidate, sandboxed=True)
    builtin = data_dir("templates") / filename
    return TemplateSource(name, _read(builtin), builtin, sandboxed=False)


# What override_dirs_for found for a folder (resolved) below a top (resolved, or None).
OverrideDirsKnown = dict[tuple[Path, Path | None], tuple[Path, ...]]


def override_dirs_for(model_dir: Path, top: Path | None = None, known: OverrideDirsKnown | None = None
                      ) -> tuple[Path, ...]:
    """``.cardguard/templates`` folders at or above ``model_dir``, nearest first, up to the
    repository root (the first folder holding ``.git``), or ``top`` when given (a Hub repo's
    temporary copy: its root). ``known`` (each folder's answer) lets a run over one tree look
    into each folder once: the model folders of a fleet share the folders above them."""
    return _override_dirs_at(model_dir.resolve(), top.resolve() if top is not None else None,
                             {} if known is None else known)


def _override_dirs_at(folder: Path, top: Path | None, known: OverrideDirsKnown) -> tuple[Path, ...]:
    key = (folder, top)
    found = known.get(key)
    if found is None:
        # os.path on the folder's name: each model folder of a fleet is looked into once, and
        # pathlib's joins and stat calls cost that look several times what the two stats do
        name = os.fspath(folder)
        own = (folder / OVERRIDE_DIR,) if os.path.isdir(os.path.join(name, OVERRIDE_DIR)) else ()
        parent = folder.parent
        last = os.path.exists(os.path.join(name, ".git")) or folder == top or parent == folder
        found = known[key] = own if last else own + _override_dirs_at(parent, top, known)
    return found


def _read_repository_template(candidate: Path, owner: Path) -> str | None:
    """A repository template's text, None when there is none. It is the repository's file:
    it is opened through the gate (cardguard.safe_paths), so a link to ``.git/config``, to a
    file git does not track or out of ``owner`` (the folder holding ``.cardguard``) is
    refused, never read, and cannot reach a card or a diff."""
    try:
        handle, size = open_for_reading(candidate, owner)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except Refused as refusal:
        raise RenderError(f"template {candidate} {refusal.reason}") from None
    except OSError as error:
        raise RenderError(f"cannot read template {candidate}: {error.strerror or error}") from None
    with handle:
        if size > MAX_TEMPLATE_BYTES:
            raise RenderError(f"template {candidate} is over {MAX_TEMPLATE_BYTES:,} bytes; not read")
        try:
            data = handle.read(MAX_TEMPLATE_BYTES + 1)
        except OSError as error:
            raise RenderError(f"cannot read template {candidate}: {error.strerror or error}") from None
    if len(data) > MAX_TEMPLATE_BYTES:
        raise RenderError(f"template {candidate} is over {MAX_TEMPLATE_BYTES:,} bytes; not read")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RenderError(f"cannot read template {candidate}: {error}") from None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RenderError(f"cannot read template {path}: {error}") from None


def render(source: TemplateSource, context: dict[str, Any]) -> str:
    """Render one template; raises RenderError for any failure.

    Repository templates run in a forked child with a hard wall-clock and memory bound
    (a loop that prints nothing, or a string doubled in a macro, never returns a chunk for
    ``_bounded_render`` to check); where there is no fork they run here with the chunk checks.
    """
    if source.sandboxed:
        check_jinja_floor(source)
    if source.sandboxed and hasattr(os, "fork"):
        text = _render_in_child(source, context)
    else:
        text = _render_here(source, context)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise RenderError(f"{source.path.name}: the output is not valid Unicode text ({error.reason})") from None
    return text


def check_jinja_floor(source: TemplateSource) -> None:
    """Refuse a repository template when the installed Jinja2 is older than JINJA_FLOOR: its
    sandbox is the only thing between the template and the runner. Built-in templates are
    cardguard's own and render with any Jinja2."""
    version = installed_jinja_version()
    if not version_at_least(version, JINJA_FLOOR):
        floor = ".".join(map(str, JINJA_FLOOR))
        raise RenderError(f"{source.path.name}: repository templates need Jinja2 >= {floor} (sandbox escapes are "
                          f"published for older ones); Jinja2 {version} is installed: not rendered")


def installed_jinja_version() -> str:
    """The version of the Jinja2 that ``import jinja2`` gives (its own public ``__version__``)."""
    import jinja2

    return str(jinja2.__version__)


def version_at_least(version: str, floor: tuple[int, ...]) -> bool:
    """Whether a version string is ``floor`` or newer, compared as numbers (3.1.10 > 3.1.6).

    A pre-release or development build of the floor itself (3.1.6rc1) is older than it, and a
    version that does not start with a number is treated as too old.
    """
    match = re.match(r"(\d+(?:\.\d+)*)(.*)", version.strip())
    if match is None:
        return False
    release = tuple(int(part) for part in match.group(1).split("."))
    width = max(len(release), len(floor))
    ours, needed = release + (0,) * (width - len(release)), floor + (0,) * (width - len(floor))
    if ours != needed:
        return ours > needed
    return _PRE_RELEASE.match(match.group(2)) is None


_PRE_RELEASE = re.compile(r"[.+_-]?(a|b|c|rc|alpha|beta|pre|preview|dev)\d*", re.IGNORECASE)


def _render_here(source: TemplateSource, context: dict[str, Any]) -> str:
    import jinja2

    environment = _environment(source.sandboxed)
    try:
        template = environment.from_string(source.text)
        return _bounded_render(template, context)
    except RenderError:
        raise
    except jinja2.UndefinedError as error:
        raise RenderError(f"{source.path.name}: undefined name: {error.message}") from None
    except jinja2.TemplateSyntaxError as error:
        raise RenderError(f"{source.path.name}:{error.lineno}: template syntax error: {error.message}") from None
    except jinja2.exceptions.SecurityError as error:
        raise RenderError(f"{source.path.name}: refused by the sandbox: {error}") from None
    except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError, RecursionError) as error:
        raise RenderError(f"{source.path.name}: {type(error).__name__}: {error}") from None


def _render_in_child(source: TemplateSource, context: dict[str, Any]) -> str:
    """Render in a forked child under RLIMIT_AS; kill it at MAX_RENDER_SECONDS (or when the
    run's time budget is spent, if that comes first)."""
    seconds = _render_seconds(source)
    try:
        return call_bounded(lambda: _render_here(source, context), seconds, MAX_RENDER_MEMORY,
                            describe=lambda error: _child_error(source, error))
    except ChildTimedOut:
        raise RenderError(_too_slow_message(source, seconds)) from None
    except ChildFailed as failure:
        raise RenderError(str(failure) or f"{source.path.name}: the template renderer failed") from None


def _child_error(source: TemplateSource, error: BaseException) -> str:
    """How a failure inside the render child reads (the child passes only text back)."""
    if isinstance(error, RenderError):
        return str(error)
    if isinstance(error, MemoryError):
        return f"{source.path.name}: over the {MAX_RENDER_MEMORY // 2**20} MiB memory bound; stopped"
    return f"{source.path.name}: {type(error).__name__}: {error}"[:300]


def _render_seconds(source: TemplateSource) -> float:
    """The render's time bound: its own, or what the run has left; RenderError when nothing is."""
    seconds = time_left(MAX_RENDER_SECONDS)
    if seconds <= 0:
        raise RenderError(f"{source.path.name}: not rendered: {spent_message()}")
    return seconds


def _too_slow_message(source: TemplateSource, seconds: float) -> str:
    if seconds < MAX_RENDER_SECONDS:
        return f"{source.path.name}: stopped after {seconds:.1f} s: {spent_message()}"
    return f"{source.path.name}: rendering took over {MAX_RENDER_SECONDS} s; stopped"


def _bounded_render(template: Any, context: dict[str, Any]) -> str:
    """Render chunk by chunk, stopping when the output or the time exceeds its bound (its
    own, or what the run has left)."""
    started = time.monotonic()
    seconds = time_left(MAX_RENDER_SECONDS)
    pieces: list[str] = []
    size = 0
    for piece in template.generate(context):
        size += len(piece)
        if size > MAX_OUTPUT_CHARS:
            raise RenderError(f"output over {MAX_OUTPUT_CHARS:,} characters; stopped")
        if time.monotonic() - started > seconds:
            raise RenderError(f"rendering took over {MAX_RENDER_SECONDS} s; stopped" if seconds >= MAX_RENDER_SECONDS
                              else f"stopped: {spent_message()}")
        pieces.append(piece)
    return "".join(pieces)


_ENVIRONMENTS: dict[bool, Any] = {}


def _environment(sandboxed: bool) -> Any:
    if sandboxed not in _ENVIRONMENTS:
        _ENVIRONMENTS[sandboxed] = _build_environment(sandboxed)
    return _ENVIRONMENTS[sandboxed]


def _build_environment(sandboxed: bool) -> Any:
    import jinja2

    options = dict(
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    environment = _bounded_sandbox_class()(**options) if sandboxed else jinja2.Environment(**options)
    environment.filters.update(FILTERS)
    return environment


def _bounded_sandbox_class() -> type:
    from jinja2.sandbox import SandboxedEnvironment

    class BoundedSandbox(SandboxedEnvironment):
        """The sandbox, plus bounds on ``*`` and ``**`` (``'x' * 10**9`` would exhaust memory)."""

        intercepted_binops = frozenset(["*", "**"])

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            if operator == "**" and isinstance(right, (int, float)) and abs(right) > 64:
                raise RenderError("exponent over 64 refused in a repository template")
            if operator == "*" and _product_too_large(left, right):
                raise RenderError(f"repetition over {MAX_OUTPUT_CHARS:,} items refused in a repository template")
            return super().call_binop(context, operator, left, right)

    return BoundedSandbox


def _product_too_large(left: Any, right: Any) -> bool:
    for sequence, count in ((left, right), (right, left)):
        if isinstance(sequence, (str, list, tuple)) and isinstance(count, int):
            return len(sequence) * count > MAX_OUTPUT_CHARS
    return False


# -- filters: the number formats the libraries print ------------------------------------------

def maybe_round(value: Any, decimals: int = 4) -> str:
    """transformers' ``_maybe_round``: floats with more than ``decimals`` decimals are rounded."""
    if isinstance(value, float) and "." in str(value) and len(str(value).split(".")[1]) > decimals:
        return f"{value:.{decimals}f}"
    return str(value)


def trainer_table(rows: list[dict[str, Any]]) -> str:
    """transformers' ``make_markdown_table``: centred columns as wide as their widest cell."""
    if not rows:
        return ""
    headers = list(rows[0].keys())
    widths = [len(str(header)) for header in headers]
    for row in rows:
        for position, header in enumerate(headers):
            widths[position] = max(widths[position], len(maybe_round(row.get(header, ""))))
    lines = [_table_line([str(h) for h in headers], widths)]
    lines.append("".join("|:" + "-" * width + ":" for width in widths) + "|")
    for row in rows:
        lines.append(_table_line([maybe_round(row.get(header, "")) for header in headers], widths))
    return "\n".join(lines)


def _table_line(cells: list[str], widths: list[int]) -> str:
    return "".join(f"| {cell}" + " " * (width - len(cell) + 1) for cell, width in zip(cells, widths)) + "|"


def thousands(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def human_count(value: Any) -> str:
    """12_345_678 -> '12.3M' (the Hub's style for parameter counts)."""
    if not isinstance(value, int):
        return str(value)
    for limit, suffix in ((10**12, "T"), (10**9, "B"), (10**6, "M"), (10**3, "K")):
        if value >= limit:
            return f"{value / limit:.1f}{suffix}"
    return str(value)


def table_cell(value: Any) -> str:
    """A value as one Markdown table cell: a line break (CRLF, CR or LF: cardguard/lines.py)
    would end the row and a ``|`` would split the cell, so they become a space and ``\\|``."""
    text = str(value).replace("\r\n", " ").replace("\r", " ").replace("\n", " ")
    return text.replace("|", "\\|")


def python_string(value: Any) -> str:
    """A value as a Python string literal on one line, quotes included: a folder name or a
    base model read from the repository can hold quotes or line breaks, which would otherwise
    end the snippet's string or line. JSON's double-quoted form is a valid Python literal."""
    import json

    return json.dumps(str(value), ensure_ascii=False)


def one_line(value: Any) -> str:
    """A value as text on one line (a heading's): line breaks (CRLF, CR, LF) become spaces."""
    return str(value).replace("\r\n", " ").replace("\r", " ").replace("\n", " ")


FILTERS = {"maybe_round": maybe_round, "trainer_table": trainer_table, "thousands": thousands, "human_count": human_count,
           "table_cell": table_cell, "python_string": python_string, "one_line": one_line}
