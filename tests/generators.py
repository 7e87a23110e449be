"""Real outputs of the real libraries, made offline, for tests to read.

Each public function takes an output folder, runs transformers' Trainer,
sentence-transformers, PEFT or huggingface_hub the way a user would, and returns a
small frozen dataclass with what it produced: file names (relative to ``out``, so a
copied folder is described by ``dataclasses.replace(result, out=new)``) and the
library's own numbers (``num_parameters()``, TrainingArguments, final metrics,
id2label, evaluator results, library versions). Tests compare cardguard's readings
with these.

Rules kept here: no network and no Hub look-up (the offline variables below are set
before any Hugging Face import; tokenizers are built from word lists in this file;
models are randomly initialised from tiny configs), fixed seeds, about a second each
on two CPU cores. torch, transformers and friends are imported inside the functions so
that importing this module stays cheap for tests that need none of them.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import platform
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml

if TYPE_CHECKING:
    import datasets
    import numpy as np
    import transformers

OFFLINE_ENV: dict[str, str] = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "WANDB_DISABLED": "true",
    "WANDB_MODE": "disabled",
    "TOKENIZERS_PARALLELISM": "false",
}


def set_offline_env() -> None:
    """Force every Hugging Face library into offline mode (call before importing them)."""
    os.environ.update(OFFLINE_ENV)


set_offline_env()


# --------------------------------------------------------------------------------------
# Model builds only in tests marked slow (the guard is switched per test by tests/conftest.py)
# --------------------------------------------------------------------------------------

# The session fixtures (tests/conftest.py, tests/compat/conftest.py) whose value is a model a
# generator below builds; a test using one is marked slow. A test may name one indirectly
# (the compatibility matrix's Output.fixture), so it marks itself through ``MODEL_FIXTURES``.
MODEL_FIXTURES = frozenset({
    "trainer_classifier_run", "continued_classifier_run", "trainer_causal_lm_run", "sentence_transformer_run",
    "peft_lora_run", "peft_lora_local_base_run", "sharded_checkpoint_output", "pytorch_bin_output",
    "retrained_causal_lm_run", "retrained_peft_lora_run", "retrained_peft_lora_local_base_run",
})


class ModelBuildRefused(RuntimeError):
    """A test not marked slow reached a generator that builds a model."""


# The test now running when it is not marked slow (its node id), else None.
model_builds_refused_for: str | None = None


Built = TypeVar("Built")


def builds_model(generator: Callable[..., Built]) -> Callable[..., Built]:
    """Mark ``generator`` as one that builds a model: it refuses to run for a test not marked
    slow, so ``pytest -m "not slow"`` provably builds none."""

    @functools.wraps(generator)
    def guarded(*args: Any, **kwargs: Any) -> Built:
        if model_builds_refused_for is not None:
            raise ModelBuildRefused(
                f"{model_builds_refused_for} builds a model ({generator.__name__}) but is not marked slow: "
                "use a fixture from generators.MODEL_FIXTURES, or mark the test slow"
            )
        return generator(*args, **kwargs)

    return guarded


# --------------------------------------------------------------------------------------
# Network guard (installed for the whole session by tests/conftest.py; see network_guard.py)
# --------------------------------------------------------------------------------------

from network_guard import (  # noqa: F401  (re-exported: conftest and tests use generators.*)
    BLOCKED_NETWORK_ATTEMPTS,
    LOCAL_HOST_NAMES,
    NetworkAccessForbidden,
    install_network_guard,
    is_local_address,
    is_local_host,
)

SEED = 0
BASE_SUFFIX = "-base"

# Hub-style ids written into cards; no such repos are ever contacted.
CLASSIFIER_BASE_ID = "org/tiny-bert"
CAUSAL_LM_BASE_ID = "org/tiny-gpt2"

# --------------------------------------------------------------------------------------
# Result types
# --------------------------------------------------------------------------------------

R = TypeVar("R", bound="GeneratedOutput")


@dataclass(frozen=True)
class LibraryVersions:
    """Installed versions, spelled as the libraries print them in their cards."""

    python: str
    torch: str
    transformers: str
    tokenizers: str
    datasets: str
    accelerate: str
    huggingface_hub: str
    safetensors: str
    peft: str
    sentence_transformers: str


@dataclass(frozen=True)
class GeneratedOutput:
    """A folder a library wrote, and every file in it (posix paths relative to ``out``)."""

    out: Path
    files: tuple[str, ...]

    @property
    def readme(self) -> Path:
        return self.out / "README.md"

    def path(self, relative: str) -> Path:
        return self.out / relative


@dataclass(frozen=True)
class TrainerRun(GeneratedOutput):
    """transformers ``Trainer`` run: save_model + save_metrics + save_state + create_model_card."""

    model_class: str
    model_name: str
    finetuned_from: str
    dataset_tags: tuple[str, ...]
    num_parameters: int
    training_args: dict[str, Any]
    train_metrics: dict[str, Any]
    eval_metrics: dict[str, Any]
    log_history: tuple[dict[str, Any], ...]
    global_step: int
    num_train_epochs: float
    checkpoints: tuple[str, ...]
    id2label: dict[int, str]
    versions: LibraryVersions


@dataclass(frozen=True)
class SentenceTransformerRun(GeneratedOutput):
    """SentenceTransformerTrainer run followed by ``model.save_pretrained(out)``."""

    base_dir: Path
    model_name: str
    modules: tuple[str, ...]
    embedding_dimension: int
    max_seq_length: int
    similarity_fn_name: str
    num_parameters: int
    loss_name: str
    evaluator_name: str
    evaluator_results: dict[str, float]
    train_dataset_size: int
    training_args: dict[str, Any]
    log_history: tuple[dict[str, Any], ...]
    model_repr: str
    versions: LibraryVersions


@dataclass(frozen=True)
class PeftRun(GeneratedOutput):
    """LoRA adapter trained with Trainer, saved by PEFT, then carded by Trainer + PEFT."""

    base_dir: Path
    base_model_id: str | None
    base_name_or_path: str
    card_base_model: str | None
    card_tags: tuple[str, ...]
    peft_only_card: str
    peft_type: str
    task_type: str
    lora_r: int
    lora_alpha: int
    target_modules: tuple[str, ...]
    trainable_parameters: int
    all_parameters: int
    adapter_tensor_names: tuple[str, ...]
    train_metrics: dict[str, Any]
    eval_metrics: dict[str, Any]
    versions: LibraryVersions


@dataclass(frozen=True)
class WeightsCheckpoint(GeneratedOutput):
    """``save_pretrained`` (or ``torch.save``) of a tiny GPT-2 without any card."""

    weight_files: tuple[str, ...]
    index_file: str | None
    max_shard_size: str | None
    num_parameters: int
    tensor_shapes: dict[str, tuple[int, ...]]
    dtype: str
    versions: LibraryVersions


@dataclass(frozen=True)
class HubTemplateCard(GeneratedOutput):
    """``ModelCard.from_template(ModelCardData(...))`` with the default template."""

    card_data: dict[str, Any]
    template_variables: tuple[str, ...]
    filled_variables: dict[str, str]
    placeholder: str
    huggingface_hub_version: str


# --------------------------------------------------------------------------------------
# Helpers shared by the generators
# --------------------------------------------------------------------------------------


def library_versions() -> LibraryVersions:
    import torch

    def dist(name: str) -> str:
        return metadata.version(name)

    return LibraryVersions(
        python=platform.python_version(),
        torch=torch.__version__,
        transformers=dist("transformers"),
        tokenizers=dist("tokenizers"),
        datasets=dist("datasets"),
        accelerate=dist("accelerate"),
        huggingface_hub=dist("huggingface_hub"),
        safetensors=dist("safetensors"),
        peft=dist("peft"),
        sentence_transformers=dist("sentence-transformers"),
    )


def list_files(out: Path) -> tuple[str, ...]:
    return tuple(sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()))


def read_front_matter(readme: Path) -> dict[str, Any]:
    """The YAML block of a card, read with plain ``yaml.safe_load``."""
    text = readme.read_text(encoding="utf-8")
    _, block, _ = text.split("---\n", 2)
    data = yaml.safe_load(block)
    return data if isinstance(data, dict) else {}


def copy_output(result: R, dest_root: Path) -> R:
    """Copy ``result.out`` under ``dest_root`` and return the result pointing at the copy."""
    target = dest_root / result.out.name
    shutil.copytree(result.out, target)
    return dataclasses.replace(result, out=target)


def _fresh_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _base_dir_for(out: Path) -> Path:
    """Inputs (a saved base model) go beside ``out``, never inside it."""
    return out.with_name(out.name + BASE_SUFFIX)


def _training_arguments(out: Path, epochs: float, **overrides: Any) -> transformers.TrainingArguments:
    from transformers import TrainingArguments

    values: dict[str, Any] = {
        "output_dir": str(out),
        "num_train_epochs": epochs,
        "per_device_train_batch_size": 4,
        "per_device_eval_batch_size": 4,
        "learning_rate": 5e-3,
        "eval_strategy": "epoch",
        "save_strategy": "epoch",
        "logging_steps": 1,
        "seed": SEED,
        "report_to": [],
        "use_cpu": True,
        "disable_tqdm": True,
        "dataloader_num_workers": 0,
    }
    values.update(overrides)
    return TrainingArguments(**values)


def _checkpoint_names(out: Path) -> tuple[str, ...]:
    found = [p for p in out.glob("checkpoint-*") if p.is_dir()]
    return tuple(p.name for p in sorted(found, key=lambda p: int(p.name.split("-")[1])))


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """JSON round trip: enums and paths as the files on disk spell them."""
    return json.loads(json.dumps(values, default=str))


# --------------------------------------------------------------------------------------
# Tiny tokenizers and models
# --------------------------------------------------------------------------------------

BERT_SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
REVIEW_WORDS = (
    "the a this movie film plot acting was is very not really good great fun loved "
    "bad awful boring hated okay fine average cat dog sits runs on mat"
).split()

GPT_SPECIAL_TOKENS = ["<pad>", "<unk>", "<eos>"]
STORY_WORDS = "the a cat dog sat ran on mat log and big small red blue".split()

CLASSIFIER_LABELS = {0: "negative", 1: "neutral", 2: "positive"}
REVIEWS: list[tuple[str, int]] = [
    ("the movie was very good", 2),
    ("a great film", 2),
    ("loved the plot", 2),
    ("really fun acting", 2),
    ("the movie was bad", 0),
    ("an awful film", 0),
    ("hated the plot", 0),
    ("really boring acting", 0),
    ("the movie was okay", 1),
    ("a fine film", 1),
    ("the plot was average", 1),
    ("okay acting", 1),
]
STORIES = [
    "the cat sat on the mat",
    "the dog ran on the log",
    "a big red cat sat",
    "a small blue dog ran",
    "the cat and the dog sat",
    "a red log and a blue mat",
]
SIMILARITY_PAIRS: list[tuple[str, str, float]] = [
    ("the cat sits", "a cat sits", 0.9),
    ("a dog runs", "the dog runs", 0.9),
    ("a good movie", "a great film", 0.8),
    ("a bad film", "an awful movie", 0.8),
    ("the plot was fun", "the plot was boring", 0.1),
    ("awful acting", "great acting", 0.0),
]


def tiny_bert_tokenizer() -> transformers.PreTrainedTokenizerBase:
    from transformers import BertTokenizerFast

    vocab = {word: index for index, word in enumerate(BERT_SPECIAL_TOKENS + REVIEW_WORDS)}
    # transformers 5.x: BertTokenizerFast is BertTokenizer and takes ``vocab`` (``vocab_file`` is ignored).
    return BertTokenizerFast(vocab=vocab)


def tiny_gpt_tokenizer() -> transformers.PreTrainedTokenizerBase:
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {word: index for index, word in enumerate(GPT_SPECIAL_TOKENS + STORY_WORDS)}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(
        tokenizer_object=backend, pad_token="<pad>", unk_token="<unk>", eos_token="<eos>"
    )


def tiny_bert_config(vocab_size: int, id2label: dict[int, str] | None = None) -> transformers.BertConfig:
    from transformers import BertConfig

    labels = id2label or {0: "LABEL_0", 1: "LABEL_1"}
    return BertConfig(
        vocab_size=vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=32,
        # Wide init and no dropout: the 12-example classifier learns within two epochs,
        # so metrics move between epochs and after continued training.
        initializer_range=0.2,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
        id2label=labels,
        label2id={name: index for index, name in labels.items()},
    )


def tiny_gpt2_config(vocab_size: int) -> transformers.GPT2Config:
    from transformers import GPT2Config

    return GPT2Config(
        vocab_size=vocab_size,
        n_embd=32,
        n_layer=2,
        n_head=2,
        n_positions=32,
        bos_token_id=2,
        eos_token_id=2,
        pad_token_id=0,
    )


def _seed() -> None:
    import transformers

    transformers.set_seed(SEED)


def _review_dataset(tokenizer: transformers.PreTrainedTokenizerBase) -> datasets.Dataset:
    import datasets

    raw = datasets.Dataset.from_dict(
        {"text": [text for text, _ in REVIEWS], "label": [label for _, label in REVIEWS]}
    )
    return raw.map(
        lambda batch: tokenizer(batch["text"], padding="max_length", max_length=12, truncation=True),
        batched=True,
    )


def _story_dataset(tokenizer: transformers.PreTrainedTokenizerBase) -> datasets.Dataset:
    import datasets

    raw = datasets.Dataset.from_dict({"text": STORIES})
    return raw.map(lambda batch: tokenizer(batch["text"]), batched=True, remove_columns=["text"])


def accuracy_and_macro_f1(predictions: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """The two metrics the classifier reports, computed with numpy only."""
    import numpy as np

    f1_scores = []
    for label in np.unique(np.concatenate([predictions, labels])):
        true_pos = int(((predictions == label) & (labels == label)).sum())
        false_pos = int(((predictions == label) & (labels != label)).sum())
        false_neg = int(((predictions != label) & (labels == label)).sum())
        denominator = 2 * true_pos + false_pos + false_neg
        f1_scores.append(2 * true_pos / denominator if denominator else 0.0)
    return {
        "accuracy": float((predictions == labels).mean()),
        "f1": float(np.mean(f1_scores)),
    }


def _classifier_metrics(prediction: transformers.EvalPrediction) -> dict[str, float]:
    return accuracy_and_macro_f1(prediction.predictions.argmax(-1), prediction.label_ids)


# --------------------------------------------------------------------------------------
# 1. Trainer: sequence classification (+ continued training for drift)
# --------------------------------------------------------------------------------------

CLASSIFIER_MODEL_NAME = "tiny-bert-imdb"
CLASSIFIER_DATASET = "imdb"


def _classifier_trainer(
    out: Path, model: transformers.PreTrainedModel, epochs: float
) -> transformers.Trainer:
    from transformers import Trainer

    tokenizer = tiny_bert_tokenizer()
    dataset = _review_dataset(tokenizer)
    return Trainer(
        model=model,
        args=_training_arguments(out, epochs, per_device_train_batch_size=2, learning_rate=3e-3),
        train_dataset=dataset,
        eval_dataset=dataset,
        processing_class=tokenizer,
        compute_metrics=_classifier_metrics,
    )


def _finish_trainer_run(
    trainer: transformers.Trainer,
    train_metrics: dict[str, Any],
    card: dict[str, Any],
) -> TrainerRun:
    """What users do after ``train()``: evaluate, save everything, write the card."""
    eval_metrics = trainer.evaluate()
    trainer.save_model()
    trainer.save_metrics("train", train_metrics)
    trainer.save_metrics("eval", eval_metrics)
    trainer.save_state()
    trainer.create_model_card(**card)
    out = Path(trainer.args.output_dir)
    model = trainer.model
    dataset_tags = card.get("dataset_tags") or ()
    return TrainerRun(
        out=out,
        files=list_files(out),
        model_class=type(model).__name__,
        model_name=card["model_name"],
        finetuned_from=card["finetuned_from"],
        dataset_tags=(dataset_tags,) if isinstance(dataset_tags, str) else tuple(dataset_tags),
        num_parameters=model.num_parameters(),
        training_args=_plain(trainer.args.to_dict()),
        train_metrics=dict(train_metrics),
        eval_metrics=dict(eval_metrics),
        log_history=tuple(dict(entry) for entry in trainer.state.log_history),
        global_step=trainer.state.global_step,
        num_train_epochs=float(trainer.args.num_train_epochs),
        checkpoints=_checkpoint_names(out),
        id2label=dict(getattr(model.config, "id2label", None) or {}),
        versions=library_versions(),
    )


def _classifier_card() -> dict[str, Any]:
    return {
        "model_name": CLASSIFIER_MODEL_NAME,
        "finetuned_from": CLASSIFIER_BASE_ID,
        "dataset": CLASSIFIER_DATASET,
        "dataset_tags": CLASSIFIER_DATASET,
        "tasks": "text-classification",
        "language": "en",
        "license": "apache-2.0",
    }


@builds_model
def trainer_classifier(out: Path, epochs: int = 2) -> TrainerRun:
    """Fine-tune a tiny BertForSequenceClassification with Trainer; write the Trainer card."""
    from transformers import BertForSequenceClassification

    _fresh_dir(out)
    _seed()
    tokenizer = tiny_bert_tokenizer()
    model = BertForSequenceClassification(tiny_bert_config(len(tokenizer), CLASSIFIER_LABELS))
    trainer = _classifier_trainer(out, model, epochs)
    train_output = trainer.train()
    return _finish_trainer_run(trainer, train_output.metrics, _classifier_card())


@builds_model
def continue_training(out: Path, extra_epochs: int = 1) -> TrainerRun:
    """Resume a ``trainer_classifier`` folder from its last checkpoint for more epochs.

    Rewrites trainer_state.json, *_results.json, the weights and README.md in place, the
    way a user retraining into the same output_dir would.
    """
    from transformers import BertForSequenceClassification

    state = json.loads((out / "trainer_state.json").read_text(encoding="utf-8"))
    last_checkpoint = out / _checkpoint_names(out)[-1]
    _seed()
    model = BertForSequenceClassification.from_pretrained(last_checkpoint)
    trainer = _classifier_trainer(out, model, state["num_train_epochs"] + extra_epochs)
    train_output = trainer.train(resume_from_checkpoint=str(last_checkpoint))
    return _finish_trainer_run(trainer, train_output.metrics, _classifier_card())


# --------------------------------------------------------------------------------------
# 2. Trainer: causal language model
# --------------------------------------------------------------------------------------

CAUSAL_LM_MODEL_NAME = "tiny-gpt2-wikitext"
CAUSAL_LM_DATASET = "wikitext"


@builds_model
def trainer_causal_lm(out: Path, epochs: int = 2) -> TrainerRun:
    """Train a tiny GPT2LMHeadModel with Trainer (no licence, no language given to the card)."""
    from transformers import DataCollatorForLanguageModeling, GPT2LMHeadModel, Trainer

    _fresh_dir(out)
    _seed()
    tokenizer = tiny_gpt_tokenizer()
    model = GPT2LMHeadModel(tiny_gpt2_config(len(tokenizer)))
    dataset = _story_dataset(tokenizer)
    trainer = Trainer(
        model=model,
        args=_training_arguments(out, epochs, per_device_train_batch_size=3, save_strategy="no"),
        train_dataset=dataset,
        eval_dataset=dataset,
        processing_class=tokenizer,
        data_collator=DataCollatorForLanguageModeling(tokenizer, mlm=False),
    )
    train_output = trainer.train()
    card = {
        "model_name": CAUSAL_LM_MODEL_NAME,
        "finetuned_from": CAUSAL_LM_BASE_ID,
        "dataset": CAUSAL_LM_DATASET,
        "dataset_tags": CAUSAL_LM_DATASET,
    }
    return _finish_trainer_run(trainer, train_output.metrics, card)


# --------------------------------------------------------------------------------------
# 3. sentence-transformers
# --------------------------------------------------------------------------------------

ST_MODEL_NAME = "tiny-sentence-bert"
ST_EVALUATOR_NAME = "sts-dev"
ST_MAX_SEQ_LENGTH = 16


def _save_tiny_bert(base_dir: Path) -> None:
    from transformers import BertModel

    tokenizer = tiny_bert_tokenizer()
    _seed()
    BertModel(tiny_bert_config(len(tokenizer))).save_pretrained(base_dir)
    tokenizer.save_pretrained(base_dir)


@builds_model
def sentence_transformer(out: Path) -> SentenceTransformerRun:
    """Train Transformer + Pooling + Normalize with CosineSimilarityLoss; ``save_pretrained``."""
    import datasets
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerModelCardData,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from sentence_transformers.sentence_transformer import modules
    from sentence_transformers.sentence_transformer.evaluation import EmbeddingSimilarityEvaluator
    from sentence_transformers.sentence_transformer.losses import CosineSimilarityLoss

    _fresh_dir(out)
    base_dir = _base_dir_for(out)
    _save_tiny_bert(base_dir)
    _seed()
    transformer = modules.Transformer(str(base_dir), max_seq_length=ST_MAX_SEQ_LENGTH)
    dimension = transformer.get_embedding_dimension()
    card_data = SentenceTransformerModelCardData(
        language="en",
        license="apache-2.0",
        model_name=ST_MODEL_NAME,
        generate_widget_examples=False,
        local_files_only=True,
    )
    model = SentenceTransformer(
        modules=[transformer, modules.Pooling(dimension, "mean"), modules.Normalize()],
        model_card_data=card_data,
    )
    pairs = datasets.Dataset.from_dict(
        {
            "sentence1": [first for first, _, _ in SIMILARITY_PAIRS],
            "sentence2": [second for _, second, _ in SIMILARITY_PAIRS],
            "score": [score for _, _, score in SIMILARITY_PAIRS],
        }
    )
    evaluator = EmbeddingSimilarityEvaluator(
        pairs["sentence1"], pairs["sentence2"], pairs["score"], name=ST_EVALUATOR_NAME
    )
    loss = CosineSimilarityLoss(model)
    args = SentenceTransformerTrainingArguments(
        output_dir=str(out.with_name(out.name + "-trainer")),
        num_train_epochs=2,
        per_device_train_batch_size=3,
        per_device_eval_batch_size=3,
        learning_rate=1e-3,
        eval_strategy="epoch",
        save_strategy="no",
        logging_steps=1,
        seed=SEED,
        report_to=[],
        use_cpu=True,
        disable_tqdm=True,
    )
    trainer = SentenceTransformerTrainer(
        model=model,
        args=args,
        train_dataset=pairs,
        eval_dataset=pairs,
        loss=loss,
        evaluator=evaluator,
    )
    trainer.train()
    # The usual closing step of ST training scripts; it lands in the card's logs as epoch -1.
    results = {name: float(value) for name, value in evaluator(model).items()}
    model.save_pretrained(str(out))
    config = json.loads((out / "config_sentence_transformers.json").read_text(encoding="utf-8"))
    return SentenceTransformerRun(
        out=out,
        files=list_files(out),
        base_dir=base_dir,
        model_name=ST_MODEL_NAME,
        modules=tuple(type(module).__name__ for module in model),
        embedding_dimension=model.get_embedding_dimension(),
        max_seq_length=model.max_seq_length,
        similarity_fn_name=config["similarity_fn_name"],
        num_parameters=sum(p.numel() for p in model.parameters()),
        loss_name=type(loss).__name__,
        evaluator_name=ST_EVALUATOR_NAME,
        evaluator_results=results,
        train_dataset_size=len(pairs),
        training_args=_plain(args.to_dict()),
        log_history=tuple(dict(entry) for entry in trainer.state.log_history),
        model_repr=str(model),
        versions=library_versions(),
    )


# --------------------------------------------------------------------------------------
# 4. PEFT LoRA
# --------------------------------------------------------------------------------------

PEFT_MODEL_NAME = "tiny-gpt2-lora"
PEFT_USER_TAG = "my-experiment"


def _save_tiny_gpt2(base_dir: Path) -> None:
    from transformers import GPT2LMHeadModel

    tokenizer = tiny_gpt_tokenizer()
    _seed()
    GPT2LMHeadModel(tiny_gpt2_config(len(tokenizer))).save_pretrained(base_dir)
    tokenizer.save_pretrained(base_dir)


@builds_model
def peft_lora(out: Path, base_model_id: str | None = CAUSAL_LM_BASE_ID, epochs: int = 2) -> PeftRun:
    """LoRA on a tiny GPT-2 saved locally, trained with Trainer, saved by PEFT, then carded.

    ``base_model_id`` is set as the base model's ``name_or_path`` as if it had been loaded
    from the Hub under that id; with ``None`` the local folder path stays, which is what
    PEFT then writes as ``base_model`` (peft#2124, transformers#33922).
    """
    import peft
    from transformers import DataCollatorForLanguageModeling, GPT2LMHeadModel, Trainer

    _fresh_dir(out)
    base_dir = _base_dir_for(out)
    _save_tiny_gpt2(base_dir)
    _seed()
    base = GPT2LMHeadModel.from_pretrained(base_dir)
    if base_model_id is not None:
        # What from_pretrained(base_model_id) would have set: PEFT reads the instance
        # attribute for adapter_config/tags and the config's for the card's base_model.
        base.name_or_path = base_model_id
        base.config._name_or_path = base_model_id
    lora = peft.LoraConfig(
        task_type="CAUSAL_LM", r=4, lora_alpha=8, lora_dropout=0.0, target_modules=["c_attn"]
    )
    model = peft.get_peft_model(base, lora)
    trainable, total = model.get_nb_trainable_parameters()
    tokenizer = tiny_gpt_tokenizer()
    dataset = _story_dataset(tokenizer)
    trainer = Trainer(
        model=model,
        args=_training_arguments(
            out, epochs, per_device_train_batch_size=3, learning_rate=1e-2, save_strategy="no"
        ),
        train_dataset=dataset,
        eval_dataset=dataset,
        processing_class=tokenizer,
        data_collator=DataCollatorForLanguageModeling(tokenizer, mlm=False),
    )
    train_metrics = trainer.train().metrics
    eval_metrics = trainer.evaluate()
    trainer.save_model()  # PeftModel.save_pretrained: adapter files + PEFT's own README.md
    peft_only_card = (out / "README.md").read_text(encoding="utf-8")
    trainer.save_metrics("train", train_metrics)
    trainer.save_metrics("eval", eval_metrics)
    trainer.save_state()
    trainer.create_model_card(
        model_name=PEFT_MODEL_NAME,
        finetuned_from=base_model_id or CAUSAL_LM_BASE_ID,
        dataset=CAUSAL_LM_DATASET,
        dataset_tags=CAUSAL_LM_DATASET,
        tags=[PEFT_USER_TAG],
    )
    return _peft_run(out, base_dir, base_model_id, model, peft_only_card, trainable, total,
                     train_metrics, eval_metrics)


def _peft_run(
    out: Path,
    base_dir: Path,
    base_model_id: str | None,
    model: Any,
    peft_only_card: str,
    trainable: int,
    total: int,
    train_metrics: dict[str, Any],
    eval_metrics: dict[str, Any],
) -> PeftRun:
    from safetensors import safe_open

    adapter_config = json.loads((out / "adapter_config.json").read_text(encoding="utf-8"))
    with safe_open(str(out / "adapter_model.safetensors"), framework="pt") as adapter:
        tensor_names = tuple(sorted(adapter.keys()))
    front_matter = read_front_matter(out / "README.md")
    return PeftRun(
        out=out,
        files=list_files(out),
        base_dir=base_dir,
        base_model_id=base_model_id,
        base_name_or_path=adapter_config["base_model_name_or_path"],
        card_base_model=front_matter.get("base_model"),
        card_tags=tuple(front_matter.get("tags") or ()),
        peft_only_card=peft_only_card,
        peft_type=adapter_config["peft_type"],
        task_type=adapter_config["task_type"],
        lora_r=adapter_config["r"],
        lora_alpha=adapter_config["lora_alpha"],
        target_modules=tuple(sorted(adapter_config["target_modules"])),
        trainable_parameters=trainable,
        all_parameters=total,
        adapter_tensor_names=tensor_names,
        train_metrics=dict(train_metrics),
        eval_metrics=dict(eval_metrics),
        versions=library_versions(),
    )


# --------------------------------------------------------------------------------------
# 5. Weights only: sharded safetensors and a pickled pytorch_model.bin
# --------------------------------------------------------------------------------------

SHARD_SIZE = "12KB"


def _tiny_gpt2_model() -> transformers.GPT2LMHeadModel:
    from transformers import GPT2LMHeadModel

    _seed()
    return GPT2LMHeadModel(tiny_gpt2_config(len(GPT_SPECIAL_TOKENS) + len(STORY_WORDS)))


def _weights_checkpoint(
    out: Path, model: transformers.PreTrainedModel, index_file: str | None, max_shard_size: str | None
) -> WeightsCheckpoint:
    files = list_files(out)
    weights = tuple(name for name in files if name.endswith((".safetensors", ".bin")))
    state = model.state_dict()
    return WeightsCheckpoint(
        out=out,
        files=files,
        weight_files=weights,
        index_file=index_file,
        max_shard_size=max_shard_size,
        num_parameters=model.num_parameters(),
        tensor_shapes={name: tuple(tensor.shape) for name, tensor in state.items()},
        dtype=str(model.dtype).removeprefix("torch."),
        versions=library_versions(),
    )


@builds_model
def sharded_checkpoint(out: Path, max_shard_size: str = SHARD_SIZE) -> WeightsCheckpoint:
    """``save_pretrained(max_shard_size=...)``: several safetensors shards and their index."""
    _fresh_dir(out)
    model = _tiny_gpt2_model()
    model.save_pretrained(out, max_shard_size=max_shard_size)
    return _weights_checkpoint(out, model, "model.safetensors.index.json", max_shard_size)


@builds_model
def pytorch_bin_checkpoint(out: Path) -> WeightsCheckpoint:
    """config.json + a ``torch.save``d ``pytorch_model.bin`` (transformers 5.x has no
    ``safe_serialization=False`` any more, so the old layout is made by hand)."""
    import torch

    _fresh_dir(out)
    model = _tiny_gpt2_model()
    model.config.save_pretrained(out)
    torch.save(model.state_dict(), out / "pytorch_model.bin")
    return _weights_checkpoint(out, model, None, None)


# --------------------------------------------------------------------------------------
# 6. huggingface_hub default template
# --------------------------------------------------------------------------------------

TEMPLATE_PLACEHOLDER = "[More Information Needed]"
TEMPLATE_CARD_DATA: dict[str, Any] = {
    "language": "en",
    "license": "mit",
    "library_name": "transformers",
    "tags": ["text-classification", "tiny"],
    "datasets": ["imdb"],
    "metrics": ["accuracy"],
    "base_model": CLASSIFIER_BASE_ID,
    "pipeline_tag": "text-classification",
}


def default_template_variables() -> tuple[str, ...]:
    """Every variable the default model-card template reads, besides ``card_data``."""
    import jinja2
    import jinja2.meta
    from huggingface_hub import repocard

    source = Path(repocard.TEMPLATE_MODELCARD_PATH).read_text(encoding="utf-8")
    names = jinja2.meta.find_undeclared_variables(jinja2.Environment().parse(source))
    return tuple(sorted(names - {"card_data"}))


def _template_card(out: Path, filled: dict[str, str]) -> HubTemplateCard:
    from huggingface_hub import ModelCard, ModelCardData

    _fresh_dir(out)
    card = ModelCard.from_template(ModelCardData(**TEMPLATE_CARD_DATA), **filled)
    card.save(out / "README.md")
    return HubTemplateCard(
        out=out,
        files=list_files(out),
        card_data=dict(TEMPLATE_CARD_DATA),
        template_variables=default_template_variables(),
        filled_variables=dict(filled),
        placeholder=TEMPLATE_PLACEHOLDER,
        huggingface_hub_version=metadata.version("huggingface_hub"),
    )


def hub_template_card(out: Path) -> HubTemplateCard:
    """The default template with only metadata given: placeholders left everywhere."""
    return _template_card(out, {})


TEMPLATE_MODEL_ID = "org/tiny-bert-imdb"


def filled_template_text(variable: str) -> str:
    return f"Real text for {variable.replace('_', ' ')}."


def hub_template_card_filled(out: Path) -> HubTemplateCard:
    """The default template with real text for every variable it reads.

    Variables that are also card-data keys (language, license, base_model) are already
    filled from the metadata, so only the others get text here.
    """
    filled = {
        name: TEMPLATE_MODEL_ID if name == "model_id" else filled_template_text(name)
        for name in default_template_variables()
        if name not in TEMPLATE_CARD_DATA
    }
    return _template_card(out, filled)


# --------------------------------------------------------------------------------------
# 7. A bigger model swapped into an existing output (the compatibility matrix's mutation)
# --------------------------------------------------------------------------------------

BIGGER_LAYERS = 4


@builds_model
def swap_in_bigger_model(out: Path) -> int:
    """Overwrite the weights in ``out`` with a bigger model of the same kind, card untouched.

    What a user retraining a bigger model into the same folder does: the classifier, causal
    LM or sentence-transformers backbone gets ``BIGGER_LAYERS`` layers (saved the way the
    folder was saved: one file, shards, or a pickled ``.bin``); a LoRA adapter gets twice
    its rank. Returns the library's own count of the new weights' parameters
    (``num_parameters()``, or the adapter's trainable parameters).
    """
    if (out / "adapter_config.json").is_file():
        return _swap_in_bigger_adapter(out)
    if (out / "modules.json").is_file():
        return _swap_in_bigger_bert(out)
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    if config["model_type"] == "bert":
        return _swap_in_bigger_classifier(out, config)
    return _swap_in_bigger_gpt2(out)


def _swap_in_bigger_bert(out: Path) -> int:
    from transformers import BertModel

    _seed()
    config = tiny_bert_config(len(tiny_bert_tokenizer()))
    config.num_hidden_layers = BIGGER_LAYERS
    model = BertModel(config)
    model.save_pretrained(out)
    return model.num_parameters()


def _swap_in_bigger_classifier(out: Path, saved: dict[str, Any]) -> int:
    from transformers import BertForSequenceClassification

    _seed()
    labels = {int(key): name for key, name in saved["id2label"].items()}
    config = tiny_bert_config(saved["vocab_size"], labels)
    config.num_hidden_layers = BIGGER_LAYERS
    model = BertForSequenceClassification(config)
    model.save_pretrained(out)
    return model.num_parameters()


def _swap_in_bigger_gpt2(out: Path) -> int:
    import torch
    from transformers import GPT2LMHeadModel

    _seed()
    config = tiny_gpt2_config(len(GPT_SPECIAL_TOKENS) + len(STORY_WORDS))
    config.n_layer = BIGGER_LAYERS
    model = GPT2LMHeadModel(config)
    if (out / "pytorch_model.bin").is_file():
        model.config.save_pretrained(out)
        torch.save(model.state_dict(), out / "pytorch_model.bin")
    elif (out / "model.safetensors.index.json").is_file():
        model.save_pretrained(out, max_shard_size=SHARD_SIZE)
    else:
        model.save_pretrained(out)
    return model.num_parameters()


def _swap_in_bigger_adapter(out: Path) -> int:
    import tempfile

    import peft

    saved = json.loads((out / "adapter_config.json").read_text(encoding="utf-8"))
    base = _tiny_gpt2_model()
    base.name_or_path = base.config._name_or_path = saved["base_model_name_or_path"]
    lora = peft.LoraConfig(
        task_type=saved["task_type"], r=2 * saved["r"], lora_alpha=saved["lora_alpha"],
        lora_dropout=saved["lora_dropout"], target_modules=list(saved["target_modules"]),
    )
    model = peft.get_peft_model(base, lora)
    trainable, _ = model.get_nb_trainable_parameters()
    with tempfile.TemporaryDirectory() as scratch:
        model.save_pretrained(scratch)  # PEFT writes its own README.md there too: not copied
        for name in ("adapter_config.json", "adapter_model.safetensors"):
            shutil.copy(Path(scratch) / name, out / name)
    return trainable
