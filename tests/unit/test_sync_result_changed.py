"""SyncResult.changed says whether its diff shows anything, without writing the diff."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cardguard.edit.sync import SyncPlan
from cardguard.run.sync_run import SyncResult

_TEXTS = st.lists(st.sampled_from(["a", "b", "\n", "\r\n", "\r", "---"]), max_size=6).map("".join)


@settings(max_examples=1000, deadline=None)
@given(original=_TEXTS, new_text=_TEXTS, checked_text=st.none() | _TEXTS, from_check=st.booleans(),
       drifted=st.booleans())
def test_changed_is_a_diff_that_shows_something(original: str, new_text: str, checked_text: str | None,
                                                 from_check: bool, drifted: bool) -> None:
    plan = SyncPlan("README.md", original, new_text, checked_text=checked_text)
    plan.library_drift = [object()] if drifted else []  # only whether there is any matters here
    result = SyncResult(None, None, plan, from_check=from_check)
    assert result.changed == bool(result.diff())


def test_a_card_whose_line_endings_alone_change_shows_no_diff_and_is_unchanged() -> None:
    result = SyncResult(None, None, SyncPlan("README.md", "a\r\nb\r\n", "a\nb\n"))
    assert (result.changed, result.diff()) == (False, "")


def test_no_plan_is_no_change() -> None:
    assert not SyncResult(None, None, None).changed
