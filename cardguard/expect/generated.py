"""What each generated region shows, built from the checkpoint's facts.

Each region has a context builder: ``facts`` (and the card's metadata, the region's current
text where a region merges with it, and the model's traits, worked out once per card) -> the
plain dict its template is rendered with, or None when the folder lacks the facts for it. None
means "unavailable": ``sync`` leaves the region as it is and ``check`` never calls it drift.

Where transformers' Trainer, sentence-transformers or PEFT write the same section, the
contexts reproduce their numbers and order (card-generators.md §1.5, §1.6, §2.4, §3.1).
"""

from __future__ import annotations

import re
from typing import Any, Callable

from cardguard.card import library_lines as lib
from cardguard.artifacts import Facts
from cardguard.artifacts.fields import integer_key
from cardguard.artifacts.sentence_transformers import module_config_path
from cardguard.data import load_json
from cardguard.lines import split_lines
from cardguard.expect.curves import training_curves_context
from cardguard.expect.st_repr import architecture_facts, module_line
from cardguard.record import Record

Context = dict[str, Any]
Builder = Callable[[Facts, dict[str, Any], str | None, "ModelTraits"], Context | None]


class RegionSpec(Record, frozen=True):
    name: str
    heading: str  # the heading `init` and `--add-missing` write above the region
    level: int
    anchors: tuple[str, ...]  # normalised headings under which `--add-missing` adopts a library's lines
    build: Builder
    # The library's lines among a section's lines (library_lines.py); only they are adopted.
    adopt: lib.Finder | None = None
    unordered: bool = False  # bullet order is not significant for drift
    # What the region's text says, for drift; None: its lines up to formatting (sync.py).
    compare: Callable[[str], list[str]] | None = None
    # A section Trainer, sentence-transformers or PEFT write themselves: `check` compares it with
    # the facts even without markers (CG419). Sections only cardguard writes, or that other rules
    # judge outside regions (labels: CG416; parameters and dtype: CG414/CG415), are left out.
    library_section: bool = False
    # What the folder must hold for the region to be known (the reason when it is not).
    needs: str = "the files it is made from"


# -- model summary ---------------------------------------------------------------------------

def model_summary(facts: Facts, metadata: dict[str, Any], previous: str | None, traits: ModelTraits
                  ) -> Context | None:
    config, weights = facts.config, facts.weights
    if (config is None and weights is None) or (weights is not None and not weights.complete):
        return None  # weights that are LFS pointers (or unreadable): the counts are unknown
    languages = metadata.get("language")
    return {
        "architecture": (config.architectures[0] if config and config.architectures else None),
        "parameters": weights.parameters if weights and weights.parameters else None,
        "tensor_type": traits.main_dtype,
        "context_length": config.context_length if config else None,
        "vocab_size": config.vocab_size if config else None,
        "base_model": traits.base_model,
        "languages": [languages] if isinstance(languages, str) else [str(x) for x in languages or []],
    }


def main_dtype(facts: Facts) -> str | None:
    """The dtype holding most parameters (safetensors spelling, e.g. F32, BF16)."""
    if facts.weights is None or not facts.weights.parameters_by_dtype:
        return None
    return max(facts.weights.parameters_by_dtype.items(), key=lambda item: item[1])[0]


_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


def is_hub_id(value: str | None) -> bool:
    """A Hub model id (``org/name`` or ``name``), not a local path or URL."""
    return bool(value) and _HUB_ID.match(value) is not None and ".." not in value


def hub_base_model(facts: Facts) -> str | None:
    """The base model the checkpoint names, when it is a Hub id (never a local path)."""
    for candidate in (facts.adapter.base_model if facts.adapter else None,
                      facts.config.name_or_path if facts.config else None):
        if candidate and is_hub_id(candidate):
            return candidate
    return None


# -- labels ----------------------------------------------------------------------------------

def labels(facts: Facts, metadata: dict[str, Any], previous: str | None, traits: ModelTraits
           ) -> Context | None:
    if facts.config is None or not facts.config.id2label:
        return None
    ordered = sorted(facts.config.id2label.items(), key=lambda item: _int_or_text(item[0]))
    return {"labels": [[key, value] for key, value in ordered]}


def _int_or_text(key: str) -> tuple[int, str]:
    number = integer_key(str(key))
    return (number, "") if number is not None else (1 << 62, str(key))


# -- training hyperparameters (Trainer's extract_hyperparameters_from_trainer) ---------------

def hyperparameters(facts: Facts, metadata: dict[str, Any], previous: str | None, traits: ModelTraits
                    ) -> Context | None:
    args = facts.training_args
    if args is None or args.learning_rate is None:
        return None
    pairs: list[list[Any]] = []
    for name, value in (("learning_rate", args.learning_rate), ("train_batch_size", args.train_batch_size),
                        ("eval_batch_size", args.eval_batch_size), ("seed", args.seed)):
        pairs.append([name, value])
    distributed = _distributed_type(args.distributed_type)
    if distributed:
        pairs.append(["distributed_type", distributed])
    if args.world_size > 1:
        pairs.append(["num_devices", args.world_size])
    if (args.gradient_accumulation_steps or 1) > 1:
        pairs.append(["gradient_accumulation_steps", args.gradient_accumulation_steps])
    total_train = args.total_train_batch_size
    if total_train is not None and total_train != args.train_batch_size:
        pairs.append(["total_train_batch_size", total_train])
    if args.eval_batch_size is not None and args.eval_batch_size * args.world_size != args.eval_batch_size:
        pairs.append(["total_eval_batch_size", args.eval_batch_size * args.world_size])
    if args.optimizer:
        pairs.append(["optimizer", _optimizer_line(args)])
    if args.lr_scheduler_type:
        pairs.append(["lr_scheduler_type", args.lr_scheduler_type])
    if args.warmup_steps:
        pairs.append(["lr_scheduler_warmup_steps", args.warmup_steps])
    if args.max_steps is not None and args.max_steps != -1:
        pairs.append(["training_steps", args.max_steps])
    else:
        pairs.append(["num_epochs", _as_given(args.values.get("num_train_epochs"), args.num_train_epochs)])
    if args.fp16:
        pairs.append(["mixed_precision_training", "Native AMP"])
    if args.label_smoothing_factor:
        pairs.append(["label_smoothing_factor", args.label_smoothing_factor])
    return {"hyperparameters": [pair for pair in pairs if pair[1] is not None]}


def _as_given(given: Any, value: Any) -> Any:
    """The value as the user gave it (Trainer prints ``num_train_epochs=3`` as 3, not 3.0)."""
    return given if isinstance(given, int) and not isinstance(given, bool) and given == value else value


def _distributed_type(value: str | None) -> str | None:
    if not value or value.upper() in ("NO", "NOT_PARALLEL", "NOT_DISTRIBUTED"):
        return None
    return "multi-GPU" if value.upper() in ("MULTI_GPU", "DISTRIBUTED") else value


def _optimizer_line(args: Any) -> str:
    """Trainer's optimizer line. The optimizer is written as its value (``adamw_torch``), as
    Python 3.10 prints it; Python >= 3.11 prints ``OptimizerNames.ADAMW_TORCH``, and drift
    comparison treats both spellings as the same (see ``normalize_for_drift``)."""
    if "adam" in args.optimizer:
        extra = args.optim_args or "No additional optimizer arguments"
        return (f"Use {args.optimizer} with betas=({args.adam_beta1},{args.adam_beta2}) "
                f"and epsilon={args.adam_epsilon} and optimizer_args={extra}")
    return f"Use {args.optimizer} and the args are:\n{args.optim_args}"


# -- training results table and final evaluation (Trainer's parse_log_history) ---------------

_SKIPPED_EVAL_KEYS = {"eval_runtime", "eval_samples_per_second", "eval_steps_per_second", "eval_jit_compilation_time",
                      "total_flos", "epoch", "step"}


def training_results(facts: Facts, metadata: dict[str, Any], previous: str | None, traits: ModelTraits
                     ) -> Context | None:
    """Trainer's ``parse_log_history`` table: the log entries before the first one with
    ``train_runtime``; a row per entry with ``eval_loss``, its training loss the last ``loss``
    logged before it. Columns keep the card's order when the card has the same columns
    (trainer_state.json sorts keys; Trainer wrote them in the order it logged them)."""
    state = facts.training_state
    if state is None or state.first_summary_position is None:
        return None
    rows, loss = [], None
    for entry in _log_before(state, state.first_summary_position):
        loss = entry.get("loss", loss)
        if "eval_loss" in entry:
            rows.append(_table_row(entry, loss))
    if not rows:
        return None
    order = _previous_columns(previous)
    if order is not None and set(order) == set(rows[0]):
        rows = [{column: row.get(column, "") for column in order} for row in rows]
    return {"rows": rows}


def _log_before(state: Any, end: int) -> list[Any]:
    """Training and evaluation entries logged before position ``end``, in log order."""
    entries = [entry for entry in (*state.train_rows, *state.eval_rows) if entry.position < end]
    return sorted(entries, key=lambda entry: entry.position)


def _table_row(entry: dict[str, Any], loss: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"Training Loss": "No log" if loss is None else loss,
                           "Epoch": entry.get("epoch"), "Step": entry.get("step"),
                           "Validation Loss": entry["eval_loss"]}
    for key in sorted(entry):
        if key != "eval_loss" and key not in _SKIPPED_EVAL_KEYS:
            row[_metric_title(key.split("_")[1:])] = entry[key]
    return row


def _previous_columns(previous: str | None) -> list[str] | None:
    for line in split_lines(previous or ""):
        if line.strip().startswith("|"):
            return [cell.strip() for cell in line.strip().strip("|").split("|")]
    return None


def _metric_title(parts: list[str]) -> str:
    return " ".join(part.capitalize() for part in parts)


def eval_results(facts: Facts, metadata: dict[str, Any], previous: str | None, traits: ModelTraits
                 ) -> Context | None:
    """Trainer's "It achieves the following results" list: the last log entry with
    ``eval_loss`` anywhere in log_history; without a training log, the results files."""
    results = last_logged_evaluation(facts) or final_eval_metrics(facts)
    if not results:
        return None
    ordered = sorted(results, key=lambda key: (key != "loss", key))
    return {"metrics": [[_metric_title(key.split("_")), results[key]] for key in ordered]}


_SUMMARY_SKIPPED = {"runtime", "samples_per_second", "steps_per_second", "epoch", "step"}


def last_logged_evaluation(facts: Facts) -> dict[str, Any]:
    """The last evaluation in log_history, ``eval_`` prefixes removed (Trainer requires it
    not to be the log's first entry)."""
    state = facts.training_state
    evaluations = [entry for entry in (state.eval_rows if state else []) if "eval_loss" in entry]
    if not evaluations:
        return {}
    last = max(evaluations, key=lambda entry: entry.position)
    if last.position == 0:
        return {}
    shown = {key.removeprefix("eval_"): value for key, value in last.items()}
    return {key: value for key, value in shown.items() if key not in _SUMMARY_SKIPPED}


def final_eval_metrics(facts: Facts) -> dict[str, Any]:
    """The final evaluation's metrics without the ``eval_`` prefix (eval_results.json, else
    the evaluation part of all_results.json): the last evaluation, as Trainer reports it."""
    if facts.results is None:
        return {}
    split = facts.results.splits.get("eval") or facts.results.splits.get("all") or {}
    metrics = {}
    for key, value in split.items():
        if key.startswith("eval_") and key not in _SKIPPED_EVAL_KEYS and key != "eval_samples":
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                metrics[key[len("eval_"):]] = value
    return metrics


# -- framework versions (merged with the lines the card has) ---------------------------------

_VERSION_LINE = re.compile(r"^- (?P<name>[A-Za-z][\w .-]*?)(?P<sep>: | )(?P<version>\S+)\s*$")


def framework_versions(facts: Facts, metadata: dict[str, Any], previous: str | None, traits: ModelTraits
                       ) -> Context | None:
    known = _known_versions(facts)
    if not known:
        return None
    lines, separator = _version_lines(previous)
    names = [name for name, _ in lines]
    for name, version in known:
        if name in names:
            lines[names.index(name)] = (name, version)
        else:
            lines.append((name, version))
    if separator is None:
        separator = ": " if facts.sentence_transformers is not None else " "
    return {"versions": [list(pair) for pair in lines], "separator": separator}


def _known_versions(facts: Facts) -> list[tuple[str, str]]:
    """Versions the artifacts record (never the versions installed where cardguard runs)."""
    known: list[tuple[str, str]] = []
    if facts.adapter and facts.adapter.peft_version:
        known.append(("PEFT", facts.adapter.peft_version.split("@")[0]))
    st = facts.sentence_transformers
    if st and st.versions.get("sentence_transformers"):
        known.append(("Sentence Transformers", st.versions["sentence_transformers"]))
    transformers_version = (facts.config.transformers_version if facts.config else None) or (
        st.versions.get("transformers") if st else None)
    if transformers_version:
        known.append(("Transformers", transformers_version))
    if st and st.versions.get("pytorch"):
        known.append(("PyTorch", st.versions["pytorch"]))
    return known


def _version_lines(previous: str | None) -> tuple[list[tuple[str, str]], str | None]:
    lines: list[tuple[str, str]] = []
    separator = None
    for line in split_lines(previous or ""):
        match = _VERSION_LINE.match(line.strip())
        if match:
            lines.append((match.group("name"), match.group("version")))
            separator = separator or match.group("sep")
    lines = [(_canonical_framework(name, lines), version) for name, version in lines]
    return lines, separator


def _canonical_framework(name: str, lines: list[tuple[str, str]]) -> str:
    # Trainer spells it "Pytorch", sentence-transformers "PyTorch"; keep the card's spelling
    # but let the known version replace it.
    return "PyTorch" if name.lower() == "pytorch" and name != "Pytorch" else name


# -- sentence-transformers -------------------------------------------------------------------

_SIMILARITY_NAMES = {"cosine": "Cosine Similarity", "dot": "Dot Product", "euclidean": "Euclidean Distance",
                     "manhattan": "Manhattan Distance"}


def st_details(facts: Facts, metadata: dict[str, Any], previous: str | None, traits: ModelTraits
               ) -> Context | None:
    st = facts.sentence_transformers
    if st is None:
        return None
    type_names = {"SentenceTransformer": "Sentence Transformer", "SparseEncoder": "Sparse Encoder",
                  "CrossEncoder": "Cross Encoder"}
    return {
        "model_type_name": type_names.get(st.model_type or "SentenceTransformer", st.model_type),
        "max_seq_length": st.max_seq_length,
        "output_dimension": st.output_dimension,
        "similarity_name": _SIMILARITY_NAMES.get(st.similarity_fn_name or "", st.similarity_fn_name),
    }


def st_architecture(facts: Facts, metadata: dict[str, Any], previous: str | None, traits: ModelTraits
                    ) -> Context | None:
    """``str(model)`` of a SentenceTransformer, from each module's saved configuration."""
    st = facts.sentence_transformers
    if st is None or not st.modules:
        return None
    lines = [f"{st.model_type or 'SentenceTransformer'}("]
    for module in st.modules:
        config = module.config
        if config is None and module_config_path(module) is not None and module.kind != "Normalize":
            return None  # the module's configuration is missing or unreadable: unavailable
        if module.kind == "Transformer":
            if not (facts.config and facts.config.architectures):
                return None
            config = {**(config or {}), "architecture": facts.config.architectures[0]}
        lines.append("  " + module_line(module.idx, module.kind, config))
    lines.append(")")
    return {"model_repr": "\n".join(lines)}


# -- PEFT --------------------------------------------------------------------------------------

def peft_adapter(facts: Facts, metadata: dict[str, Any], previous: str | None, traits: ModelTraits
                 ) -> Context | None:
    adapter = facts.adapter
    if adapter is None or not adapter.peft_type or (adapter.weights is not None and not adapter.weights.complete):
        return None
    return {
        "peft_type": adapter.peft_type,
        "task_type": adapter.task_type,
        "base_model": adapter.base_model if is_hub_id(adapter.base_model) else None,
        "r": adapter.r,
        "lora_alpha": adapter.lora_alpha,
        "lora_dropout": adapter.lora_dropout,
        "target_modules": adapter.target_modules,
        "trainable_parameters": adapter.weights.parameters if adapter.weights else None,
        "peft_version": adapter.peft_version,
    }


# -- environmental impact ----------------------------------------------------------------------

def environmental_impact(facts: Facts, metadata: dict[str, Any], previous: str | None, traits: ModelTraits
                         ) -> Context | None:
    emissions = facts.emissions
    if emissions is None:
        return None
    unknown = "[More Information Needed]"
    hardware = ", ".join(part for part in (
        f"{emissions.gpu_count} x {emissions.gpu_model}" if emissions.gpu_model and emissions.gpu_count else emissions.gpu_model,
        emissions.cpu_model) if part)
    return {
        "hardware_type": hardware or unknown,
        "hours_used": round(emissions.duration_s / 3600, 2) if emissions.duration_s is not None else unknown,
        "cloud_provider": emissions.cloud_provider or unknown,
        "compute_region": emissions.cloud_region or emissions.region or emissions.country_name or unknown,
        "emissions_g": round(emissions.emissions_g, 2),
    }


# -- how to get started ------------------------------------------------------------------------

def get_started(facts: Facts, metadata: dict[str, Any], previous: str | None, traits: ModelTraits
                ) -> Context | None:
    if traits.library is None:
        return None
    return {
        "library": traits.library,
        "model_id": model_id(metadata, facts),
        "task": traits.pipeline_tags[0] if traits.pipeline_tags else None,
        "base_model": traits.base_model or "BASE_MODEL_ID",
        "auto_class": _auto_class(facts),
    }


def model_id(metadata: dict[str, Any], facts: Facts) -> str:
    """The id the snippet loads: the folder's Hub id (cardguard/artifacts/hub_id.py, resolved by the
    caller into ``facts.hub_id``), never the path the command was given. ``metadata`` is not
    consulted: a model-index name is the Trainer's output_dir name, not an id."""
    if facts.hub_id:
        return facts.hub_id
    from cardguard.artifacts.hub_id import resolve_hub_id

    return resolve_hub_id(facts.model_dir)


_PEFT_AUTO_CLASSES = {"CAUSAL_LM": "AutoModelForCausalLM", "SEQ_CLS": "AutoModelForSequenceClassification",
                      "SEQ_2_SEQ_LM": "AutoModelForSeq2SeqLM", "TOKEN_CLS": "AutoModelForTokenClassification",
                      "QUESTION_ANS": "AutoModelForQuestionAnswering"}


def _auto_class(facts: Facts) -> str:
    if facts.adapter is not None:
        return _PEFT_AUTO_CLASSES.get(facts.adapter.task_type or "", "AutoModel")
    return "AutoModel"


# -- what the artifacts are ---------------------------------------------------------------------

class ModelTraits(Record, frozen=True):
    """What the facts say the model is. Worked out once per card (:func:`model_traits`) and
    passed to every part of the derivation that needs it, so no part infers it again."""

    library: str | None  # library_name the folder implies; None when it says nothing
    pipeline_tags: tuple[str, ...]  # the tasks the model's head supports, the preferred one first
    base_model: str | None  # the base model the checkpoint names, when it is a Hub id
    main_dtype: str | None  # the dtype holding most parameters (main_dtype)


def model_traits(facts: Facts) -> ModelTraits:
    return ModelTraits(inferred_library(facts), tuple(accepted_pipeline_tags(facts)), hub_base_model(facts),
                       main_dtype(facts))


def inferred_library(facts: Facts) -> str | None:
    """peft (adapter_config.json), sentence-transformers (modules.json), transformers
    (config.json with an architecture); None when the folder says nothing."""
    if facts.adapter is not None:
        return "peft"
    if facts.sentence_transformers is not None:
        return "sentence-transformers"
    if facts.config is not None and (facts.config.architectures or facts.config.model_type):
        return "transformers"
    return None


def accepted_pipeline_tags(facts: Facts) -> list[str]:
    """Tasks the model's head supports, the preferred one first (cardguard/data/head_tasks.json)."""
    table = load_json("head_tasks.json")
    if facts.adapter is not None and facts.adapter.task_type:
        return list(table["peft_task_types"].get(facts.adapter.task_type, []))
    if facts.sentence_transformers is not None:
        return list(table["sentence_transformers"].get(facts.sentence_transformers.model_type or "SentenceTransformer", []))
    if facts.config is None or not facts.config.architectures:
        return []
    head = facts.config.architectures[0]
    for suffix, tasks in table["head_suffixes"]:
        if head.endswith(suffix):
            return list(tasks)
    return []


# -- the catalog -------------------------------------------------------------------------------

REGIONS: dict[str, RegionSpec] = {spec.name: spec for spec in (
    RegionSpec("model-summary", "Model summary", 3, ("model summary",), model_summary,
               adopt=lib.model_summary_lines, needs="config.json or complete weights"),
    RegionSpec("labels", "Labels", 3, ("labels",), labels, adopt=lib.label_lines,
               needs="config.json with id2label"),
    RegionSpec("hyperparameters", "Training hyperparameters", 3, ("training hyperparameters",), hyperparameters,
               adopt=lib.hyperparameter_lines, library_section=True, needs="training_args.bin with a learning rate"),
    RegionSpec("training-results", "Training results", 3, ("training results",), training_results,
               adopt=lib.training_results_lines, library_section=True,
               needs="trainer_state.json with evaluations logged before the end of training"),
    RegionSpec("training-curves", "Training curves", 3, (), training_curves_context,
               needs="trainer_state.json with a logged loss or evaluation (and, for a region that shows the "
                     "figure, matplotlib: pip install 'cardguard[plots]')"),
    # eval-results has no anchor heading: Trainer writes its list under the card's title.
    RegionSpec("eval-results", "Evaluation results", 3, (), eval_results, unordered=True,
               adopt=lib.eval_result_lines, library_section=True,
               needs="trainer_state.json with an evaluation, or eval_results.json / all_results.json"),
    RegionSpec("framework-versions", "Framework versions", 3, ("framework versions",), framework_versions,
               unordered=True, adopt=lib.framework_version_lines, library_section=True,
               needs="library versions recorded in config.json, adapter_config.json or the sentence-transformers config"),
    RegionSpec("st-architecture", "Full Model Architecture", 3, ("full model architecture",), st_architecture,
               compare=architecture_facts, adopt=lib.st_architecture_lines, library_section=True,
               needs="modules.json with every module's configuration"),
    RegionSpec("st-details", "Model Description", 3, (), st_details, needs="modules.json"),
    RegionSpec("peft-adapter", "Adapter settings", 3, ("adapter settings",), peft_adapter,
               adopt=lib.peft_adapter_lines, library_section=True,
               needs="adapter_config.json with a peft_type, and complete adapter weights"),
    RegionSpec("environmental-impact", "Environmental Impact", 2, (), environmental_impact,
               needs="emissions.csv"),
    RegionSpec("get-started", "How to Get Started with the Model", 2, ("how to get started with the model",),
               get_started, adopt=lib.get_started_lines,
               needs="adapter_config.json, modules.json or a transformers config.json"),
)}
