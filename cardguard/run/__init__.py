"""One command over one card: the pipelines behind the public API.

validate.py reads the card and runs the metadata, section and evaluation rules under the
card's settings; sync_run.py adds the facts and derives what is expected once per card, for ``check``
(findings, drift, the diff sync would apply, all from that one value) and ``sync`` (the
edits, written); fix.py applies the fixes
rules are certain of (``--fix``); eval_results_sync.py keeps ``.eval_results/*.yaml`` in step;
card_guard.py turns a bug hit on one card into a CG000 finding so a run goes on with the next.
The Hub: hub_targets.py turns ``hf://`` paths into targets; push.py lists and uploads a folder
whose check passed (``push``); hub_sync.py proposes what sync changed in a Hub repo's card as a
Hub pull request (``sync --hub``). audit.py checks a fleet (``audit``): the repos to check, a
bounded pool whose results come in input order, the result cache, the totals; results.jsonl is
written as each repo is done. Nothing here prints or exits.

May import: rules, edit, report, expect, settings, card, artifacts, ground.
"""
