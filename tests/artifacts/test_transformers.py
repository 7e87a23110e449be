"""transformers files in a real Trainer output folder, and training_args.bin of each trainer family."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cardguard.artifacts import Limits, read_facts


def real_training_args(path: Path):
    """The TrainingArguments object itself (the test wrote the file, so plain torch.load is fine)."""
    import torch

    return torch.load(path, weights_only=False)


def test_config_facts_equal_the_model_config(trainer_classifier_run) -> None:
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(trainer_classifier_run.out)
    facts = read_facts(trainer_classifier_run.out).config
    assert facts.model_type == config.model_type
    assert facts.architectures == config.architectures
    assert facts.hidden_size == config.hidden_size
    assert facts.num_layers == config.num_hidden_layers
    assert facts.num_attention_heads == config.num_attention_heads
    assert facts.vocab_size == config.vocab_size
    assert facts.context_length == config.max_position_embeddings
    assert facts.id2label == {str(k): v for k, v in config.id2label.items()}
    assert facts.transformers_version == config.transformers_version


def test_trainer_state_facts(trainer_classifier_run) -> None:
    run = trainer_classifier_run
    state = json.loads((run.out / "trainer_state.json").read_text())
    facts = read_facts(run.out).training_state
    assert facts.global_step == run.global_step
    assert facts.epoch == state["epoch"]
    assert facts.total_flos == state["total_flos"]
    assert facts.best_metric == state["best_metric"]
    assert facts.train_rows == [row for row in state["log_history"] if "loss" in row]
    assert facts.eval_rows == [row for row in state["log_history"] if "eval_loss" in row]
    assert "train_runtime" in facts.summary_row


def test_results_files(trainer_classifier_run) -> None:
    run = trainer_classifier_run
    results = read_facts(run.out).results
    for split in ("all", "train", "eval"):
        on_disk = run.out / f"{split}_results.json"
        assert (split in results.splits) == on_disk.exists()
    assert results.splits["eval"] == json.loads((run.out / "eval_results.json").read_text())
    assert results.splits["eval"]["eval_loss"] == pytest.approx(run.eval_metrics["eval_loss"])


def test_tokenizer_facts(trainer_classifier_run) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(trainer_classifier_run.out)
    facts = read_facts(trainer_classifier_run.out).tokenizer
    unbounded = tokenizer.model_max_length >= 10**18  # transformers' VERY_LARGE_INTEGER: "no limit"
    assert facts.model_max_length == (None if unbounded else tokenizer.model_max_length)
    assert facts.has_chat_template is bool(getattr(tokenizer, "chat_template", None))
    assert facts.special_tokens.get("pad_token") == tokenizer.pad_token


def _assert_args_equal(facts, args) -> None:
    assert facts.learning_rate == args.learning_rate
    assert facts.train_batch_size == args.train_batch_size
    assert facts.eval_batch_size == args.eval_batch_size
    assert facts.seed == args.seed
    assert facts.optimizer == args.optim.value
    assert (facts.adam_beta1, facts.adam_beta2, facts.adam_epsilon) == (args.adam_beta1, args.adam_beta2, args.adam_epsilon)
    assert facts.lr_scheduler_type == args.lr_scheduler_type.value
    assert facts.warmup_steps == args.warmup_steps
    assert facts.num_train_epochs == args.num_train_epochs
    assert facts.max_steps == args.max_steps
    assert facts.gradient_accumulation_steps == args.gradient_accumulation_steps
    assert (facts.fp16, facts.bf16) == (args.fp16, args.bf16)
    assert facts.world_size == args.world_size
    assert facts.label_smoothing_factor == args.label_smoothing_factor
    assert facts.total_train_batch_size == args.train_batch_size * args.world_size * args.gradient_accumulation_steps


def test_training_args_from_trainer_run(trainer_classifier_run) -> None:
    path = trainer_classifier_run.out / "training_args.bin"
    facts = read_facts(trainer_classifier_run.out)
    assert [f for f in facts.findings if f.path == "training_args.bin"] == []
    _assert_args_equal(facts.training_args, real_training_args(path))
    assert facts.training_args.args_class == "transformers.training_args.TrainingArguments"


@pytest.mark.parametrize("family", ["trainer", "seq2seq", "sentence-transformers"])
def test_training_args_of_each_trainer_family(training_args_files, family: str) -> None:
    folder = training_args_files[family]
    args = real_training_args(folder / "training_args.bin")
    facts = read_facts(folder)
    assert facts.findings == []
    _assert_args_equal(facts.training_args, args)
    assert facts.training_args.args_class == f"{type(args).__module__}.{type(args).__qualname__}"
    # Every plain value the dataclass holds is there, enums as their values.
    expected = {k: v for k, v in args.to_dict().items() if v is None or isinstance(v, (str, int, float, bool))}
    assert {k: facts.training_args.values[k] for k in expected} == expected


def test_training_args_bin_as_lfs_pointer(tmp_path: Path) -> None:
    from artifact_helpers import lfs_pointer_text

    (tmp_path / "training_args.bin").write_text(lfs_pointer_text(5432))
    facts = read_facts(tmp_path)
    assert [f.code for f in facts.findings] == ["CG308"]
    assert facts.training_args is None


# -- hand-made JSON problems --------------------------------------------------------------------

JSON_FILES = ["config.json", "generation_config.json", "tokenizer_config.json", "trainer_state.json",
              "all_results.json", "eval_results.json", "adapter_config.json", "config_sentence_transformers.json"]
BAD_JSON = {
    "not JSON": b"{'single': quotes}",
    "not an object": b"[1, 2, 3]",
    "a string": b'"hello"',
    "not UTF-8": b'{"a": "\xff\xfe"}',
    "nested too deeply": b'{"a": ' + b"[" * 200_000 + b"]" * 200_000 + b"}",
    "truncated": b'{"model_type": "bert", "hidden',
}


@pytest.mark.parametrize("name", JSON_FILES)
@pytest.mark.parametrize("content", BAD_JSON.values(), ids=BAD_JSON.keys())
def test_bad_json_gives_cg301(tmp_path: Path, name: str, content: bytes) -> None:
    (tmp_path / name).write_bytes(content)
    facts = read_facts(tmp_path)
    assert [(f.code, f.path) for f in facts.findings] == [("CG301", name)]


def test_json_error_has_its_line(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{\n  "a": 1,\n  "b": oops\n}')
    finding = read_facts(tmp_path).findings[0]
    assert (finding.line, finding.column) == (3, 8)


def test_oversized_json_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "trainer_state.json").write_text(json.dumps({"log_history": [{"loss": 1.0}] * 1000}))
    facts = read_facts(tmp_path, limits=Limits(max_json_bytes=1000))
    assert [f.code for f in facts.findings] == ["CG311"]
    assert facts.training_state is None


def test_wrong_types_are_reported_and_skipped(tmp_path: Path) -> None:
    config = {"model_type": "bert", "hidden_size": "16", "num_hidden_layers": True, "vocab_size": 30}
    (tmp_path / "config.json").write_text(json.dumps(config))
    facts = read_facts(tmp_path)
    assert facts.config.hidden_size is None and facts.config.num_layers is None
    assert facts.config.vocab_size == 30
    assert sorted(f.code for f in facts.findings) == ["CG312", "CG312"]


@pytest.mark.parametrize("key", ["max_position_embeddings", "n_positions", "n_ctx", "max_seq_len", "seq_length"])
def test_context_length_synonyms(tmp_path: Path, key: str) -> None:
    (tmp_path / "config.json").write_text(json.dumps({key: 4096}))
    config = read_facts(tmp_path).config
    assert (config.context_length, config.context_length_key) == (4096, key)


def test_multimodal_text_config(tmp_path: Path) -> None:
    config = {"model_type": "gemma3", "text_config": {"hidden_size": 64, "num_hidden_layers": 3, "max_position_embeddings": 128}}
    (tmp_path / "config.json").write_text(json.dumps(config))
    facts = read_facts(tmp_path).config
    assert facts.hidden_size is None
    assert (facts.text_config.hidden_size, facts.text_config.num_layers, facts.text_config.context_length) == (64, 3, 128)


@pytest.mark.parametrize("template_file", ["chat_template.jinja", "chat_template.json"])
def test_chat_template_in_its_own_file(tmp_path: Path, template_file: str) -> None:
    (tmp_path / "tokenizer_config.json").write_text('{"model_max_length": 1000000000000000019884624838656}')
    (tmp_path / template_file).write_text("{% for m in messages %}{{ m.content }}{% endfor %}")
    tokenizer = read_facts(tmp_path).tokenizer
    assert tokenizer.has_chat_template and tokenizer.chat_template_source == template_file
    assert tokenizer.model_max_length is None  # transformers' "no limit"
