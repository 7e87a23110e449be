"""What the card should say, derived from the facts, the card and the settings.

expected.py is the entry point: ``derive_expected(card, facts, options) -> Expected``, one
value per card holding every region's text and every managed metadata key's value (or why it
cannot be known) and the ``.eval_results`` entry; ``check`` and ``sync`` both diff the card
against it, and nothing else works out a piece of it again. Its pieces: generated.py builds
each region's context from the facts (hyperparameters, training results, evaluation,
framework versions, sentence-transformers and PEFT blocks); render.py renders it with the
built-in templates (templates/) or a repository's own, sandboxed; places.py finds where the
card holds a region (between markers, or lines a library wrote); managed.py gives the managed
keys' values; statements.py what the card's prose should state about the checkpoint
(parameter count, tensor type, labels); evaluation.py shapes the results files into
model-index and ``.eval_results`` entries; facts_compare.py compares a stated value with a measured one, tolerant of printed
precision, and a region's text with its expected text, up to formatting; st_repr.py prints a
sentence-transformers architecture as the library does. Nothing here reads the card's file
or writes anything; the only findings made here are a template that failed to render (CG407).

May import: settings, card, artifacts, ground.
"""
