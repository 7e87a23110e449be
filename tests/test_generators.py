"""Sanity checks of the shared generators: the files exist, the numbers they report are
the ones on disk, and each library's README.md has the shape card-generators.md records
(or the deviation recorded in docs/generator-notes.md)."""

from __future__ import annotations

import json
import math
import os
import socket
from pathlib import Path
from typing import Any

import pytest

import generators
from generators import (
    HubTemplateCard,
    PeftRun,
    SentenceTransformerRun,
    TrainerRun,
    WeightsCheckpoint,
    read_front_matter,
)

TRAINER_CARD_COMMENT = (
    "<!-- This model card has been generated automatically according to the information "
    "the Trainer had access to. You\nshould probably proofread and complete it, then remove "
    "this comment. -->"
)
TRAINER_FIXED_SECTIONS = [
    "## Model description",
    "## Intended uses & limitations",
    "## Training and evaluation data",
    "## Training procedure",
    "### Training hyperparameters",
    "### Training results",
    "### Framework versions",
]
TRAINER_METADATA_ORDER = [
    "library_name", "language", "license", "base_model", "tags", "datasets", "metrics", "model-index",
]
HUB_TEMPLATE_HEADINGS = [
    "# Model Card for",
    "## Model Details",
    "### Model Description",
    "### Model Sources [optional]",
    "## Uses",
    "### Direct Use",
    "### Downstream Use [optional]",
    "### Out-of-Scope Use",
    "## Bias, Risks, and Limitations",
    "### Recommendations",
    "## How to Get Started with the Model",
    "## Training Details",
    "### Training Data",
    "### Training Procedure",
    "## Evaluation",
    "### Results",
    "## Environmental Impact",
    "## Technical Specifications [optional]",
    "## Citation [optional]",
    "## Model Card Contact",
]


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------


def card_text(readme: Path) -> str:
    return readme.read_text(encoding="utf-8")


def card_body(readme: Path) -> str:
    return card_text(readme).split("---\n", 2)[2]


def table_under(text: str, heading: str) -> list[list[str]]:
    """Rows (header first, separator dropped) of the first Markdown table after ``heading``."""
    after = text.split(heading + "\n", 1)[1]
    rows = []
    for line in after.splitlines():
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
        elif rows:
            break
    return [row for row in rows if not set("".join(row)) <= set(":-")]


def safetensors_parameter_count(paths: list[Path]) -> int:
    """Elements of every tensor in the files, from the headers only."""
    from safetensors import safe_open

    total = 0
    for path in paths:
        with safe_open(str(path), framework="pt") as weights:
            for name in weights.keys():
                total += math.prod(weights.get_slice(name).get_shape())
    return total


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def positions_in(text: str, needles: list[str]) -> list[int]:
    return [text.index(needle) for needle in needles]


# --------------------------------------------------------------------------------------
# the harness itself
# --------------------------------------------------------------------------------------


def test_offline_environment_is_set_before_hub_libraries_load() -> None:
    from huggingface_hub import constants

    for name, value in generators.OFFLINE_ENV.items():
        assert os.environ[name] == value
    assert constants.HF_HUB_OFFLINE is True


def test_sockets_are_guarded_for_the_whole_session() -> None:
    assert socket.socket.connect.__name__ == "guarded_connect"
    assert socket.getaddrinfo.__name__ == "guarded_getaddrinfo"


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        (("127.0.0.1", 80), True),
        (("::1", 80, 0, 0), True),
        (("localhost", 8080), True),
        ("/tmp/some.sock", True),
        (("huggingface.co", 443), False),
        (("10.0.0.1", 443), False),
    ],
)
def test_network_guard_allows_only_local_addresses(address: Any, allowed: bool) -> None:
    assert generators.is_local_address(address) is allowed


def test_accuracy_and_macro_f1_match_hand_computation() -> None:
    import numpy as np

    predictions = np.array([0, 1, 2, 2])
    labels = np.array([0, 1, 1, 2])
    metrics = generators.accuracy_and_macro_f1(predictions, labels)
    assert metrics["accuracy"] == 0.75
    # f1 per class: 1.0, 2/3, 2/3
    assert metrics["f1"] == pytest.approx((1 + 2 / 3 + 2 / 3) / 3)


def test_copy_output_points_at_an_independent_copy(
    hub_template_output: HubTemplateCard, copy_output: Any
) -> None:
    copy = copy_output(hub_template_output)
    assert copy.out != hub_template_output.out
    assert copy.files == hub_template_output.files
    copy.readme.write_text("changed", encoding="utf-8")
    assert card_text(hub_template_output.readme) != "changed"
    second = copy_output(hub_template_output)
    assert second.out != copy.out


# --------------------------------------------------------------------------------------
# 1. Trainer classifier
# --------------------------------------------------------------------------------------


def test_classifier_writes_the_usual_trainer_files(trainer_classifier_run: TrainerRun) -> None:
    run = trainer_classifier_run
    for name in [
        "README.md", "config.json", "model.safetensors", "trainer_state.json", "training_args.bin",
        "all_results.json", "train_results.json", "eval_results.json",
        "tokenizer.json", "tokenizer_config.json",
    ]:
        assert name in run.files
    assert run.checkpoints == ("checkpoint-6", "checkpoint-12")
    assert "checkpoint-12/trainer_state.json" in run.files


def test_classifier_numbers_are_the_ones_on_disk(trainer_classifier_run: TrainerRun) -> None:
    run = trainer_classifier_run
    assert run.id2label == {0: "negative", 1: "neutral", 2: "positive"}
    config = load_json(run.path("config.json"))
    assert {int(k): v for k, v in config["id2label"].items()} == run.id2label
    assert safetensors_parameter_count([run.path("model.safetensors")]) == run.num_parameters
    assert load_json(run.path("eval_results.json")) == run.eval_metrics
    state = load_json(run.path("trainer_state.json"))
    assert state["global_step"] == run.global_step == 12
    assert state["log_history"] == list(run.log_history)
    assert run.training_args["learning_rate"] == 3e-3
    assert run.training_args["eval_strategy"] == "epoch"


def test_classifier_learns_so_metrics_move_between_epochs(trainer_classifier_run: TrainerRun) -> None:
    evals = [e["eval_accuracy"] for e in trainer_classifier_run.log_history if "eval_accuracy" in e]
    assert len(set(evals)) > 1


def test_trainer_card_metadata(trainer_classifier_run: TrainerRun) -> None:
    run = trainer_classifier_run
    meta = read_front_matter(run.readme)
    assert list(meta) == TRAINER_METADATA_ORDER
    assert meta["library_name"] == "transformers"
    assert meta["base_model"] == "org/tiny-bert"
    assert "generated_from_trainer" in meta["tags"]
    assert meta["datasets"] == ["imdb"]
    assert meta["metrics"] == ["accuracy", "f1"]
    (result,) = meta["model-index"][0]["results"]
    assert result["task"] == {"name": "Text Classification", "type": "text-classification"}
    values = {metric["type"]: metric["value"] for metric in result["metrics"]}
    assert values == {
        "accuracy": run.eval_metrics["eval_accuracy"],
        "f1": run.eval_metrics["eval_f1"],
    }


def test_trainer_card_body(trainer_classifier_run: TrainerRun) -> None:
    run = trainer_classifier_run
    body = card_body(run.readme)
    assert body.startswith("\n" + TRAINER_CARD_COMMENT + "\n\n# tiny-bert-imdb\n\n")
    assert (
        "This model is a fine-tuned version of [org/tiny-bert](https://huggingface.co/org/tiny-bert)"
        " on the imdb dataset.\n" in body
    )
    positions = positions_in(body, TRAINER_FIXED_SECTIONS)
    assert positions == sorted(positions)
    assert "- learning_rate: 0.003\n" in body
    assert f"- Transformers {run.versions.transformers}\n" in body
    assert f"- Pytorch {run.versions.torch}\n" in body
    assert "|\n\n\n### Framework versions\n" in body


def test_trainer_results_table_has_one_row_per_epoch(trainer_classifier_run: TrainerRun) -> None:
    table = table_under(card_body(trainer_classifier_run.readme), "### Training results")
    assert table[0] == ["Training Loss", "Epoch", "Step", "Validation Loss", "Accuracy", "F1"]
    assert [row[1:3] for row in table[1:]] == [["1.0", "6"], ["2.0", "12"]]


def test_continued_training_rewrites_state_results_and_card(
    trainer_classifier_run: TrainerRun, continued_classifier_run: TrainerRun
) -> None:
    before, after = trainer_classifier_run, continued_classifier_run
    assert after.out != before.out
    assert after.global_step == 18
    assert after.checkpoints == ("checkpoint-6", "checkpoint-12", "checkpoint-18")
    assert load_json(after.path("trainer_state.json"))["global_step"] == 18
    assert load_json(after.path("all_results.json"))["epoch"] == 3.0
    table = table_under(card_body(after.readme), "### Training results")
    assert [row[2] for row in table[1:]] == ["6", "12", "18"]
    assert load_json(before.path("trainer_state.json"))["global_step"] == 12


# --------------------------------------------------------------------------------------
# 2. Trainer causal LM
# --------------------------------------------------------------------------------------


def test_causal_lm_card(trainer_causal_lm_run: TrainerRun) -> None:
    run = trainer_causal_lm_run
    assert "generation_config.json" in run.files
    assert run.id2label == {0: "LABEL_0", 1: "LABEL_1"}  # transformers default on any config
    meta = read_front_matter(run.readme)
    # no licence or language given and none looked up offline; only loss: no metrics key
    assert list(meta) == ["library_name", "base_model", "tags", "datasets", "model-index"]
    assert meta["model-index"] == [{"name": "tiny-gpt2-wikitext", "results": []}]
    table = table_under(card_body(run.readme), "### Training results")
    assert table[0] == ["Training Loss", "Epoch", "Step", "Validation Loss"]
    assert f"- Loss: {round(run.eval_metrics['eval_loss'], 4)}\n" in card_body(run.readme)


def test_causal_lm_parameter_count_excludes_the_tied_head(trainer_causal_lm_run: TrainerRun) -> None:
    run = trainer_causal_lm_run
    assert safetensors_parameter_count([run.path("model.safetensors")]) == run.num_parameters


def test_trainer_runs_are_deterministic(trainer_causal_lm_run: TrainerRun, tmp_path: Path) -> None:
    again = generators.trainer_causal_lm(tmp_path / "again")

    def losses(run: TrainerRun) -> list[tuple[Any, ...]]:
        return [(e["step"], e.get("loss"), e.get("eval_loss")) for e in run.log_history]

    assert losses(again) == losses(trainer_causal_lm_run)


# --------------------------------------------------------------------------------------
# 3. sentence-transformers
# --------------------------------------------------------------------------------------


def test_sentence_transformer_files(sentence_transformer_run: SentenceTransformerRun) -> None:
    run = sentence_transformer_run
    for name in [
        "README.md", "modules.json", "config_sentence_transformers.json", "sentence_bert_config.json",
        "1_Pooling/config.json", "2_Normalize/config.json", "config.json", "model.safetensors",
    ]:
        assert name in run.files
    assert run.modules == ("Transformer", "Pooling", "Normalize")
    assert [m["path"] for m in load_json(run.path("modules.json"))] == ["", "1_Pooling", "2_Normalize"]
    assert load_json(run.path("1_Pooling/config.json"))["embedding_dimension"] == run.embedding_dimension
    assert run.similarity_fn_name == "cosine"


def test_sentence_transformer_card(sentence_transformer_run: SentenceTransformerRun) -> None:
    run = sentence_transformer_run
    meta = read_front_matter(run.readme)
    assert meta["library_name"] == "sentence-transformers"
    assert meta["pipeline_tag"] == "sentence-similarity"
    assert "widget" not in meta and "base_model" not in meta
    for tag in ["sentence-transformers", "generated_from_trainer", "dataset_size:6",
                "loss:CosineSimilarityLoss"]:
        assert tag in meta["tags"]
    (result,) = meta["model-index"][0]["results"]
    assert result["dataset"]["type"] == "sts-dev"
    values = {metric["type"]: metric["value"] for metric in result["metrics"]}
    assert values == {
        name.removeprefix("sts-dev_"): value for name, value in run.evaluator_results.items()
    }
    body = card_body(run.readme)
    assert "```\n" + run.model_repr + "\n```" in body
    assert "<!-- - **Base model:** [Unknown](https://huggingface.co/unknown) -->" in body
    assert f"- **Output Dimensionality:** {run.embedding_dimension} dimensions" in body
    assert f"- Sentence Transformers: {run.versions.sentence_transformers}\n" in body


# --------------------------------------------------------------------------------------
# 4. PEFT
# --------------------------------------------------------------------------------------


def test_peft_files_and_adapter(peft_lora_run: PeftRun) -> None:
    run = peft_lora_run
    for name in ["README.md", "adapter_config.json", "adapter_model.safetensors", "trainer_state.json"]:
        assert name in run.files
    assert "model.safetensors" not in run.files
    assert (run.peft_type, run.task_type, run.lora_r, run.target_modules) == (
        "LORA", "CAUSAL_LM", 4, ("c_attn",)
    )
    assert run.base_name_or_path == "org/tiny-gpt2"
    assert run.adapter_tensor_names
    assert all(name.startswith("base_model.model.") for name in run.adapter_tensor_names)
    lora_count = safetensors_parameter_count([run.path("adapter_model.safetensors")])
    assert lora_count == run.trainable_parameters


def test_peft_rewrites_the_trainer_card(peft_lora_run: PeftRun) -> None:
    run = peft_lora_run
    meta = read_front_matter(run.readme)
    assert meta["library_name"] == "peft"
    assert meta["base_model"] == run.card_base_model == "org/tiny-gpt2"
    assert meta["pipeline_tag"] == "text-generation"
    assert run.card_tags == ("base_model:adapter:org/tiny-gpt2", "lora", "transformers")
    assert "generated_from_trainer" not in run.card_tags
    assert generators.PEFT_USER_TAG not in run.card_tags
    body = card_body(run.readme)
    assert f"- PEFT {run.versions.peft}\n- Transformers {run.versions.transformers}\n" in body


def test_peft_alone_writes_the_hub_template(peft_lora_run: PeftRun) -> None:
    first = peft_lora_run.peft_only_card
    assert "library_name: peft" in first
    assert "[More Information Needed]" in first
    assert first.rstrip("\n").endswith(f"### Framework versions\n\n- PEFT {peft_lora_run.versions.peft}")


def test_peft_writes_the_local_base_path(peft_lora_local_base_run: PeftRun) -> None:
    run = peft_lora_local_base_run
    assert run.base_model_id is None
    assert run.card_base_model == run.base_name_or_path == str(run.base_dir)
    assert f"base_model:adapter:{run.base_dir}" in run.card_tags
    # the Trainer's intro line still names the Hub id passed as finetuned_from
    assert "[org/tiny-gpt2](https://huggingface.co/org/tiny-gpt2)" in card_body(run.readme)


# --------------------------------------------------------------------------------------
# 5. weights only
# --------------------------------------------------------------------------------------


def test_sharded_checkpoint(sharded_checkpoint_output: WeightsCheckpoint) -> None:
    run = sharded_checkpoint_output
    shards = [name for name in run.weight_files if name.endswith(".safetensors")]
    assert len(shards) >= 3
    assert run.index_file == "model.safetensors.index.json"
    index = load_json(run.path(run.index_file))
    assert sorted(set(index["weight_map"].values())) == shards
    assert index["metadata"]["total_parameters"] == run.num_parameters
    assert safetensors_parameter_count([run.path(s) for s in shards]) == run.num_parameters
    # tied lm_head is in the state dict but not in the files
    assert set(run.tensor_shapes) - set(index["weight_map"]) == {"lm_head.weight"}
    assert "README.md" not in run.files


def test_pytorch_bin_checkpoint(pytorch_bin_output: WeightsCheckpoint) -> None:
    import torch

    run = pytorch_bin_output
    assert run.files == ("config.json", "pytorch_model.bin")
    state = torch.load(run.path("pytorch_model.bin"), weights_only=True)
    assert {name: tuple(t.shape) for name, t in state.items()} == run.tensor_shapes
    assert run.dtype == "float32"


# --------------------------------------------------------------------------------------
# 6. huggingface_hub template
# --------------------------------------------------------------------------------------


def test_hub_template_card_keeps_placeholders(hub_template_output: HubTemplateCard) -> None:
    run = hub_template_output
    text = card_text(run.readme)
    assert read_front_matter(run.readme) == run.card_data
    assert text.count(run.placeholder) > 20
    assert "# Model Card for Model ID\n" in text
    positions = positions_in(text, HUB_TEMPLATE_HEADINGS)
    assert positions == sorted(positions)
    assert "# For reference on model card metadata" not in text  # YAML comments dropped


def test_hub_template_filled_has_no_placeholder(hub_template_filled_output: HubTemplateCard) -> None:
    run = hub_template_filled_output
    text = card_text(run.readme)
    assert run.placeholder not in text
    assert set(run.filled_variables) | set(run.card_data) >= set(run.template_variables)
    assert "# Model Card for org/tiny-bert-imdb\n" in text
    for value in run.filled_variables.values():
        assert value in text
