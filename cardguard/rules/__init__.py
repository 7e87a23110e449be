"""Rules: the card, the facts and what is expected, turned into findings.

metadata.py checks the front matter against the Hub's schema (schema_check.py, a small
validator for cardguard's own schemas; organisation schemas run on a linear-time engine);
sections.py checks required sections, empty ones and template placeholders per profile
(profile_choice.py picks the profile ``auto`` means for a card); drift.py compares what the
card states with the managed values of its :class:`~cardguard.expect.expected.Expected` and
with the facts; unsynced.py reports what ``sync`` would change (the plan cardguard/edit/sync.py
makes from the same Expected value, which is why rules may import edit); eval_results.py
checks ``.eval_results/*.yaml``. The rule table itself (codes, names, severities, docs) is
cardguard.codes, on the ground floor, because every part reports with it. Rules never read
files and never print.

May import: edit, expect, settings, card, artifacts, ground.
"""
