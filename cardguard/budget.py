"""One time budget for a whole run (``--timeout``), shared by every step that may be slow.

Each repository template has its own bound (2 s) and each remote header read its own (30 s),
but a pull request multiplies them: ten model folders with four slow templates each is 80 s.
The CLI opens one budget per command (:func:`run_budget`); a bounded step asks
:func:`time_left` for ``min(its own bound, what the run has left)``, and the card loops stop
starting cards once the budget is spent (each card not checked gets a CG009 finding).

The budget travels in a context variable rather than through every call between the CLI and
a template render (CLI -> sync_run -> sync -> render): it is a property of the run, like a
cancellation scope, and only the two places that wait (render, remote) read it. Outside a
``run_budget`` block (the Python API) there is no overall budget, only each step's own bound.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from contextvars import ContextVar

from cardguard import codes

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: `facts` keeps typing out of its start-up
if TYPE_CHECKING:
    from collections.abc import Iterator

    from cardguard.findings import Finding

DEFAULT_RUN_SECONDS = 60.0


class RunOutOfTime(Exception):
    """The run's budget was spent before the work could finish; the CLI prints one line, exit 2."""


class RunBudget:
    """What the run was given (``seconds``, from --timeout) and when it is spent (``deadline``,
    on the time.monotonic() clock). A plain class: `facts` keeps dataclasses out of its start-up."""

    __slots__ = ("seconds", "deadline")

    def __init__(self, seconds: float, deadline: float) -> None:
        self.seconds = seconds
        self.deadline = deadline

    def left(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def spent(self) -> bool:
        return self.left() <= 0.0


_CURRENT: ContextVar[RunBudget | None] = ContextVar("cardguard_run_budget", default=None)


@contextmanager
def run_budget(seconds: float) -> Iterator[RunBudget]:
    """Every bounded step inside the block shares one deadline, ``seconds`` from now."""
    budget = RunBudget(seconds, time.monotonic() + seconds)
    token = _CURRENT.set(budget)
    try:
        yield budget
    finally:
        _CURRENT.reset(token)


def time_left(own_seconds: float) -> float:
    """``own_seconds``, or less when the current run has less left (0.0 once it is spent)."""
    budget = _CURRENT.get()
    return own_seconds if budget is None else min(own_seconds, budget.left())


def budget_spent() -> bool:
    budget = _CURRENT.get()
    return budget is not None and budget.spent()


def spent_message() -> str:
    budget = _CURRENT.get()
    given = f" of {budget.seconds:g} s" if budget is not None else ""
    return f"the run's time budget{given} is spent (raise it with --timeout)"


def not_checked_finding(path: str) -> Finding:
    """CG009 for a card the run had no time left to check (nothing of it was read or written)."""
    return codes.finding("CG009", path, 1, 1, f"not checked: {spent_message()}",
                         "check fewer cards per run, or give the run more time with --timeout SECONDS")
