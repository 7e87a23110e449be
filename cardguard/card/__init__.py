"""The card: README.md read into a :class:`~cardguard.card.reader.Card`.

Owns everything about the card's own text and nothing about the checkpoint: the bytes and their
encoding (text_encoding), the front-matter delimiters (delimiters), the YAML metadata with the
line and column of every key and value (yamlpos), the Markdown sections and line kinds
(markdown, library_lines), and cardguard's region markers (regions). reader.py puts them
together: ``parse_card(path)`` / ``parse_card_bytes(data, name)``. A problem with the text
itself (not UTF-8, broken YAML, a misplaced block) is a finding of the CG0xx family, returned
with the card; a reader never prints and never raises on bad input.

May import: ground.
"""
