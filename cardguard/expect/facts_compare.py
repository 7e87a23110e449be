"""Comparing what a card states with what the artifacts say, tolerant of printed precision;
a region's text with what it should say, up to formatting; and the artifacts of one folder
with each other.

Shared by the drift rules (which report) and the edits (which rewrite).
"""

from __future__ import annotations

import math
import re
from typing import Any, NamedTuple

from cardguard.artifacts import Facts
from cardguard.card.yamlpos import InstancePath
from cardguard.expect.generated import RegionSpec, final_eval_metrics, last_logged_evaluation
from cardguard.lines import to_lf


def metric_comparisons(metadata: dict[str, Any], facts: Facts) -> list[tuple[InstancePath, Any, float]]:
    """Every model-index metric whose type the results files also hold."""
    results = final_eval_metrics(facts)
    if not results:
        return []
    found = []
    index = metadata.get("model-index")
    for m, model in enumerate(index if isinstance(index, list) else []):
        entries = model.get("results") if isinstance(model, dict) else None
        for r, result in enumerate(entries if isinstance(entries, list) else []):
            metrics = result.get("metrics") if isinstance(result, dict) else None
            for k, metric in enumerate(metrics if isinstance(metrics, list) else []):
                if not isinstance(metric, dict) or "value" not in metric:
                    continue
                key = results_key(metric, results)
                if key is not None:
                    found.append((("model-index", m, "results", r, "metrics", k, "value"), metric["value"], results[key]))
    return found


def results_key(metric: dict[str, Any], results: dict[str, Any]) -> str | None:
    for candidate in (metric.get("type"), metric.get("name")):
        if isinstance(candidate, str):
            key = candidate.strip().lower().replace(" ", "_").replace("-", "_")
            if key in results:
                return key
    return None


def values_agree(card_value: Any, actual: float) -> bool:
    """True when the card's value is the actual value rounded to the card's printed
    precision (0.7504 for 0.75036…), or the same as a percentage (75.04)."""
    if isinstance(card_value, bool) or not isinstance(card_value, (int, float)):
        return False
    if isinstance(card_value, float) and (math.isnan(card_value) or math.isnan(actual)):
        return math.isnan(card_value) and math.isnan(actual)
    decimals = _printed_decimals(card_value)
    tolerance = 0.5 * 10 ** -decimals + 1e-12
    return abs(card_value - actual) <= tolerance or abs(card_value - actual * 100) <= tolerance


def _printed_decimals(value: float | int) -> int:
    text = repr(value)
    if "e" in text or "E" in text:
        mantissa, _, exponent = text.lower().partition("e")
        return max(0, len(mantissa.partition(".")[2]) - int(exponent))
    return len(text.partition(".")[2]) if "." in text else 0


# -- a region's text -----------------------------------------------------------------------------

_ENUM_OPTIMIZER = re.compile(r"OptimizerNames\.([A-Z0-9_]+)")
_NUMBER = re.compile(r"(?<![\w.])-?\d+\.\d+(?:e-?\d+)?(?![\w.])")
_ALIGNMENT_ROW = re.compile(r"^\|?\s*:?-{1,}:?\s*(\|\s*:?-{1,}:?\s*)*\|?$")


def normalize_for_drift(text: str, unordered: bool = False) -> list[str]:
    """The lines of a region as compared for drift: formatting that differs between library
    or Python versions is ignored (``OptimizerNames.ADAMW_TORCH`` vs ``adamw_torch``, ``2.0``
    vs ``2``, table padding and alignment, trailing spaces, blank lines)."""
    lines = []
    for raw in to_lf(text).split("\n"):
        line = raw.strip()
        if not line:
            continue
        line = _ENUM_OPTIMIZER.sub(lambda match: match.group(1).lower(), line)
        line = _NUMBER.sub(lambda match: _plain_number(match.group(0)), line)
        if line.startswith("|"):
            line = "---" if _ALIGNMENT_ROW.match(line) else "|".join(cell.strip() for cell in line.strip("|").split("|"))
        lines.append(line)
    return sorted(lines) if unordered else lines


def _plain_number(text: str) -> str:
    try:
        value = float(text)
    except ValueError:
        return text
    return str(int(value)) if value.is_integer() and "e" not in text else repr(value)


def same_facts(old: str, new: str, spec: RegionSpec) -> bool:
    return compared_lines(old, spec) == compared_lines(new, spec)


def compared_lines(text: str, spec: RegionSpec) -> list[str]:
    """What a region's text says, as drift compares it."""
    return spec.compare(text) if spec.compare is not None else normalize_for_drift(text, spec.unordered)


# -- artifacts that contradict each other --------------------------------------------------------

class Disagreement(NamedTuple):
    """Two artifacts of one folder that say different things about the same fact."""

    file: str  # the artifact the finding is shown at (relative to the model folder)
    other: str
    message: str


def artifact_disagreements(facts: Facts) -> list[Disagreement]:
    """Where trainer_state.json contradicts the results file or training_args.bin, and where
    all_results.json contradicts the results file of one split.

    Only contradictions Trainer cannot produce on its own are reported: a results file from
    another training run (its epoch is not where the training log ends), a different value of
    the same evaluation (same epoch, no best checkpoint reloaded), a train batch size other
    than the arguments' (unless ``auto_find_batch_size`` chose it), and a metric whose value
    all_results.json and its split's file do not share (Trainer's ``save_metrics`` writes the
    same value into both).
    """
    return _evaluation_disagreements(facts) + _batch_size_disagreements(facts) + _combined_results_disagreements(facts)


def _evaluation_disagreements(facts: Facts) -> list[Disagreement]:
    state, results_file = facts.training_state, _results_file(facts)
    if state is None or results_file is None:  # most folders: nothing to compare
        return []
    logged, results = last_logged_evaluation(facts), final_eval_metrics(facts)
    if not logged or not results:
        return []
    results_epoch = _number(facts.results.splits[results_file.split("_")[0]].get("epoch"))
    # transformers 4.x logged the epoch rounded to 2 decimals (12.22 for 12.2249): rounding is not a difference
    if results_epoch is not None and state.epoch is not None and not numbers_agree(results_epoch, state.epoch):
        return [Disagreement("trainer_state.json", results_file,
                             f"trainer_state.json ends at epoch {state.epoch:g} but {results_file} was evaluated at "
                             f"epoch {results_epoch:g}: the two files come from different training runs")]
    if _best_checkpoint_reloaded(facts) or not _same_point(_number(_last_evaluation_epoch(facts)), results_epoch):
        return []  # the final evaluate() ran on another checkpoint or at another step: both can be right
    shown = _differing_numbers(logged, results)
    if not shown:
        return []
    return [Disagreement("trainer_state.json", results_file,
                         f"the last evaluation in trainer_state.json and {results_file} disagree ({shown})")]


def _batch_size_disagreements(facts: Facts) -> list[Disagreement]:
    state, args = facts.training_state, facts.training_args
    if state is None or args is None or state.train_batch_size is None or args.train_batch_size is None:
        return []
    if state.train_batch_size == args.train_batch_size or args.values.get("auto_find_batch_size") is True:
        return []
    return [Disagreement("trainer_state.json", "training_args.bin",
                         f"trainer_state.json has train_batch_size {state.train_batch_size} but training_args.bin "
                         f"gives {args.train_batch_size} (per device × GPUs): the two files come from different "
                         "training runs")]


def _combined_results_disagreements(facts: Facts) -> list[Disagreement]:
    splits = facts.results.splits if facts.results else {}
    combined = splits.get("all")
    if not combined:
        return []
    found = []
    for split, metrics in splits.items():
        # "epoch" is in every split's file and all_results.json keeps the last one saved
        shown = _differing_numbers(combined, metrics, leave_out=frozenset({"epoch"})) if split != "all" else ""
        if shown:
            found.append(Disagreement("all_results.json", f"{split}_results.json",
                                      f"all_results.json and {split}_results.json disagree ({shown}): one of "
                                      "them was written by another run or edited by hand"))
    return found


def _differing_numbers(first: dict[str, Any], second: dict[str, Any], leave_out: frozenset[str] = frozenset()) -> str:
    """The numbers both hold under one key that do not agree, as a message shows them
    ("eval_accuracy 0.75 vs 0.5", at most three, "…" for more); "" when all agree."""
    differing = [key for key in sorted(set(first) & set(second) - leave_out)
                 if _is_number(first[key]) and _is_number(second[key]) and not numbers_agree(first[key], second[key])]
    shown = ", ".join(f"{key} {first[key]!r} vs {second[key]!r}" for key in differing[:3])
    return shown + (" …" if len(differing) > 3 else "")


def _results_file(facts: Facts) -> str | None:
    """The results file final_eval_metrics reads: eval_results.json, else all_results.json."""
    splits = facts.results.splits if facts.results else {}
    return "eval_results.json" if "eval" in splits else "all_results.json" if "all" in splits else None


def _last_evaluation_epoch(facts: Facts) -> Any:
    state = facts.training_state
    evaluations = [entry for entry in state.eval_rows if "eval_loss" in entry] if state else []
    return max(evaluations, key=lambda entry: entry.position).get("epoch") if evaluations else None


def _best_checkpoint_reloaded(facts: Facts) -> bool:
    """With load_best_model_at_end, the final evaluate() scores the best checkpoint, not the last."""
    if facts.training_args is not None:
        return facts.training_args.values.get("load_best_model_at_end") is True
    return facts.training_state is not None and facts.training_state.best_model_checkpoint is not None


def _same_point(logged_epoch: float | None, results_epoch: float | None) -> bool:
    return logged_epoch is None or results_epoch is None or numbers_agree(logged_epoch, results_epoch)


def _number(value: Any) -> float | None:
    return float(value) if _is_number(value) else None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def numbers_agree(first: float, second: float) -> bool:
    """The same number, one of them possibly rounded: within half a unit of the shorter one's
    last printed decimal, or equal up to float32 precision."""
    if math.isnan(first) or math.isnan(second):
        return math.isnan(first) and math.isnan(second)
    decimals = min(_printed_decimals(first), _printed_decimals(second))
    return abs(first - second) <= 0.5 * 10 ** -decimals + 1e-12 or math.isclose(first, second, rel_tol=1e-6)
