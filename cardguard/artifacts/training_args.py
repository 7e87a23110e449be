"""The hyperparameters in ``training_args.bin``, read through the restricted unpickler.

The file is the pickled ``TrainingArguments`` (or a subclass) itself (reference 1.8). Its
dataclass fields arrive as the stub's state; enum members (``SchedulerType("linear")``) arrive
as stubs holding their value. The derived numbers are computed the way transformers computes
them for its cards (reference 1.5): ``train_batch_size = per_device_train_batch_size *
max(1, n_gpu)``, world size from the pickled accelerate state.
"""

from __future__ import annotations

from cardguard.artifacts.fields import JSONScalar, is_huge_int
from cardguard.artifacts.files import ReadContext
from cardguard.artifacts.odd_text import without_lone_surrogates
from cardguard.artifacts.pickles import (
    TRAINING_ARGS_CLASSES,
    PickledObject,
    load_torch_pickle,
    report_pickle_problem,
)
from cardguard.record import Record, factory

TYPE_CHECKING = False  # typing is imported for type checkers only: it costs a cold start ~5 ms
if TYPE_CHECKING:
    from typing import Any


class TrainingArgsFacts(Record):
    args_class: str  # e.g. transformers.training_args.TrainingArguments
    learning_rate: float | None = None
    train_batch_size: int | None = None
    eval_batch_size: int | None = None
    per_device_train_batch_size: int | None = None
    per_device_eval_batch_size: int | None = None
    seed: int | None = None
    optimizer: str | None = None  # the OptimizerNames value, e.g. "adamw_torch_fused"
    adam_beta1: float | None = None
    adam_beta2: float | None = None
    adam_epsilon: float | None = None
    optim_args: str | None = None
    lr_scheduler_type: str | None = None
    warmup_ratio: float | None = None
    warmup_steps: int | float | None = None
    num_train_epochs: float | None = None
    max_steps: int | None = None
    gradient_accumulation_steps: int | None = None
    fp16: bool | None = None
    bf16: bool | None = None
    world_size: int = 1
    distributed_type: str | None = None  # accelerate's DistributedType value, e.g. "NO", "MULTI_GPU"
    label_smoothing_factor: float | None = None
    # Every field whose value is a plain scalar (enums as their values), for "all hyperparameters".
    values: dict[str, JSONScalar] = factory(dict)

    @property
    def total_train_batch_size(self) -> int | None:
        if self.train_batch_size is None:
            return None
        return self.train_batch_size * self.world_size * (self.gradient_accumulation_steps or 1)


def read_training_args(ctx: ReadContext, relative: str = "training_args.bin") -> TrainingArgsFacts | None:
    result = load_torch_pickle(ctx, relative)
    if result is None or not report_pickle_problem(ctx, relative, result):
        return None
    root = result.root
    if not isinstance(root, PickledObject) or root.pickled_name not in TRAINING_ARGS_CLASSES:
        ctx.report("CG312", relative, f"{relative} does not hold TrainingArguments (found {_describe(root)})")
        return None
    odd = _odd_fields(root.state)
    if odd:
        ctx.report("CG312", relative, f"{relative}: {', '.join(odd[:3])}{' …' if len(odd) > 3 else ''} "
                   "hold an integer out of range; ignored")
    return _facts_from_state(root.pickled_name, root.state)


def _odd_fields(state: dict[str, Any]) -> list[str]:
    """The fields holding an integer too large to be a hyperparameter (thousands of digits),
    named as a message may show them (no lone surrogate, at most 80 characters)."""
    return [without_lone_surrogates(key[:80]) for key, value in state.items() if isinstance(key, str) and is_huge_int(value)]


def _facts_from_state(args_class: str, state: dict[str, Any]) -> TrainingArgsFacts:
    values = _public_values(state)
    n_gpu = _typed(state.get("_n_gpu"), int)
    gpus = max(1, n_gpu) if n_gpu is not None else 1
    per_device_train = _typed(values.get("per_device_train_batch_size"), int)
    per_device_eval = _typed(values.get("per_device_eval_batch_size"), int)
    distributed = state.get("distributed_state")
    return TrainingArgsFacts(
        args_class=args_class,
        learning_rate=_typed(values.get("learning_rate"), float),
        train_batch_size=None if per_device_train is None else per_device_train * gpus,
        eval_batch_size=None if per_device_eval is None else per_device_eval * gpus,
        per_device_train_batch_size=per_device_train,
        per_device_eval_batch_size=per_device_eval,
        seed=_typed(values.get("seed"), int),
        optimizer=_typed(values.get("optim"), str),
        adam_beta1=_typed(values.get("adam_beta1"), float),
        adam_beta2=_typed(values.get("adam_beta2"), float),
        adam_epsilon=_typed(values.get("adam_epsilon"), float),
        optim_args=_typed(values.get("optim_args"), str),
        lr_scheduler_type=_typed(values.get("lr_scheduler_type"), str),
        warmup_ratio=_typed(values.get("warmup_ratio"), float),
        warmup_steps=_typed(values.get("warmup_steps"), (int, float)),
        num_train_epochs=_typed(values.get("num_train_epochs"), float),
        max_steps=_typed(values.get("max_steps"), int),
        gradient_accumulation_steps=_typed(values.get("gradient_accumulation_steps"), int),
        fp16=_typed(values.get("fp16"), bool),
        bf16=_typed(values.get("bf16"), bool),
        world_size=_world_size(distributed),
        distributed_type=_distributed_type(distributed),
        label_smoothing_factor=_typed(values.get("label_smoothing_factor"), float),
        values=values,
    )


def _public_values(state: dict[str, Any]) -> dict[str, JSONScalar]:
    """The plain fields, with secrets masked the way ``TrainingArguments.to_dict`` masks them:
    a ``hub_token`` pickled by mistake must not reach a CI log."""
    values: dict[str, JSONScalar] = {}
    for key, value in state.items():
        value = _plain(value)
        if not isinstance(key, str) or key.startswith("_") or not _is_plain(value):
            continue
        key = without_lone_surrogates(key)
        value = without_lone_surrogates(value) if isinstance(value, str) else value
        if key.endswith("_token"):
            value = f"<{key.upper()}>"
        values[key] = value
    return values


def _plain(value: Any) -> Any:
    """Enum stubs become their values; everything else is returned as it is."""
    if isinstance(value, PickledObject) and value.enum_value is not None:
        return value.enum_value
    return value


def _is_plain(value: Any) -> bool:
    return value is None or (isinstance(value, (str, int, float, bool)) and not is_huge_int(value))


def _typed(value: Any, kind: type | tuple[type, ...]) -> Any:
    # bool is an int subclass: an int field holding True is not an int.
    if (isinstance(value, bool) and kind is not bool) or is_huge_int(value):
        return None
    if isinstance(value, str):
        value = without_lone_surrogates(value)
    if kind is float and isinstance(value, int):
        return float(value)
    return value if isinstance(value, kind) else None


def _world_size(distributed: Any) -> int:
    if isinstance(distributed, PickledObject):
        processes = _typed(distributed.state.get("num_processes"), int)
        if processes is not None and processes > 0:
            return processes
    return 1


def _distributed_type(distributed: Any) -> str | None:
    if isinstance(distributed, PickledObject):
        return _typed(_plain(distributed.state.get("distributed_type")), str)
    return None


def _describe(root: Any) -> str:
    return root.pickled_name if isinstance(root, PickledObject) else type(root).__name__
