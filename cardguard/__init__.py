"""cardguard: keep Hugging Face model cards valid and true to their checkpoint.

The public API (cardguard/api.py, docs/api.md)::

    import cardguard

    report = cardguard.validate("models/bert")   # or check(...), sync(...)
    report.findings, report.counts, report.exit_code()
    facts = cardguard.read_facts("models/bert")

Its names are loaded on first use, so ``import cardguard`` stays as cheap as the command's
``--version``, and importing it changes no global state (tests/unit/test_public_api.py).

The package's parts, each a subpackage whose docstring says what it owns and what it may
import (docs/architecture.md draws them). Data flows one way::

    cli, integrations -> api -> run -> (rules, edit, report) -> expect -> settings -> (card, artifacts) -> ground

The ground floor is the modules at the top of the package that every part may use: findings
(the Finding type), codes (the rule table), lines (the one line model), safe_paths (the only
way files are opened), escape, shown, budget, child_process, resources, record, limits and data.

Ground modules: findings, codes, lines, safe_paths, escape, shown, budget, child_process,
resources, record, limits.
May import: ground.
"""

__version__ = "0.1.0"

# The public API, by name; each is imported from cardguard.api when first asked for (PEP 562).
__all__ = ["CardReport", "Report", "UsageError", "check", "init", "read_facts", "sync", "validate",
           "push", "sync_hub", "PushResult", "HubSyncResult", "audit", "AuditResult",
           "join_audits"]

TYPE_CHECKING = False  # type checkers see the names and their signatures; the interpreter waits
if TYPE_CHECKING:
    from cardguard.api import CardReport, Report, UsageError, check, init, read_facts, sync, validate
    from cardguard.api import HubSyncResult, PushResult, push, sync_hub
    from cardguard.api import AuditResult, audit, join_audits


def __getattr__(name: str) -> object:
    if name in __all__:
        from cardguard import api

        return getattr(api, name)
    raise AttributeError(f"module 'cardguard' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
