"""Evaluation results the results files establish, shaped for model-index and `.eval_results`.

The results files (eval_results.json, all_results.json) hold metric values, never what was
evaluated: the dataset and the task come from the configuration (``[tool.cardguard.evaluation]``),
else from what the card already says (its model-index results, its ``datasets:``), else
they are unknown and nothing is created. Pure functions: metadata + facts -> plain values.
"""

from __future__ import annotations

from typing import Any

from cardguard.artifacts import Facts
from cardguard.expect.facts_compare import results_key
from cardguard.expect.generated import final_eval_metrics, is_hub_id, model_id
from cardguard.record import Record

# Display names of model-index task types, as transformers' TASK_TAG_TO_NAME_MAPPING spells them.
TASK_NAMES = {
    "fill-mask": "Masked Language Modeling", "text-generation": "Causal Language Modeling",
    "text2text-generation": "Sequence-to-sequence Language Modeling", "text-classification": "Text Classification",
    "token-classification": "Token Classification", "question-answering": "Question Answering",
    "automatic-speech-recognition": "Automatic Speech Recognition", "image-classification": "Image Classification",
    "audio-classification": "Audio Classification", "object-detection": "Object Detection",
    "image-segmentation": "Image Segmentation", "table-question-answering": "Table Question Answering",
    "summarization": "Summarization", "translation": "Translation",
    "zero-shot-image-classification": "Zero Shot Image Classification",
}


class EvaluationTarget(Record, frozen=True):
    """What was evaluated, from ``[tool.cardguard.evaluation]`` (every field optional)."""

    dataset: str | None = None  # Hub dataset id: model-index dataset.type, .eval_results dataset.id
    dataset_name: str | None = None  # model-index dataset.name (default: the id)
    task_id: str | None = None  # .eval_results dataset.task_id (default: "default")
    task: str | None = None  # model-index task.type (default: from the model's head)
    metric: str | None = None  # the results key whose value goes to .eval_results
    model_name: str | None = None  # model-index name (default: the folder's name)


def card_metrics(facts: Facts) -> dict[str, Any]:
    """The final evaluation's metrics a card reports (the loss is training bookkeeping)."""
    return {key: value for key, value in final_eval_metrics(facts).items() if key != "loss"}


def metric_entry(key: str, value: Any) -> dict[str, Any]:
    """A model-index metric as Trainer writes it: name, type, value."""
    return {"name": " ".join(part.capitalize() for part in key.split("_")), "type": key, "value": value}


def missing_metrics(metadata: dict[str, Any], facts: Facts) -> list[tuple[int, int, list[dict[str, Any]]]]:
    """(model-index entry, result, metrics to append) for results that describe these results
    files (they hold one of their metrics, or are the only result) but lack some of their
    metrics. Entries written by hand are never touched."""
    metrics = card_metrics(facts)
    if not metrics:  # no results files: no metric to add
        return []
    results = list(_results(metadata))
    found = []
    for m, r, result in results:
        listed = result.get("metrics")
        if not isinstance(listed, list) or not all(isinstance(item, dict) for item in listed):
            continue
        keys = {results_key(item, metrics) for item in listed} - {None}
        if not keys and len(results) > 1:
            continue
        added = [metric_entry(key, value) for key, value in metrics.items() if key not in keys]
        if added:
            found.append((m, r, added))
    return found


def new_model_index(metadata: dict[str, Any], facts: Facts, tasks: tuple[str, ...], target: EvaluationTarget
                    ) -> list[dict[str, Any]] | None:
    """A model-index for a card without one, when the dataset and the task are known
    (``tasks``: the tasks the model's head supports, the preferred one first)."""
    metrics = card_metrics(facts)
    if not metrics:
        return None
    dataset = target.dataset or _only_card_dataset(metadata)
    task = target.task or (tasks[0] if tasks else None)
    if not dataset or not task or "model-index" in metadata:
        return None
    task_entry = {"name": TASK_NAMES[task], "type": task} if task in TASK_NAMES else {"type": task}
    result = {"task": task_entry, "dataset": {"name": target.dataset_name or dataset, "type": dataset},
              "metrics": [metric_entry(key, value) for key, value in metrics.items()]}
    return [{"name": target.model_name or model_id(metadata, facts), "results": [result]}]


def _only_card_dataset(metadata: dict[str, Any]) -> str | None:
    datasets = metadata.get("datasets")
    if isinstance(datasets, str):
        datasets = [datasets]
    if isinstance(datasets, list) and len(datasets) == 1 and isinstance(datasets[0], str) and is_hub_id(datasets[0]):
        return datasets[0]
    return None


def _results(metadata: dict[str, Any]) -> Any:
    index = metadata.get("model-index")
    for m, model in enumerate(index if isinstance(index, list) else []):
        entries = model.get("results") if isinstance(model, dict) else None
        for r, result in enumerate(entries if isinstance(entries, list) else []):
            if isinstance(result, dict):
                yield m, r, result


# -- the Hub's .eval_results files ------------------------------------------------------------

class EvalResultEntry(Record, frozen=True):
    dataset_id: str
    task_id: str
    value: float | int


def eval_results_entry(metadata: dict[str, Any], facts: Facts, target: EvaluationTarget) -> EvalResultEntry | None:
    """The `.eval_results` entry the results files establish, or None when the benchmark
    dataset, the task or the metric is unknown."""
    metrics = card_metrics(facts)
    if not metrics:
        return None
    if target.dataset:
        metric = target.metric or (next(iter(metrics)) if len(metrics) == 1 else None)
        task_id = target.task_id or "default"
        return EvalResultEntry(target.dataset, task_id, metrics[metric]) if metric in metrics else None
    for _, _, result in _results(metadata):
        dataset = result.get("dataset")
        listed = result.get("metrics")
        if not isinstance(dataset, dict) or not is_hub_id(dataset.get("type")) or not isinstance(listed, list):
            continue
        keys = [results_key(item, metrics) for item in listed if isinstance(item, dict)]
        metric = target.metric if target.metric and target.metric in keys else next((key for key in keys if key), None)
        if metric is not None:
            config = dataset.get("config")
            task_id = target.task_id or (config if isinstance(config, str) and config else "default")
            return EvalResultEntry(dataset["type"], task_id, metrics[metric])
    return None
