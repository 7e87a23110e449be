"""Edits: the minimal text changes that make a card say what is expected, written atomically.

sync.py turns the card's :class:`~cardguard.expect.expected.Expected` into the edits of
``cardguard sync`` (regions between markers, adopted library sections, managed metadata keys)
and writes them; it decides no value itself. managed_metadata.py and yamledit.py edit the
YAML front matter in place, keeping comments, order and line endings; textedit.py applies
non-overlapping span edits; edit_check.py reads the new text again and refuses a write that
would change anything outside the edited spans; init_card.py writes a new card for a
checkpoint folder. Everything outside the edited spans stays byte for byte.

May import: expect, settings, card, artifacts, ground.
"""
