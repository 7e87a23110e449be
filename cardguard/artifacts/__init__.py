"""Facts about the checkpoint next to a model card, read from its artifacts.

Entry points:
    read_facts(model_dir, display_root="") -> Facts     (cardguard.artifacts.facts)
    facts_to_dict(facts) -> dict                         (cardguard.artifacts.format)
    format_facts_text(facts) -> str                      (cardguard.artifacts.format)

One module per artifact family (weights/safetensors/pickles, config, training, training_args,
peft, sentence_transformers, emissions, lfs); files.py is the only door to the file system.
remote.py reads safetensors headers over HTTP range requests; hub_id.py finds a folder's Hub
id (its git remote, else its name). Nothing here imports torch, transformers, safetensors or
numpy.

May import: ground.
"""

from cardguard.artifacts.facts import Facts, LfsPointerFact, read_facts
from cardguard.artifacts.files import Limits
from cardguard.artifacts.format import facts_to_dict, format_facts_text

__all__ = ["Facts", "LfsPointerFact", "Limits", "facts_to_dict", "format_facts_text", "read_facts"]
