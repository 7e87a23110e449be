"""What the card should say, derived from the facts, the card and the settings.

generated.py builds each generated region's context from the facts (hyperparameters, training
results, evaluation, framework versions, sentence-transformers and PEFT blocks); render.py
renders it with the built-in templates (templates/) or a repository's own, sandboxed;
evaluation.py shapes the results files into model-index and ``.eval_results`` entries;
facts_compare.py compares a stated value with a measured one, tolerant of printed precision;
st_repr.py prints a sentence-transformers architecture as the library does. Nothing here
reads the card's file or writes anything, and nothing here makes a finding.

May import: settings, card, artifacts, ground.
"""
