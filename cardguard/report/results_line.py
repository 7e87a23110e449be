"""What one line of an audit's results.jsonl says about its repo, for every reader of the lines
(the run's totals and comparison in cardguard.run.audit, the progress shown while it runs)."""

from __future__ import annotations


def fails(line: dict) -> bool:
    """A repo that fails the audit: an error finding, or unreadable."""
    return line["status"] != "checked" or line["errors"] > 0
