"""What transformers' Trainer leaves after training: trainer_state.json and the *_results.json files.

Shapes are those of reference 1.7: log_history holds training rows ``{epoch, grad_norm,
learning_rate, loss, step}``, evaluation rows ``{epoch, eval_loss, eval_<metric>…, step}``
and one final row with ``train_runtime``.
"""

from __future__ import annotations

from cardguard.artifacts.fields import JSONScalar, json_fields, scalars_only
from cardguard.artifacts.files import ReadContext
from cardguard.record import Record, factory

RESULT_SPLITS = ("all", "train", "eval", "test")


class LogEntry(dict):
    """One log_history entry (its scalar values) and its index in log_history.

    A plain dict to every reader, so rows compare equal to the entries they came from; the
    position lets a caller apply Trainer's rules, which depend on the order of the log.
    """

    def __init__(self, values: dict[str, JSONScalar] | None = None, position: int = -1) -> None:
        super().__init__(values or {})
        self.position = position


class TrainingStateFacts(Record):
    global_step: int | None = None
    epoch: float | None = None
    max_steps: int | None = None
    num_train_epochs: int | float | None = None
    total_flos: float | None = None
    train_batch_size: int | None = None
    best_metric: float | None = None
    best_model_checkpoint: str | None = None
    best_global_step: int | None = None
    train_rows: list[LogEntry] = factory(list)  # entries with "loss"
    eval_rows: list[LogEntry] = factory(list)  # entries with an eval_* key
    summary_row: LogEntry | None = None  # the last entry with "train_runtime"
    first_summary_position: int | None = None  # where Trainer's table stops (first "train_runtime")


class ResultsFacts(Record):
    """The metrics of each ``{split}_results.json`` present, by split (all, train, eval, test)."""

    splits: dict[str, dict[str, JSONScalar]] = factory(dict)


def read_trainer_state(ctx: ReadContext, relative: str = "trainer_state.json") -> TrainingStateFacts | None:
    fields = json_fields(ctx, relative)
    if fields is None:
        return None
    facts = TrainingStateFacts(
        global_step=fields.int("global_step"),
        epoch=fields.float("epoch"),
        max_steps=fields.int("max_steps"),
        num_train_epochs=fields.number("num_train_epochs"),
        total_flos=fields.float("total_flos"),
        train_batch_size=fields.int("train_batch_size"),
        best_metric=fields.float("best_metric"),
        best_model_checkpoint=fields.str("best_model_checkpoint"),
        best_global_step=fields.int("best_global_step"),
    )
    history = fields.data.get("log_history", [])
    if not isinstance(history, list):
        ctx.report("CG312", relative, f"{relative}: 'log_history' is not a list; no training log read")
        history = []
    _split_history(facts, history)
    return facts


def _split_history(facts: TrainingStateFacts, history: list) -> None:
    for position, entry in enumerate(history):
        if not isinstance(entry, dict):
            continue
        row = LogEntry(scalars_only(entry), position)
        if "train_runtime" in row:
            facts.summary_row = row
            if facts.first_summary_position is None:
                facts.first_summary_position = position
        elif any(key.startswith("eval_") for key in row):
            facts.eval_rows.append(row)
        elif "loss" in row:
            facts.train_rows.append(row)


def read_results(ctx: ReadContext) -> ResultsFacts | None:
    facts = ResultsFacts()
    for split in RESULT_SPLITS:
        data = ctx.read_json_object(f"{split}_results.json")
        if data is not None:
            facts.splits[split] = scalars_only(data)
    return facts if facts.splits else None
