"""sentence-transformers folders, in both the 5.x and the 6.x saved layouts (reference 2.5).

Differences handled here:
- module types: 5.x ``sentence_transformers.models.Pooling``; 6.x
  ``sentence_transformers.sentence_transformer.modules.pooling.Pooling`` (the class name is the
  last part either way);
- pooling config: 5.x ``word_embedding_dimension`` + ``pooling_mode_*_tokens`` booleans; 6.x
  ``embedding_dimension`` + ``pooling_mode`` (a name or a list of names);
- max sequence length: 5.x ``sentence_bert_config.json``; 6.x the tokenizer's ``model_max_length``.
"""

from __future__ import annotations

from cardguard.artifacts.fields import Fields, json_fields
from cardguard.artifacts.files import ReadContext
from cardguard.record import Record, factory

# 5.x boolean keys and the 6.x mode name each stands for.
_LEGACY_POOLING_KEYS = {
    "pooling_mode_cls_token": "cls",
    "pooling_mode_max_tokens": "max",
    "pooling_mode_mean_tokens": "mean",
    "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len_tokens",
    "pooling_mode_weightedmean_tokens": "weightedmean",
    "pooling_mode_lasttoken": "lasttoken",
}


class StModule(Record):
    idx: int
    name: str
    path: str
    type: str  # as written in modules.json
    kind: str  # the class name: Transformer, Pooling, Dense, Normalize …
    # The module's saved configuration (sentence_bert_config.json for a Transformer, else
    # <path>/config.json), in file order; None when the module saved none (5.x Normalize) or
    # the file is unreadable (with a finding).
    config: dict | None = None


class SentenceTransformersFacts(Record):
    model_type: str | None = None  # SentenceTransformer, CrossEncoder, SparseEncoder (6.x)
    modules: list[StModule] = factory(list)
    max_seq_length: int | None = None
    output_dimension: int | None = None
    pooling_modes: list[str] = factory(list)
    normalized: bool = False
    similarity_fn_name: str | None = None
    prompts: dict[str, str] = factory(dict)
    default_prompt_name: str | None = None
    versions: dict[str, str] = factory(dict)  # __version__: library -> version


def read_sentence_transformers(ctx: ReadContext, tokenizer_max_length: int | None) -> SentenceTransformersFacts | None:
    """Facts of a sentence-transformers folder, or None when it has neither ``modules.json``
    nor ``config_sentence_transformers.json``."""
    modules = _read_modules(ctx)
    facts = SentenceTransformersFacts(modules=modules or [])
    if not _read_model_config(ctx, facts) and modules is None:
        return None
    for module in facts.modules:
        _read_module(ctx, facts, module)
    if facts.max_seq_length is None:
        facts.max_seq_length = tokenizer_max_length
    return facts


def _read_modules(ctx: ReadContext) -> list[StModule] | None:
    data = ctx.read_json("modules.json")
    if data is None:
        return None
    if not isinstance(data, list):
        ctx.report("CG301", "modules.json", "modules.json is not a list of modules")
        return None
    modules = []
    for position, entry in enumerate(data):
        if not isinstance(entry, dict) or not isinstance(entry.get("type"), str):
            ctx.report("CG312", "modules.json", f"modules.json: entry {position} has no 'type' string; skipped")
            continue
        idx = entry.get("idx")
        module_type = entry["type"]
        modules.append(
            StModule(
                idx=idx if isinstance(idx, int) else position,
                name=str(entry.get("name", position)),
                path=str(entry.get("path", "")),
                type=module_type,
                kind=module_type.rsplit(".", 1)[-1],
            )
        )
    return modules


def _read_model_config(ctx: ReadContext, facts: SentenceTransformersFacts) -> bool:
    relative = "config_sentence_transformers.json"
    fields = json_fields(ctx, relative)
    if fields is None:
        return False
    facts.model_type = fields.str("model_type")
    facts.similarity_fn_name = fields.str("similarity_fn_name")
    facts.default_prompt_name = fields.str("default_prompt_name")
    prompts = fields.dict("prompts") or {}
    facts.prompts = {str(k): v for k, v in prompts.items() if isinstance(v, str)}
    versions = fields.dict("__version__") or {}
    facts.versions = {str(k): v for k, v in versions.items() if isinstance(v, str)}
    return True


def module_config_path(module: StModule) -> str | None:
    """Where a module keeps its configuration, relative to the model folder."""
    folder = module.path.rstrip("/")
    if module.kind == "Transformer":
        return f"{folder}/sentence_bert_config.json" if folder else "sentence_bert_config.json"
    return f"{folder}/config.json" if folder else None


def _read_module(ctx: ReadContext, facts: SentenceTransformersFacts, module: StModule) -> None:
    relative = module_config_path(module)
    if relative is not None:
        module.config = ctx.read_json_object(relative)
    if module.kind == "Normalize":
        facts.normalized = True
    if module.config is None:
        return
    fields = Fields(ctx, relative, module.config)
    if module.kind == "Transformer":
        facts.max_seq_length = fields.int("max_seq_length") or facts.max_seq_length
    elif module.kind == "Pooling":
        facts.pooling_modes = _pooling_modes(fields)
        dimension = fields.int("embedding_dimension", "word_embedding_dimension")
        if dimension is not None:
            # Several pooling modes are concatenated.
            facts.output_dimension = dimension * max(1, len(facts.pooling_modes))
    elif module.kind == "Dense":
        facts.output_dimension = fields.int("out_features") or facts.output_dimension


def _pooling_modes(fields: Fields) -> list[str]:
    mode = fields.str_or_str_list("pooling_mode")
    if isinstance(mode, str):
        return [mode]
    if isinstance(mode, list):
        return mode
    return [name for key, name in _LEGACY_POOLING_KEYS.items() if fields.data.get(key) is True]
