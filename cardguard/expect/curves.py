"""The `training-curves` region: training loss, evaluation loss and each evaluation metric
from trainer_state.json's log_history, drawn as an SVG file beside the card.

The region's text is a Markdown image pointing at :data:`FIGURE_PATH`; the figure itself is
part of what the card should say, so :class:`ExpectedFigure` carries its bytes and ``check``
compares them with the file on disk (a stale figure after a retrain is drift, like a region).

The bytes are deterministic for one matplotlib version (pyproject's ``plots`` extra pins it):
matplotlib's defaults (a user's matplotlibrc is not read into the figure), a fixed SVG hash
salt, no date, DejaVu Sans (shipped with matplotlib) and ``svg.fonttype = "path"``: glyphs
are written as paths, so the figure reads the same in every browser whatever fonts it has
(with "none" the text would be laid out with DejaVu's metrics and drawn in another font), and
the bytes depend on nothing installed on the machine but matplotlib itself.

matplotlib is optional (``pip install 'cardguard[plots]'``) and imported only when a figure is
drawn; ``import cardguard`` never imports it. It is drawn on a Figure object with its own SVG
canvas, never through pyplot, and rcParams are set only inside ``rc_context``, so the caller's
matplotlib state (backend, rcParams, open figures) is left as it was.
"""

from __future__ import annotations

import importlib
import importlib.util
import io
import math
from typing import Any

from cardguard.artifacts import Facts
from cardguard.record import Record

REGION_NAME = "training-curves"
FIGURE_PATH = "assets/training_curves.svg"  # relative to the model folder, '/'-separated
PLOTS_EXTRA = "pip install 'cardguard[plots]'"
MAX_POINTS = 2000  # per curve: a longer log is thinned evenly (first and last point kept)
MAX_METRICS = 12  # metric panels drawn (the first by key): a hostile log's 10,000 keys draw no 10,000 panels

LOSS_KEYS = ("loss", "eval_loss")  # drawn together in the first panel
_SKIPPED_EVAL_KEYS = {"eval_runtime", "eval_samples_per_second", "eval_steps_per_second",
                      "eval_jit_compilation_time", "eval_samples"}
_RC = {
    "svg.hashsalt": "cardguard",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "path.simplify": False,
}


class Curve(Record, frozen=True):
    key: str  # the log_history key: loss, eval_loss, eval_accuracy …
    title: str
    steps: tuple[float, ...]
    values: tuple[float, ...]


class ExpectedFigure(Record, frozen=True):
    """A file beside the card that a region refers to, and its expected bytes."""

    region: str
    path: str  # relative to the model folder, '/'-separated
    data: bytes


def plots_available() -> bool:
    """Whether matplotlib's SVG backend can be imported here. Asked only for a card whose log
    has curves to draw, which imports it next anyway; an install that is there but broken (its
    import fails: a missing dependency) counts as no matplotlib, not as a failed card."""
    if importlib.util.find_spec("matplotlib") is None:
        return False
    try:
        importlib.import_module("matplotlib.backends.backend_svg")
    except ImportError:
        return False
    return True


def curves(facts: Facts) -> list[Curve]:
    """Training loss, evaluation loss, then each evaluation metric (sorted by key; at most
    MAX_METRICS), each a curve over the global step. Entries without a numeric step, and
    values that are not finite numbers (NaN, inf of a diverged run), are left out: the curve
    ends or has a gap. One pass over the log: its size bounds the work, whatever its keys."""
    state = facts.training_state
    if state is None:
        return []
    points: dict[str, list[tuple[float, float]]] = {}
    for row in sorted((*state.train_rows, *state.eval_rows), key=lambda entry: entry.position):
        step = _number(row.get("step"))
        for key, value in row.items():
            number = _number(value)
            if step is not None and number is not None and _is_drawn(key, row):
                points.setdefault(key, []).append((step, number))
    metrics = sorted(key for key in points if key not in LOSS_KEYS)[:MAX_METRICS]
    keys = [key for key in LOSS_KEYS if key in points] + metrics
    return [_curve(key, points[key]) for key in keys]


def _is_drawn(key: str, row: Any) -> bool:
    """Training loss from training entries; every eval_ key but runtimes and throughput."""
    if key == "loss":
        return not any(name.startswith("eval_") for name in row)
    return key.startswith("eval_") and key not in _SKIPPED_EVAL_KEYS


def _curve(key: str, pairs: list[tuple[float, float]]) -> Curve:
    pairs = _thinned(pairs)
    return Curve(key, _title(key), tuple(step for step, _ in pairs), tuple(value for _, value in pairs))


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _thinned(pairs: list[tuple[float, float]]) -> list[tuple[float, float]]:
    if len(pairs) <= MAX_POINTS:
        return pairs
    last = len(pairs) - 1
    return [pairs[round(index * last / (MAX_POINTS - 1))] for index in range(MAX_POINTS)]


def _title(key: str) -> str:
    if key == "loss":
        return "Training loss"
    if key == "eval_loss":
        return "Evaluation loss"
    return " ".join(part.capitalize() for part in key.removeprefix("eval_").split("_"))


# -- the region --------------------------------------------------------------------------------

def training_curves_context(facts: Facts, metadata: dict[str, Any], previous: str | None, traits: Any
                            ) -> dict[str, Any] | None:
    """The region's template context: the figure's path and what it shows; without
    matplotlib, how to enable it. None (unknown, never drift) when the log has no curve, or
    when matplotlib is missing here but the region already shows a figure drawn elsewhere."""
    found = curves(facts)
    if not found:
        return None
    if not plots_available():
        if previous is not None and FIGURE_PATH in previous:
            return None
        return {"figure": None, "titles": [curve.title for curve in found], "install": PLOTS_EXTRA}
    return {"figure": FIGURE_PATH, "titles": [curve.title for curve in found], "install": PLOTS_EXTRA}


def expected_figures(region_texts: dict[str, str | None], facts: Facts) -> tuple[ExpectedFigure, ...]:
    """The figure the `training-curves` region refers to, when its text (as derived) shows it."""
    text = region_texts.get(REGION_NAME)
    if text is None or FIGURE_PATH not in text:
        return ()
    found = curves(facts)
    return (ExpectedFigure(REGION_NAME, FIGURE_PATH, draw_svg(found)),) if found else ()


# -- drawing -----------------------------------------------------------------------------------

def draw_svg(found: list[Curve]) -> bytes:
    """The curves as SVG bytes: losses in the first panel, one panel per metric below."""
    import matplotlib.style
    from matplotlib import rc_context
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    losses = [curve for curve in found if curve.key in LOSS_KEYS]
    metrics = [curve for curve in found if curve.key not in LOSS_KEYS]
    panels = ([losses] if losses else []) + [[curve] for curve in metrics]
    with matplotlib.style.context("default"), rc_context(_RC):
        figure = Figure(figsize=(6.4, 1.0 + 2.2 * len(panels)), layout="constrained")
        FigureCanvasSVG(figure)
        axes_list = figure.subplots(len(panels), 1, squeeze=False, sharex=True)[:, 0]
        for axes, panel in zip(axes_list, panels):
            _draw_panel(axes, panel)
        axes_list[-1].set_xlabel("Step")
        buffer = io.BytesIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": "cardguard"})
    return buffer.getvalue()


def _draw_panel(axes: Any, panel: list[Curve]) -> None:
    for curve in panel:
        style = "o-" if len(curve.steps) <= 50 else "-"
        axes.plot(curve.steps, curve.values, style, markersize=3, linewidth=1.4, label=curve.title)
    axes.set_ylabel("Loss" if panel[0].key in LOSS_KEYS else panel[0].title)
    axes.grid(True, alpha=0.3)
    if len(panel) > 1:
        axes.legend(loc="best", frameon=False)
