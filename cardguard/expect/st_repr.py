"""The "Full Model Architecture" block of a sentence-transformers card: ``str(model)``.

sentence-transformers prints each module as ``(idx): Kind({config})``, the config being the
dict the module saves (``sentence_bert_config.json``, ``<path>/config.json``) plus, for a
Transformer, ``'architecture': <auto model class>`` (card-generators.md §2.4). 5.x and 6.x save
different keys for the same model (pooling booleans vs ``pooling_mode``; 6.x adds module
input/output names; 5.x prints ``Normalize()``), so :func:`architecture_facts` reduces a block
to what it says about the model, and two blocks that only differ by ST version compare equal.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from cardguard.lines import split_lines

_MODULE_LINE = re.compile(r"^\((?P<idx>\d+)\):\s*(?P<kind>\w+)\((?P<config>.*)\)$")

# Keys that describe ST's plumbing or exist in one version only: not facts about the model.
_PLUMBING_KEYS = frozenset({"module_input_name", "module_output_name", "transformer_task", "modality_config",
                            "max_seq_length", "do_lower_case"})
# 5.x pooling booleans and the 6.x mode each stands for.
_LEGACY_POOLING = {"pooling_mode_cls_token": "cls", "pooling_mode_max_tokens": "max",
                   "pooling_mode_mean_tokens": "mean", "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len_tokens",
                   "pooling_mode_weightedmean_tokens": "weightedmean", "pooling_mode_lasttoken": "lasttoken"}


def module_line(idx: int, kind: str, config: dict[str, Any] | None) -> str:
    """One module as ``str(model)`` prints it (without the two-space indent)."""
    return f"({idx}): {kind}({repr(config) if config else ''})"


def architecture_facts(text: str) -> list[str]:
    """The block's lines reduced to the model's facts: module lines become ``idx kind`` and
    their configuration without version-specific keys; other lines are kept, stripped."""
    facts = []
    for raw in split_lines(text):
        line = raw.strip()
        if not line:
            continue
        match = _MODULE_LINE.match(line)
        config = _literal(match.group("config")) if match else None
        if match is None or config is None:
            facts.append(line)
            continue
        canonical = _canonical(match.group("kind"), config)
        facts.append(f"{match.group('idx')} {match.group('kind')} {sorted(canonical.items())!r}")
    return facts


def _literal(text: str) -> dict[str, Any] | None:
    if not text.strip():
        return {}
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _canonical(kind: str, config: dict[str, Any]) -> dict[str, Any]:
    kept = {str(key): value for key, value in config.items() if key not in _PLUMBING_KEYS}
    if kind != "Pooling":
        return kept
    modes = kept.pop("pooling_mode", None)
    legacy = [name for key, name in _LEGACY_POOLING.items() if kept.pop(key, None) is True]
    kept["pooling_mode"] = sorted([modes] if isinstance(modes, str) else (modes or legacy))
    if "word_embedding_dimension" in kept:
        kept["embedding_dimension"] = kept.pop("word_embedding_dimension")
    kept.setdefault("include_prompt", True)
    return kept
