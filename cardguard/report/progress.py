"""Progress of a long run (``audit``), on the stream the CLI hands over (stderr): a tqdm bar on
a terminal; plain lines otherwise (CI logs), one every ``PLAIN_EVERY_SECONDS`` and at the end.
"""

from __future__ import annotations

import os
import time

from cardguard.report.results_line import fails

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TextIO

PLAIN_EVERY_SECONDS = 10.0
FALLBACK_SIZE = os.terminal_size((80, 24))


class Progress:
    """``update(done, total, line)`` after each repo; ``close()`` at the end."""

    def __init__(self, stream: TextIO, *, interval: float = PLAIN_EVERY_SECONDS) -> None:
        self.stream = stream
        self.interval = interval
        self.bar: Any = None
        self.last_line = time.monotonic()
        self.failing = 0
        self.use_bar = stream.isatty()

    def update(self, done: int, total: int, line: dict) -> None:
        self.failing += fails(line)
        if self.use_bar:
            self.bar_update(done, total)
        elif done == total or time.monotonic() - self.last_line >= self.interval:
            self.last_line = time.monotonic()
            self.stream.write(f"cardguard audit: {done}/{total} repos, {self.failing} failing\n")
            self.stream.flush()

    def bar_update(self, done: int, total: int) -> None:
        if self.bar is None:
            from tqdm import (
                tqdm,  # installed with huggingface_hub; imported only for a terminal
            )

            self.bar = tqdm(total=total, file=self.stream, unit="repo", desc="cardguard audit",
                            **bar_size(self.stream))
        self.bar.set_postfix(failing=self.failing, refresh=False)
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def bar_size(stream: TextIO) -> dict[str, int]:
    """Nothing (tqdm takes the terminal's size), or a size for a terminal that reports none: a
    pseudo-terminal opened without one (as ``script`` or ``docker run -t`` may give) is 0 rows
    high, and tqdm then hides its bar altogether."""
    try:
        size = os.get_terminal_size(stream.fileno())
    except (OSError, ValueError):
        size = os.terminal_size((0, 0))
    if size.columns and size.lines:
        return {}
    return {"ncols": size.columns or FALLBACK_SIZE.columns, "nrows": size.lines or FALLBACK_SIZE.lines}
