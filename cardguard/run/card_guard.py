"""One card of a multi-card run: a bug its work hits becomes CG000 ``internal-error`` on that
card, and the run goes on with the next card (docs/security.md, guarantee 9).

May import the ground floor (codes, findings, config, targets); the result type of a failed
card is imported only when a card fails, so `validate` does not load the sync machinery.
"""

from __future__ import annotations

from cardguard import codes
from cardguard.settings.config import ConfigError, Settings
from cardguard.findings import Finding
from cardguard.settings.targets import Target

TYPE_CHECKING = False  # typing is imported for type checkers only: it costs a cold start ~5 ms
if TYPE_CHECKING:
    from typing import Callable, TypeVar

    from cardguard.run.sync_run import SyncResult
    from cardguard.run.validate import ConfigCache

    Result = TypeVar("Result")


MAX_ERROR_MESSAGE_CHARS = 300


def run_one_card(work: Callable[[], Result], target: Target, configs: ConfigCache,
                 debug: bool = False) -> Result | SyncResult:
    """``work()`` for one card of a multi-card run; a bug it hits becomes CG000 on that card.

    The one place where an unexpected exception stops at the card, so the run goes on with
    the next one. Writing the card is the last step of ``sync_target``: a card whose work
    failed before that is never written. OSError and ConfigError pass through: they are the
    I/O and configuration errors the CLI reports as one line with exit code 2. ``debug``
    re-raises, for a traceback.
    """
    try:
        return work()
    except (OSError, ConfigError):
        raise
    except Exception as error:  # noqa: BLE001 -- any bug, reported per card
        if debug:
            raise
        from cardguard.run.sync_run import SyncResult  # only when a card failed: validate stays light

        return SyncResult(target, _settings_or_defaults(target, configs), plan=None,
                          findings=[internal_error(target, error)])


def _settings_or_defaults(target: Target, configs: ConfigCache) -> Settings:
    """The card's settings (read before ``work`` failed, so cached), or the defaults should
    reading them be the bug."""
    try:
        return configs.settings_for(target)
    except Exception:  # noqa: BLE001
        return Settings()


def internal_error(target: Target, error: Exception) -> Finding:
    """CG000 for ``target``: the exception's type and message (cut short)."""
    try:
        message = f"{type(error).__name__}: {error}"
    except Exception:  # noqa: BLE001 -- an exception whose message cannot be shown (a huge int in it)
        message = type(error).__name__
    if len(message) > MAX_ERROR_MESSAGE_CHARS:
        message = message[: MAX_ERROR_MESSAGE_CHARS - 1] + "…"
    return codes.finding(
        "CG000", target.display, 1, 1,
        f"cardguard failed on this card and did not check or write it ({message})",
        "please report it (CARDGUARD_DEBUG=1 shows a traceback); the run went on with the other cards",
    )
