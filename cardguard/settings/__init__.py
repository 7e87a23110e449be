"""Settings: what one run is asked to do, per card.

config.py reads ``[tool.cardguard]`` in pyproject.toml or ``.cardguard.toml`` (profile, fail-on,
managed keys, hub-id, per-path overrides, limits) into a frozen ``Settings``; targets.py turns
the paths a user or a hook passes into the cards to check (each once), and decides whether a
README.md is a model card at all. A bad setting is exit 2 with one line, decided here.

May import: card, artifacts, ground.
"""
