"""PEFT adapters and sentence-transformers folders written by the libraries themselves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cardguard.artifacts import read_facts


def test_adapter_facts_equal_the_peft_config(peft_lora_run) -> None:
    from peft import PeftConfig

    run = peft_lora_run
    config = PeftConfig.from_pretrained(str(run.out))
    adapter = read_facts(run.out).adapter
    # PeftType and TaskType are str enums: equal to their values.
    assert adapter.peft_type == config.peft_type
    assert adapter.task_type == config.task_type
    assert adapter.base_model == config.base_model_name_or_path
    assert (adapter.r, adapter.lora_alpha, adapter.lora_dropout) == (config.r, config.lora_alpha, config.lora_dropout)
    assert sorted(adapter.target_modules) == sorted(config.target_modules)
    assert adapter.peft_version == json.loads((run.out / "adapter_config.json").read_text())["peft_version"]


def test_adapter_parameter_count_equals_peft_count(peft_lora_run) -> None:
    run = peft_lora_run
    facts = read_facts(run.out)
    weights = facts.adapter.weights
    assert weights.files == ["adapter_model.safetensors"]
    assert weights.parameters == run.trainable_parameters
    assert weights.tensor_count == len(run.adapter_tensor_names)
    # The adapter is not mistaken for the model's own weights.
    assert facts.weights is None or "adapter_model.safetensors" not in facts.weights.files


def test_adapter_bin_weights(tmp_path: Path) -> None:
    import torch

    (tmp_path / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "r": 2, "future_key": {"x": 1}}))
    state = {"base_model.model.q.lora_A.weight": torch.zeros(2, 8), "base_model.model.q.lora_B.weight": torch.zeros(8, 2)}
    torch.save(state, tmp_path / "adapter_model.bin")
    facts = read_facts(tmp_path)
    assert facts.findings == []
    assert facts.adapter.weights.format == "pytorch"
    assert facts.adapter.weights.parameters == 32


def test_adapter_config_with_wrong_types(tmp_path: Path) -> None:
    (tmp_path / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "r": "8", "target_modules": "q_proj|v_proj"}))
    adapter = read_facts(tmp_path).adapter
    assert adapter.r is None
    assert adapter.target_modules == "q_proj|v_proj"  # PEFT accepts a regex string


def test_sentence_transformers_6x_layout(sentence_transformer_run) -> None:
    run = sentence_transformer_run
    facts = read_facts(run.out)
    st = facts.sentence_transformers
    assert [module.kind for module in st.modules] == list(run.modules)
    assert st.output_dimension == run.embedding_dimension
    assert st.max_seq_length == run.max_seq_length
    assert st.similarity_fn_name == run.similarity_fn_name
    assert st.normalized == ("Normalize" in run.modules)
    assert st.versions["sentence_transformers"] == run.versions.sentence_transformers
    assert st.pooling_modes
    assert facts.findings == []


def test_sentence_transformers_parameters_equal_the_model(sentence_transformer_run) -> None:
    facts = read_facts(sentence_transformer_run.out)
    assert facts.weights.parameters == sentence_transformer_run.num_parameters


def test_dense_module_sets_the_output_dimension(tmp_path: Path) -> None:
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer import modules as st_models  # 6.x; "models" is deprecated

    from artifact_helpers import tiny_bert_folder

    transformer = st_models.Transformer(str(tiny_bert_folder(tmp_path / "bert")))
    dense = st_models.Dense(transformer.get_embedding_dimension(), 5)
    model = SentenceTransformer(modules=[transformer, st_models.Pooling(transformer.get_embedding_dimension()), dense])
    model.save_pretrained(str(tmp_path / "st"))
    facts = read_facts(tmp_path / "st").sentence_transformers
    assert facts.output_dimension == model.get_embedding_dimension() == 5
    assert facts.normalized is False


def test_5x_layout_with_several_pooling_modes(tmp_path: Path) -> None:
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    ]
    (tmp_path / "modules.json").write_text(json.dumps(modules))
    (tmp_path / "sentence_bert_config.json").write_text('{"max_seq_length": 128, "do_lower_case": false}')
    (tmp_path / "1_Pooling").mkdir()
    pooling = {"word_embedding_dimension": 32, "pooling_mode_cls_token": True, "pooling_mode_mean_tokens": True}
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    st = read_facts(tmp_path).sentence_transformers
    assert st.max_seq_length == 128
    assert st.pooling_modes == ["cls", "mean"]
    assert st.output_dimension == 64


@pytest.mark.parametrize("path", ["../outside", "/etc"])
def test_module_path_leaving_the_repo(tmp_path: Path, path: str) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "config.json").write_text('{"out_features": 7}')
    modules = [{"idx": 0, "name": "0", "path": path, "type": "sentence_transformers.models.Dense"}]
    (repo / "modules.json").write_text(json.dumps(modules))
    facts = read_facts(repo)
    assert [f.code for f in facts.findings] == ["CG307"]
    assert facts.sentence_transformers.output_dimension is None


def test_modules_json_not_a_list(tmp_path: Path) -> None:
    (tmp_path / "modules.json").write_text('{"0": "Transformer"}')
    assert [f.code for f in read_facts(tmp_path).findings] == ["CG301"]
