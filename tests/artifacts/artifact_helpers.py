"""Helpers for the artifact tests: hand-written safetensors files, LFS pointers, the corpus."""

from __future__ import annotations

import json
import os
import shutil
import struct
from pathlib import Path
from typing import Any

import pytest

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "artifacts"


def write_safetensors(path: Path, header: dict[str, Any] | bytes, data_size: int | None = None) -> Path:
    """A safetensors file written byte by byte, so a test can make any header it likes.

    ``data_size`` defaults to the end of the last tensor; the data section is a sparse hole.
    """
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    if data_size is None and isinstance(header, dict):
        ends = [entry["data_offsets"][1] for key, entry in header.items() if key != "__metadata__"]
        data_size = max(ends, default=0)
    with open(path, "wb") as handle:
        handle.write(struct.pack("<Q", len(raw)) + raw)
        handle.truncate(8 + len(raw) + (data_size or 0))
    return path


def tensor_entry(dtype: str, shape: list[int], begin: int) -> dict[str, Any]:
    sizes = {"F32": 4, "F16": 2, "BF16": 2, "I64": 8, "U8": 1}
    count = 1
    for dim in shape:
        count *= dim
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, begin + count * sizes[dtype]]}


def lfs_pointer_text(size: int) -> str:
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{'ab' * 32}\nsize {size}\n"


def corpus_folder(name: str, destination: Path) -> Path:
    """A copy of a corpus folder under its repository file names (SOURCES.tsv maps them).

    The corpus stores ``owner__repo__path__config.json``; readers look for ``config.json``.
    Files are copied (not linked) because the readers refuse links leaving the folder.
    """
    source = CORPUS / name
    if not source.is_dir():
        pytest.skip(f"corpus folder {source} is absent")
    rows = [line.split("\t") for line in (source / "SOURCES.tsv").read_text().splitlines()[1:] if line]
    repo_paths = {stored: repo_path for stored, _repo, repo_path, _commit in rows}
    common = os.path.commonpath([os.path.dirname(p) for p in repo_paths.values()]) if repo_paths else ""
    destination.mkdir(parents=True)
    for stored, repo_path in repo_paths.items():
        target = destination / os.path.relpath(repo_path, common or ".")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / stored, target)
    return destination


def corpus_names() -> list[str]:
    if not CORPUS.is_dir():
        return []
    return sorted(p.name for p in CORPUS.iterdir() if p.is_dir())


def tiny_bert_folder(folder: Path) -> Path:
    """A randomly initialised BERT (hidden 16, 2 layers) with a WordLevel tokenizer, built offline."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "sat", "on", "mat"]
    backend = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
        sep_token="[SEP]", mask_token="[MASK]", model_max_length=32,
    )
    config = BertConfig(vocab_size=len(words), hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=32)
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
