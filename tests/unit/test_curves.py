"""The training-curves series and figure (cardguard/expect/curves.py): which points are drawn,
deterministic SVG bytes, and no change to the caller's matplotlib state. Tests that draw need
matplotlib (``pip install 'cardguard[plots]'``) and skip without it, saying so."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cardguard.artifacts import Facts
from cardguard.artifacts.training import LogEntry, TrainingStateFacts
from cardguard.expect import curves as curves_module
from cardguard.expect.curves import FIGURE_PATH, MAX_POINTS, Curve, curves, draw_svg, training_curves_context

ROOT = Path(__file__).resolve().parents[2]


def facts_with(entries: list[dict]) -> Facts:
    """Facts whose trainer_state.json log_history is ``entries`` (split as the reader splits it)."""
    state = TrainingStateFacts()
    for position, values in enumerate(entries):
        row = LogEntry(values, position)
        if "train_runtime" in row:
            state.summary_row = row
        elif any(key.startswith("eval_") for key in row):
            state.eval_rows.append(row)
        elif "loss" in row:
            state.train_rows.append(row)
    facts = Facts(model_dir="m")
    facts.training_state = state
    return facts


def by_key(found: list[Curve]) -> dict[str, Curve]:
    return {curve.key: curve for curve in found}


LOG = [
    {"epoch": 1.0, "step": 10, "loss": 0.9, "learning_rate": 1e-5, "grad_norm": 2.0},
    {"epoch": 1.0, "step": 10, "eval_loss": 0.8, "eval_f1": 0.5, "eval_accuracy": 0.6, "eval_runtime": 1.5,
     "eval_samples_per_second": 9.0, "eval_steps_per_second": 3.0},
    {"epoch": 2.0, "step": 20, "loss": 0.6, "learning_rate": 5e-6, "grad_norm": 1.0},
    {"epoch": 2.0, "step": 20, "eval_loss": 0.7, "eval_f1": 0.6, "eval_accuracy": 0.7, "eval_runtime": 1.4,
     "eval_samples_per_second": 9.5, "eval_steps_per_second": 3.1},
    {"epoch": 2.0, "step": 20, "train_runtime": 5.0, "train_loss": 0.75},
]


def test_losses_first_then_each_metric_sorted_without_speed_keys():
    found = curves(facts_with(LOG))
    assert [curve.key for curve in found] == ["loss", "eval_loss", "eval_accuracy", "eval_f1"]
    assert [curve.title for curve in found] == ["Training loss", "Evaluation loss", "Accuracy", "F1"]
    assert by_key(found)["loss"].steps == (10.0, 20.0) and by_key(found)["loss"].values == (0.9, 0.6)
    assert by_key(found)["eval_f1"].values == (0.5, 0.6)


def test_no_evaluation_gives_only_the_training_loss():
    found = curves(facts_with([row for row in LOG if "eval_loss" not in row]))
    assert [curve.key for curve in found] == ["loss"]


def test_nan_and_infinite_values_are_left_out_of_the_curve():
    log = [{"step": 1, "loss": 1.0}, {"step": 2, "loss": math.nan}, {"step": 3, "loss": math.inf},
           {"step": 4, "loss": 0.5}, {"step": 4, "eval_loss": math.nan, "eval_accuracy": 0.5}]
    found = by_key(curves(facts_with(log)))
    assert found["loss"].steps == (1.0, 4.0) and found["loss"].values == (1.0, 0.5)
    assert "eval_loss" not in found  # no finite point: no curve
    assert found["eval_accuracy"].values == (0.5,)


def test_entries_without_a_numeric_step_and_non_numbers_are_skipped():
    log = [{"loss": 1.0}, {"step": "3", "loss": 0.9}, {"step": 5, "loss": True}, {"step": 6, "loss": "0.4"},
           {"step": 7, "loss": 0.3}]
    found = curves(facts_with(log))
    assert [(curve.steps, curve.values) for curve in found] == [((7.0,), (0.3,))]


def test_one_point_is_a_curve():
    assert [(curve.key, curve.steps) for curve in curves(facts_with([{"step": 1, "loss": 2.0}]))] == [("loss", (1.0,))]


def test_no_trainer_state_or_no_loss_gives_no_region():
    assert curves(Facts(model_dir="m")) == []
    assert training_curves_context(Facts(model_dir="m"), {}, None, None) is None
    assert training_curves_context(facts_with([{"step": 1, "learning_rate": 1e-5}]), {}, None, None) is None


def test_a_long_log_is_thinned_evenly_keeping_both_ends():
    log = [{"step": step, "loss": 1.0 / step} for step in range(1, 3 * MAX_POINTS + 2)]
    [loss] = curves(facts_with(log))
    assert len(loss.steps) == MAX_POINTS
    assert loss.steps[0] == 1.0 and loss.steps[-1] == float(3 * MAX_POINTS + 1)
    assert list(loss.steps) == sorted(set(loss.steps))


def test_without_matplotlib_the_region_says_how_to_enable_it(monkeypatch):
    monkeypatch.setattr(curves_module, "plots_available", lambda: False)
    context = training_curves_context(facts_with(LOG), {}, None, None)
    assert context is not None and context["figure"] is None and "cardguard[plots]" in context["install"]
    # a region that already shows a figure drawn where matplotlib was: unknown here, never drift
    assert training_curves_context(facts_with(LOG), {}, f"![x]({FIGURE_PATH})\n", None) is None


def test_with_matplotlib_the_region_points_at_the_figure(monkeypatch):
    monkeypatch.setattr(curves_module, "plots_available", lambda: True)
    context = training_curves_context(facts_with(LOG), {}, None, None)
    assert context is not None and context["figure"] == FIGURE_PATH


def test_importing_cardguard_never_imports_matplotlib():
    code = ("import sys, cardguard, cardguard.cli, cardguard.expect.expected, cardguard.run.sync_run; "
            "print(sorted(name for name in sys.modules if name.split('.')[0] == 'matplotlib'))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert out.strip() == "[]"


# -- drawing (needs matplotlib) ----------------------------------------------------------------

def needs_matplotlib() -> None:
    pytest.importorskip("matplotlib", reason="the plots extra is not installed (pip install 'cardguard[plots]')")


def test_two_drawings_are_byte_identical_and_carry_no_date():
    needs_matplotlib()
    found = curves(facts_with(LOG))
    first, second = draw_svg(found), draw_svg(found)
    assert first == second
    assert first.startswith(b"<?xml") and b"<svg" in first
    assert b"<dc:date>" not in first
    assert b"<text" not in first  # svg.fonttype "path": glyphs are paths, no font is needed to show it


def test_a_drawing_in_another_process_has_the_same_bytes(tmp_path):
    needs_matplotlib()
    found = curves(facts_with(LOG))
    script = tmp_path / "draw.py"
    script.write_text(
        "import json, sys\n"
        "from cardguard.expect.curves import Curve, draw_svg\n"
        "found = [Curve(c['key'], c['title'], tuple(c['steps']), tuple(c['values'])) for c in json.load(sys.stdin)]\n"
        "sys.stdout.buffer.write(draw_svg(found))\n", encoding="utf-8")
    payload = json.dumps([{"key": c.key, "title": c.title, "steps": c.steps, "values": c.values} for c in found])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "MPLCONFIGDIR": str(tmp_path / "mplconfig")}
    child = subprocess.run([sys.executable, str(script)], input=payload.encode(), capture_output=True, env=env,
                           check=True)
    assert child.stdout == draw_svg(found)


def test_different_logs_draw_different_bytes():
    needs_matplotlib()
    changed = [dict(row, eval_loss=0.65) if "eval_loss" in row else row for row in LOG]
    assert draw_svg(curves(facts_with(LOG))) != draw_svg(curves(facts_with(changed)))


def test_edge_cases_draw(tmp_path):
    needs_matplotlib()
    for log in ([{"step": 1, "loss": 2.0}], [{"step": 1, "eval_loss": 1.0}],
                [{"step": 1, "loss": math.nan}, {"step": 2, "loss": 1.0}]):
        assert draw_svg(curves(facts_with(log))).rstrip().endswith(b"</svg>")


def test_drawing_leaves_the_callers_matplotlib_state_alone():
    needs_matplotlib()
    import matplotlib

    matplotlib.rcParams["lines.linewidth"] = 7.5  # the caller's own setting
    try:
        before = dict(matplotlib.rcParams)
        backend = matplotlib.get_backend()
        loaded_pyplot = "matplotlib.pyplot" in sys.modules
        draw_svg(curves(facts_with(LOG)))
        assert dict(matplotlib.rcParams) == before
        assert matplotlib.get_backend() == backend
        assert ("matplotlib.pyplot" in sys.modules) == loaded_pyplot
    finally:
        matplotlib.rcParams["lines.linewidth"] = matplotlib.rcParamsDefault["lines.linewidth"]


def test_the_callers_rc_settings_do_not_change_the_bytes():
    needs_matplotlib()
    import matplotlib

    found = curves(facts_with(LOG))
    plain = draw_svg(found)
    with matplotlib.rc_context({"lines.linewidth": 7.5, "font.size": 20, "svg.fonttype": "none"}):
        assert draw_svg(found) == plain


def test_a_log_with_thousands_of_metric_keys_draws_a_bounded_number_of_panels():
    many = {f"eval_metric_{index:05d}": 0.5 for index in range(5000)}
    found = curves(facts_with([{"step": 1, "loss": 1.0}, {"step": 1, "eval_loss": 0.9, **many}]))
    assert [curve.key for curve in found[:2]] == ["loss", "eval_loss"]
    assert [curve.key for curve in found[2:]] == sorted(many)[:curves_module.MAX_METRICS]
