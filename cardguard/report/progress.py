"""Progress of a long run (``audit``), on the stream the CLI hands over (stderr): a tqdm bar on
a terminal; plain lines otherwise (CI logs), one every ``PLAIN_EVERY_SECONDS`` and at the end.
"""

from __future__ import annotations

import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TextIO

PLAIN_EVERY_SECONDS = 10.0


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
        self.failing += line["status"] != "checked" or line["errors"] > 0
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

            self.bar = tqdm(total=total, file=self.stream, unit="repo", desc="cardguard audit")
        self.bar.set_postfix(failing=self.failing, refresh=False)
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
