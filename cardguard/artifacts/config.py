"""transformers configuration files: config.json, generation_config.json, tokenizer files."""

from __future__ import annotations

from cardguard.artifacts.fields import Fields, JSONScalar, integer_key, json_fields, scalars_only
from cardguard.artifacts.files import ReadContext
from cardguard.record import Record, factory

# Synonyms used by different architectures, most common first.
_HIDDEN_KEYS = ("hidden_size", "d_model", "n_embd", "dim", "model_dim")
_LAYER_KEYS = ("num_hidden_layers", "n_layer", "num_layers", "n_layers", "encoder_layers")
_HEAD_KEYS = ("num_attention_heads", "n_head", "num_heads", "n_heads", "encoder_attention_heads")
_CONTEXT_KEYS = (
    "max_position_embeddings",
    "n_positions",
    "n_ctx",
    "max_seq_len",
    "seq_length",
    "max_sequence_length",
    "max_seq_length",
    "max_target_positions",
    "model_max_length",
)

# transformers' "no limit" model_max_length (VERY_LARGE_INTEGER = int(1e30)).
_UNBOUNDED_MAX_LENGTH = 10**18


class ConfigFacts(Record):
    """config.json. For multimodal models ``text_config`` holds the language model's own facts."""

    model_type: str | None = None
    architectures: list[str] = factory(list)
    dtype: str | None = None
    hidden_size: int | None = None
    num_layers: int | None = None
    num_attention_heads: int | None = None
    vocab_size: int | None = None
    context_length: int | None = None
    context_length_key: str | None = None  # which of the synonyms gave context_length
    id2label: dict[str, str] = factory(dict)
    name_or_path: str | None = None
    transformers_version: str | None = None
    quantization_config: dict | None = None
    is_encoder_decoder: bool | None = None
    text_config: "ConfigFacts | None" = None


class GenerationFacts(Record):
    """generation_config.json: its scalar settings, with the common ones named."""

    transformers_version: str | None = None
    do_sample: bool | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    max_length: int | None = None
    max_new_tokens: int | None = None
    settings: dict[str, JSONScalar | list[JSONScalar]] = factory(dict)


class TokenizerFacts(Record):
    tokenizer_class: str | None = None
    model_max_length: int | None = None  # None also when the file says "no limit" (1e30)
    has_chat_template: bool = False
    chat_template_source: str | None = None  # the file the template was found in
    special_tokens: dict[str, str] = factory(dict)
    files: list[str] = factory(list)


def read_config(ctx: ReadContext, relative: str = "config.json") -> ConfigFacts | None:
    fields = json_fields(ctx, relative)
    return None if fields is None else _config_from(fields, nested=False)


def _config_from(fields: Fields, nested: bool) -> ConfigFacts:
    context_key, context_length = fields.int_with_key(*_CONTEXT_KEYS)
    facts = ConfigFacts(
        model_type=fields.str("model_type"),
        architectures=fields.str_list("architectures") or [],
        dtype=fields.str("dtype", "torch_dtype"),
        hidden_size=fields.int(*_HIDDEN_KEYS),
        num_layers=fields.int(*_LAYER_KEYS),
        num_attention_heads=fields.int(*_HEAD_KEYS),
        vocab_size=fields.int("vocab_size"),
        context_length=context_length,
        context_length_key=context_key,
        id2label=_labels(fields),
        name_or_path=fields.str("_name_or_path"),
        transformers_version=fields.str("transformers_version"),
        quantization_config=fields.dict("quantization_config"),
        is_encoder_decoder=fields.bool("is_encoder_decoder"),
    )
    text_config = fields.dict("text_config")
    if text_config is not None and not nested:
        facts.text_config = _config_from(Fields(fields.ctx, fields.relative, text_config), nested=True)
    return facts


def _labels(fields: Fields) -> dict[str, str]:
    """id2label, keeping only entries whose key is an integer (transformers calls int() on each)."""
    labels = fields.dict("id2label") or {}
    odd_keys = [key for key in labels if integer_key(key) is None]
    if odd_keys:
        fields.ctx.report("CG312", fields.relative,
                          f"{fields.relative}: id2label keys must be integers; {_quoted_keys(odd_keys)} skipped")
    return {key: str(value) for key, value in labels.items() if key not in odd_keys}


def _quoted_keys(keys: list[str], shown: int = 3) -> str:
    """The first few keys, quoted, and how many more."""
    text = ", ".join(repr(key[:20]) for key in keys[:shown])
    return text + (f" and {len(keys) - shown} more" if len(keys) > shown else "")


def read_generation_config(ctx: ReadContext, relative: str = "generation_config.json") -> GenerationFacts | None:
    fields = json_fields(ctx, relative)
    if fields is None:
        return None
    return GenerationFacts(
        transformers_version=fields.str("transformers_version"),
        do_sample=fields.bool("do_sample"),
        temperature=fields.float("temperature"),
        top_p=fields.float("top_p"),
        top_k=fields.int("top_k"),
        max_length=fields.int("max_length"),
        max_new_tokens=fields.int("max_new_tokens"),
        settings=scalars_only(fields.data, lists=True),
    )


def read_tokenizer(ctx: ReadContext) -> TokenizerFacts | None:
    """tokenizer_config.json, plus a chat template kept in its own file (newer transformers)."""
    facts = TokenizerFacts()
    data = ctx.read_json_object("tokenizer_config.json")
    if data is not None:
        facts.files.append("tokenizer_config.json")
        fields = Fields(ctx, "tokenizer_config.json", data)
        facts.tokenizer_class = fields.str("tokenizer_class")
        max_length = fields.int("model_max_length")
        facts.model_max_length = max_length if max_length is not None and max_length < _UNBOUNDED_MAX_LENGTH else None
        facts.special_tokens = _special_tokens(data)
        if data.get("chat_template"):
            facts.has_chat_template, facts.chat_template_source = True, "tokenizer_config.json"
    for template_file in ("chat_template.jinja", "chat_template.json"):
        if ctx.exists(template_file) and ctx.read_text(template_file):
            facts.files.append(template_file)
            facts.has_chat_template, facts.chat_template_source = True, template_file
            break
    return facts if facts.files else None


def _special_tokens(data: dict) -> dict[str, str]:
    tokens = {}
    for key in ("bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token", "mask_token"):
        value = data.get(key)
        if isinstance(value, dict):  # AddedToken serialised as {"content": ...}
            value = value.get("content")
        if isinstance(value, str):
            tokens[key] = value
    return tokens
