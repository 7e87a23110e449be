"""Comparing what a card states with what the artifacts say, tolerant of printed precision.

Shared by the drift rules (which report) and managed metadata (which rewrites).
"""

from __future__ import annotations

import math
from typing import Any

from cardguard.artifacts import Facts
from cardguard.generated import final_eval_metrics
from cardguard.yamlpos import InstancePath


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
