"""Figures beside the card that a region shows (the `training-curves` SVG): compared with the
file on disk, and written atomically when they differ.

A figure is machine-owned, like the text between markers: ``sync`` replaces it whole. The tree
is the pull request's, so it is hostile: a figure is read and written only inside the model
folder, through the gate (cardguard.safe_paths), and never through a link at all (a linked
``assets/`` or a linked SVG is refused with CG307, even one that stays inside the folder).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Callable

from cardguard import codes
from cardguard.edit.sync import FileChange
from cardguard.expect.curves import ExpectedFigure
from cardguard.findings import Finding
from cardguard.safe_paths import Refused, open_for_reading, read_up_to, write_file

MAX_FIGURE_BYTES = 16 * 1024 * 1024  # a larger file on disk is not read: it differs


class FigureChange(FileChange, frozen=True):
    """A figure sync would write: ``new`` is the SVG's text, ``old`` the file's (None: no file)."""

    boundary: Path  # the model folder: nothing is written outside it
    region: str  # the region that shows the figure

    def diff(self) -> str:
        # A figure is not shown line by line; git's words for a file it does not diff.
        old = "/dev/null" if self.old is None else f"a/{self.display.lstrip('/')}"
        return f"Binary files {old} and b/{self.display.lstrip('/')} differ\n"


def plan_figures(model_dir: Path, figures: tuple[ExpectedFigure, ...], shown_as: Callable[[Path], str]
                 ) -> tuple[list[FigureChange], list[Finding]]:
    """The figures that are missing or differ on disk, and the CG307/CG001 findings of those
    that cannot be read or written (a link on the way, a file where a folder should be)."""
    boundary = Path(os.path.abspath(model_dir))
    changes: list[FigureChange] = []
    findings: list[Finding] = []
    for figure in figures:
        path = boundary / figure.path
        problem = link_on_the_way(boundary, figure.path)
        if problem is None:
            try:
                current = _current_bytes(path, boundary)
            except Refused as refusal:
                problem = (refusal.code, refusal.reason)
            except OSError as error:
                problem = ("CG001", f"cannot be read: {error.strerror or error}")
        if problem is not None:
            shown = shown_as(path)
            findings.append(codes.finding(problem[0], shown, 1, 1, f"{shown} {problem[1]}; the figure is not written"))
        elif current != figure.data:
            old = None if current is None else current.decode("utf-8", "replace")
            changes.append(FigureChange(path, shown_as(path), 1, old, figure.data.decode("utf-8"),
                                        boundary=boundary, region=figure.region))
    return changes, findings


def link_on_the_way(boundary: Path, relative: str) -> tuple[str, str] | None:
    """(rule code, why) when a component of ``relative`` below ``boundary`` is a link, or a
    folder on the way is not a folder; None when the path is plain (or not there yet)."""
    parts = relative.split("/")
    for depth in range(1, len(parts) + 1):
        try:
            mode = os.lstat(boundary.joinpath(*parts[:depth])).st_mode
        except FileNotFoundError:
            return None
        if stat.S_ISLNK(mode):
            return "CG307", f"is reached through a link ({'/'.join(parts[:depth])}); cardguard never follows one to a figure"
        if depth < len(parts) and not stat.S_ISDIR(mode):
            return "CG001", f"cannot be written: {'/'.join(parts[:depth])} is not a folder"
    return None


def _current_bytes(path: Path, boundary: Path) -> bytes | None:
    """The figure's bytes on disk, None when there is none; b'' for one too large to read."""
    try:
        handle, size = open_for_reading(path, boundary)
    except FileNotFoundError:
        return None
    with handle:
        if size > MAX_FIGURE_BYTES:
            return b""
        data = read_up_to(handle, size, MAX_FIGURE_BYTES)
    return b"" if len(data) > MAX_FIGURE_BYTES else data


def write_figure(change: FigureChange) -> None:
    """Write the figure atomically inside its model folder (its folder created when missing);
    raises Refused when a link appeared on the way since it was planned."""
    relative = change.path.relative_to(change.boundary).as_posix()
    problem = link_on_the_way(change.boundary, relative)
    if problem is not None:
        raise Refused(*problem)
    try:
        write_file(change.path, change.boundary, change.new.encode("utf-8"), new=change.old is None)
    except FileExistsError:
        raise Refused("CG001", "appeared while cardguard was writing it; not replaced") from None
