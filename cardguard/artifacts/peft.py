"""PEFT adapters: adapter_config.json (reference 3.2) and the adapter weights' parameter count.

The config's key set grows with every PEFT release; only the keys below are read and the rest
are ignored. ``base_model`` may be a local path (PEFT writes ``_name_or_path`` as it was).
"""

from __future__ import annotations

from cardguard.artifacts.fields import json_fields
from cardguard.artifacts.files import ReadContext
from cardguard.artifacts.weights import WeightsFacts, read_weights
from cardguard.record import Record


class AdapterFacts(Record):
    peft_type: str | None = None
    task_type: str | None = None
    base_model: str | None = None
    base_model_revision: str | None = None
    r: int | None = None
    lora_alpha: int | float | None = None
    lora_dropout: float | None = None
    target_modules: list[str] | str | None = None  # a list, or a regex string
    modules_to_save: list[str] | None = None
    use_dora: bool | None = None
    use_rslora: bool | None = None
    peft_version: str | None = None
    weights: WeightsFacts | None = None


def read_adapter(ctx: ReadContext) -> AdapterFacts | None:
    relative = "adapter_config.json"
    fields = json_fields(ctx, relative)
    if fields is None:
        return None
    return AdapterFacts(
        peft_type=fields.str("peft_type"),
        task_type=fields.str("task_type"),
        base_model=fields.str("base_model_name_or_path"),
        base_model_revision=fields.str("revision"),
        r=fields.int("r"),
        lora_alpha=fields.number("lora_alpha"),
        lora_dropout=fields.float("lora_dropout"),
        target_modules=fields.str_or_str_list("target_modules"),
        modules_to_save=fields.str_list("modules_to_save"),
        use_dora=fields.bool("use_dora"),
        use_rslora=fields.bool("use_rslora"),
        peft_version=fields.str("peft_version"),
        weights=read_weights(ctx, "adapter_model", "adapter_model"),
    )
