"""Real checkpoint metadata from public repos (../shared/corpus/artifacts): facts, never crashes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from artifact_helpers import CORPUS, corpus_folder, corpus_names

from cardguard.artifacts import facts_to_dict, format_facts_text, read_facts


@pytest.mark.parametrize("name", corpus_names() or ["(corpus absent)"])
def test_every_corpus_folder_gives_facts(tmp_path: Path, name: str) -> None:
    folder = corpus_folder(name, tmp_path / name)
    facts = read_facts(folder)
    format_facts_text(facts)
    facts_to_dict(facts)
    assert facts.files_read, "no artifact was recognised"
    # Index-only checkpoints miss their shards; nothing else in these real files is broken.
    assert {f.code for f in facts.findings} <= {"CG305"}


def test_minilm_sparse_checkpoint_from_its_real_header(tmp_path: Path) -> None:
    source = CORPUS / "all-MiniLM-L6-v2"
    if not source.is_dir():
        pytest.skip("corpus absent")
    folder = corpus_folder("all-MiniLM-L6-v2", tmp_path / "minilm")
    size = int((source / "model.safetensors.header.size").read_text().split()[0])
    with open(folder / "model.safetensors", "wb") as handle:
        handle.write((source / "model.safetensors.header").read_bytes())
        handle.truncate(size)
    facts = read_facts(folder)
    assert facts.findings == []
    # NOTE.txt of the corpus: 22,713,216 F32 parameters plus the 512-element I64 position_ids buffer.
    assert facts.weights.parameters_by_dtype == {"F32": 22_713_216, "I64": 512}
    assert facts.weights.tensor_count == 104
    assert facts.weights.file_bytes == size == 8 + 11_408 + facts.weights.tensor_bytes
    st = facts.sentence_transformers
    assert (st.output_dimension, st.max_seq_length, st.pooling_modes, st.normalized) == (384, 256, ["mean"], True)


def test_sharded_index_facts_without_shards(tmp_path: Path) -> None:
    if not (CORPUS / "medgemma-27b-it").is_dir():
        pytest.skip("corpus absent")
    facts = read_facts(corpus_folder("medgemma-27b-it", tmp_path / "m"))
    assert facts.weights.shard_count > 1
    assert len(facts.weights.unreadable_files) == facts.weights.shard_count
    assert facts.config.text_config is not None and facts.config.text_config.hidden_size
    assert os.path.basename(facts.weights.index_file) == "model.safetensors.index.json"
