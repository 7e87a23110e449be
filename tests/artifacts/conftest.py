"""Inputs for the artifact readers' tests.

Real library outputs (Trainer, SentenceTransformer, PEFT, sharded and .bin checkpoints) come
from the session fixtures of tests/conftest.py. This file adds what only these tests need:
safetensors files of many dtypes, pickled training arguments of each trainer family, a
hand-written safetensors writer for broken headers, and the shared corpus of real metadata.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("WANDB_DISABLED", "true")


@pytest.fixture(scope="session")
def many_dtypes_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """``safetensors.torch.save_file`` of tensors in eight dtypes, and the tensors themselves."""
    import torch
    from safetensors.torch import save_file

    tensors = {
        "f32": torch.zeros(3, 5, dtype=torch.float32),
        "f16": torch.zeros(7, dtype=torch.float16),
        "bf16": torch.zeros(2, 2, 2, dtype=torch.bfloat16),
        "f64": torch.zeros(4, dtype=torch.float64),
        "i64": torch.zeros(1, 9, dtype=torch.int64),
        "u8": torch.zeros(11, dtype=torch.uint8),
        "bool": torch.zeros(6, dtype=torch.bool),
        "f8": torch.zeros(13, dtype=torch.float8_e4m3fn),
        "scalar": torch.tensor(1.0),
        "empty": torch.zeros(0, 4),
    }
    folder = tmp_path_factory.mktemp("dtypes")
    save_file(tensors, str(folder / "model.safetensors"), metadata={"format": "pt", "note": "dtypes"})
    return folder, tensors


@pytest.fixture(scope="session")
def training_args_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """training_args.bin of TrainingArguments and its Seq2Seq and sentence-transformers subclasses,
    each written by ``torch.save`` as the trainers do, with non-default values."""
    import torch
    from sentence_transformers import SentenceTransformerTrainingArguments
    from transformers import Seq2SeqTrainingArguments, TrainingArguments

    common = {
        "report_to": [],
        "use_cpu": True,
        "learning_rate": 2e-4,
        "per_device_train_batch_size": 3,
        "per_device_eval_batch_size": 5,
        "gradient_accumulation_steps": 4,
        "seed": 1234,
        "lr_scheduler_type": "cosine",
        "warmup_steps": 7,
        "max_steps": 50,
        "optim": "adamw_torch",
        "adam_beta2": 0.98,
        "adam_epsilon": 1e-6,
        "label_smoothing_factor": 0.1,
    }
    folder = tmp_path_factory.mktemp("training-args")
    classes = {
        "trainer": TrainingArguments,
        "seq2seq": Seq2SeqTrainingArguments,
        "sentence-transformers": SentenceTransformerTrainingArguments,
    }
    written = {}
    for name, cls in classes.items():
        out = folder / name
        out.mkdir()
        torch.save(cls(output_dir=str(out), **common), out / "training_args.bin")
        written[name] = out
    return written
