"""What the public API (cardguard/api.py) returns for a run over cards: a Report of CardReports.

Plain frozen data: nothing here reads, prints or decides how a finding is shown (report/ does).
"""

from __future__ import annotations

from cardguard.findings import Finding, Severity
from cardguard.record import Record
from cardguard.rules.profile_choice import ProfileChoice

TYPE_CHECKING = False  # typing is imported for type checkers only (the CLI's cold start)
if TYPE_CHECKING:
    from typing import Literal


class CardReport(Record, frozen=True):
    """One card of a run: its findings, and what was fixed, chosen, changed or written."""

    path: str  # the card as findings show it (relative to the working folder when below it)
    findings: tuple[Finding, ...]
    # the card's configured fail-on ("never": nothing fails); None: the run had no time left to check it
    fail_on: Severity | Literal["never"] | None
    fixed: tuple[Finding, ...] = ()  # validate/check with fix=True: the fixes applied (as first reported)
    profile_choice: ProfileChoice | None = None  # the profile `auto` chose, and why (None when one was set)
    changed: bool = False  # check: sync would change the card; sync: it changed (or, write=False, would)
    diff: str = ""  # the unified diff of that change (check, and sync with write=False)
    written: bool = False  # sync, fix: the card (or its .eval_results) was rewritten
    blocked: bool = False  # sync: not rewritten, its region markers need fixing first
    profile: str | None = None  # the profile the card was checked with (`auto`'s choice, or the one set)

    @property
    def checked(self) -> bool:
        return self.fail_on is not None

    def fails(self, fail_on: str | None = None) -> bool:
        """Whether a finding is at or above ``fail_on`` (None: the card's configured fail-on;
        "never": nothing fails; another name raises ValueError). A card the run had no time left
        for fails unless "never"."""
        if fail_on == "never":
            return False
        if self.fail_on is None:
            return True
        threshold = Severity.parse(fail_on) if fail_on else self.fail_on
        return threshold != "never" and any(item.severity >= threshold for item in self.findings)


class Report(Record, frozen=True):
    """What ``validate``, ``check`` or ``sync`` found over every card behind the paths."""

    command: str  # "validate", "check" or "sync"
    cards: tuple[CardReport, ...]
    skipped: tuple[str, ...] = ()  # README.md files passed over as not model cards

    @property
    def findings(self) -> list[Finding]:
        return [item for card in self.cards for item in card.findings]

    @property
    def fixed(self) -> list[Finding]:
        return [item for card in self.cards for item in card.fixed]

    @property
    def diffs(self) -> dict[str, str]:
        """Card path -> the diff sync would apply (check; sync with write=False), in run order."""
        return {card.path: card.diff for card in self.cards if card.diff}

    @property
    def counts(self) -> dict[str, int]:
        """The number of findings per severity: ``{"error": 1, "warning": 0, "info": 2}``."""
        counts = {str(severity): 0 for severity in sorted(Severity, reverse=True)}
        for item in self.findings:
            counts[str(item.severity)] += 1
        return counts

    def exit_code(self, fail_on: str | None = None) -> int:
        """1 when a card fails at ``fail_on`` ("error", "warning", "info", "never"; None: each
        card's configured fail-on), or, for ``sync``, a card changed (pre-commit style); else 0."""
        if self.command == "sync" and any(card.changed for card in self.cards):
            return 1
        return 1 if any(card.fails(fail_on) for card in self.cards) else 0
