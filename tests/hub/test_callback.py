"""CardGuardCallback (cardguard/integrations/transformers.py) on a real Trainer pushing to the fake Hub.

The tests train a tiny BERT classifier (one, a sentence-transformers model) offline
(tests/generators.py) with ``push_to_hub=True`` and ``hub_model_id`` on a FakeHub, in a child
process (tests/hub/client.py says why a child), with the callback attached as
docs/hub.md ("In a training script") tells a user to. The tests look at what the
child raised or warned, and at what the server received: no commit when the card fails.

``DRAFTING`` is the configuration docs/hub.md ("In a training script") suggests while the card is a draft: it
ignores the "More information needed" sections and the proofreading note Trainer always
writes, so what decides pass or fail below is the licence given to ``push_to_hub``.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hub.client import run_client
from hub.server import FakeHub

slow = pytest.mark.slow  # the test trains a (tiny) model with torch, in its child

REPO = "org/tiny-classifier"
DRAFTING = 'ignore = ["CG203", "CG204"]\n'
GOOD_LICENCE = "apache-2.0"
BAD_LICENCE = "apache2"  # not a Hub licence id: CG101
# A card the user wrote into the output folder before training (checkpoint pushes carry it).
USER_CARD = """---
license: {licence}
language: en
library_name: transformers
---

# Tiny classifier

A BERT-style classifier trained on twelve movie reviews, for tests.

## Limitations

It has seen twelve sentences.
"""


@pytest.fixture()
def hub() -> Iterator[FakeHub]:
    with FakeHub() as server:
        yield server


@pytest.fixture()
def drafting(tmp_path: Path) -> Path:
    config = tmp_path / "drafting.toml"  # outside the output folder: it is not uploaded
    config.write_text(DRAFTING, encoding="utf-8")
    return config


def run_trainer_child(hub: FakeHub, home: Path, snippet: str, libraries: tuple[str, ...] = ()) -> dict[str, Any]:
    """``run_client`` for a snippet that trains: where torch, transformers or ``libraries`` are
    not installed (the light test extra), the test fails here as an import would, and
    tests/conftest.py reports it as skipped, naming the library."""
    for library in ("torch", "transformers", *libraries):
        if importlib.util.find_spec(library) is None:
            raise ModuleNotFoundError(f"No module named {library!r}", name=library)
    return run_client(hub, home, snippet, timeout=300)


def train_and_push(hub: FakeHub, home: Path, out: Path, *, guard: str, push: str | None,
                   hub_strategy: str = "end", save_strategy: str = "no", evaluate: bool = False) -> dict[str, Any]:
    """Train in a child with ``guard`` (an expression making the callback) attached, then run
    ``push`` (None: training alone); the child's answer, its ``result`` holding the commit
    push_to_hub returned and the CardCheckWarning messages. ``evaluate``: evaluate accuracy and
    F1 on the (in-memory) reviews after training, so Trainer's card has model-index results."""
    evaluation = "eval_dataset=reviews, compute_metrics=generators._classifier_metrics," if evaluate else ""
    return run_trainer_child(hub, home, f"""
        import warnings
        from pathlib import Path
        import generators
        from transformers import BertForSequenceClassification, Trainer, TrainingArguments
        from cardguard.integrations.transformers import CardCheckWarning, CardGuardCallback

        tokenizer = generators.tiny_bert_tokenizer()
        model = BertForSequenceClassification(generators.tiny_bert_config(len(tokenizer), generators.CLASSIFIER_LABELS))
        args = TrainingArguments(
            output_dir={str(out)!r}, num_train_epochs=1, per_device_train_batch_size=4, learning_rate=5e-3,
            eval_strategy="no", save_strategy={save_strategy!r}, logging_steps=1, report_to=[], use_cpu=True,
            disable_tqdm=True, seed=0, push_to_hub=True, hub_model_id={REPO!r}, hub_strategy={hub_strategy!r})
        reviews = generators._review_dataset(tokenizer)
        trainer = Trainer(model=model, args=args, train_dataset=reviews, {evaluation} processing_class=tokenizer)
        {guard}.attach(trainer)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            trainer.train()
            if {evaluate!r}:
                trainer.evaluate()
            commit = {push or "None"}
        result = {{"commit": commit and commit.oid,
                   "warnings": [str(w.message) for w in caught if issubclass(w.category, CardCheckWarning)]}}
    """)


def final_push(licence: str, dataset: str | None = None) -> str:
    return f"trainer.push_to_hub(license={licence!r}, language='en', dataset_tags={dataset!r})"


def commits_received(hub: FakeHub) -> list[str]:
    return [record.path for record in hub.requests_to("/commit/", method="POST")]


@slow
@pytest.mark.parametrize(("licence", "fail_on", "code"), [
    (BAD_LICENCE, None, "CG101"),  # an error: fails at the default fail-on
    (GOOD_LICENCE, "warning", "CG111"),  # a warning (no evaluation ran): fails at fail_on="warning"
])
def test_a_failing_card_stops_push_to_hub_and_the_hub_gets_no_commit(
        hub: FakeHub, home: Path, tmp_path: Path, drafting: Path, licence: str, fail_on: str | None,
        code: str) -> None:
    out = tmp_path / "out"
    answer = train_and_push(hub, home, out, push=final_push(licence),
                            guard=f"CardGuardCallback(config={str(drafting)!r}, sync=True, fail_on={fail_on!r})")
    error = answer["error"]
    assert error is not None and error["type"] == "CardCheckFailed", answer
    assert code in error["message"] and "in push_to_hub" in error["traceback"]
    assert f"license: {licence}" in (out / "README.md").read_text(encoding="utf-8")  # Trainer did write it
    assert commits_received(hub) == [] and hub.requests_to("/preupload/") == []
    assert "README.md" not in hub.files(REPO)  # the repo stays as create_repo left it


@slow
def test_a_passing_card_is_pushed_with_the_checkpoint(hub: FakeHub, home: Path, tmp_path: Path,
                                                      drafting: Path) -> None:
    out = tmp_path / "out"
    answer = train_and_push(hub, home, out, push=final_push(GOOD_LICENCE),
                            guard=f"CardGuardCallback(config={str(drafting)!r}, sync=True)")
    assert answer["error"] is None, answer["error"]["traceback"]
    assert answer["result"]["commit"] == hub.sha(REPO) and answer["result"]["warnings"] == []
    assert len(commits_received(hub)) == 1
    pushed = hub.files(REPO)
    assert pushed["README.md"] == (out / "README.md").read_bytes()
    assert b"pipeline_tag: text-classification" in pushed["README.md"]  # sync=True added the managed key
    assert {"config.json", "model.safetensors"} <= set(pushed)


@slow
def test_warn_mode_warns_and_the_push_lands(hub: FakeHub, home: Path, tmp_path: Path, drafting: Path) -> None:
    out = tmp_path / "out"
    answer = train_and_push(hub, home, out, push=final_push(BAD_LICENCE),
                            guard=f"CardGuardCallback(config={str(drafting)!r}, sync=True, on_failure='warn')")
    assert answer["error"] is None, answer["error"]["traceback"]
    [warning] = answer["result"]["warnings"]
    assert "pushed anyway" in warning and "CG101" in warning
    assert len(commits_received(hub)) == 1
    assert f"license: {BAD_LICENCE}".encode() in hub.files(REPO)["README.md"]


@slow
def test_by_default_the_card_trainer_writes_is_refused_for_its_placeholders(
        hub: FakeHub, home: Path, tmp_path: Path) -> None:
    """No configuration: Trainer's "More information needed" sections are errors (CG203)."""
    answer = train_and_push(hub, home, tmp_path / "out", push=final_push(GOOD_LICENCE), guard="CardGuardCallback()")
    error = answer["error"]
    assert error is not None and error["type"] == "CardCheckFailed", answer
    assert "CG203" in error["message"] and "More information needed" in error["message"]
    assert commits_received(hub) == []


@slow
@pytest.mark.parametrize("fix", [False, True])
def test_fix_removes_the_null_the_hub_refuses_from_an_evaluated_trainer_card(
        hub: FakeHub, home: Path, tmp_path: Path, drafting: Path, fix: bool) -> None:
    """Evaluated on a dataset built in memory, Trainer writes `config: null` (the Hub refuses the
    push, CG110) and `split: None` (CG119) into model-index, at every push: ``fix=True`` removes
    both before the check, and the push lands with the card fixed."""
    out = tmp_path / "out"
    answer = train_and_push(hub, home, out, push=final_push(GOOD_LICENCE, dataset="imdb"), evaluate=True,
                            guard=f"CardGuardCallback(config={str(drafting)!r}, sync=True, fix={fix!r})")
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "      type: accuracy\n" in card  # Trainer wrote the evaluation's results
    if not fix:
        error = answer["error"]
        assert error is not None and error["type"] == "CardCheckFailed", answer
        assert "CG110" in error["message"] and "config" in error["message"]
        assert "fixable with `CardGuardCallback(fix=True)`" in error["message"]  # the callback's own switch
        assert "      config: null\n      split: None\n" in card
        assert commits_received(hub) == []
        return
    assert answer["error"] is None, answer["error"]["traceback"]
    assert "config: null" not in card and "split: None" not in card
    assert len(commits_received(hub)) == 1
    assert hub.files(REPO)["README.md"] == card.encode()


@slow
def test_every_save_checkpoint_push_with_a_failing_card_stops_training(hub: FakeHub, home: Path,
                                                                       tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "README.md").write_text(USER_CARD.format(licence=BAD_LICENCE), encoding="utf-8")
    answer = train_and_push(hub, home, out, push=None, hub_strategy="every_save", save_strategy="epoch",
                            guard="CardGuardCallback(profile='minimal')")
    error = answer["error"]
    assert error is not None and error["type"] == "CardCheckFailed", answer
    assert "CG101" in error["message"] and "CG201" not in error["message"]  # the profile was passed through
    assert "in _push_from_checkpoint" in error["traceback"]  # stopped at the first checkpoint push
    assert commits_received(hub) == []


@slow
def test_every_save_checkpoint_push_with_a_passing_card_lands_and_the_final_push_is_checked_again(
        hub: FakeHub, home: Path, tmp_path: Path) -> None:
    """The checkpoint push carries the user's card; push_to_hub then writes Trainer's own card
    (placeholders and all) over it, and that card is checked before its upload."""
    out = tmp_path / "out"
    out.mkdir()
    card = USER_CARD.format(licence=GOOD_LICENCE)
    (out / "README.md").write_text(card, encoding="utf-8")
    answer = train_and_push(hub, home, out, push=final_push(GOOD_LICENCE), hub_strategy="every_save",
                            save_strategy="epoch", guard="CardGuardCallback(profile='minimal')")
    error = answer["error"]
    assert error is not None and error["type"] == "CardCheckFailed", answer
    assert "in push_to_hub" in error["traceback"] and "CG203" in error["message"]
    assert len(commits_received(hub)) == 1  # the checkpoint push; train() waited for it
    assert hub.files(REPO)["README.md"] == card.encode()
    assert "More information needed" in (out / "README.md").read_text(encoding="utf-8")


@slow
@pytest.mark.parametrize(("licence", "refused"), [(BAD_LICENCE, True), (GOOD_LICENCE, False)])
def test_sentence_transformers_trainer_is_guarded_through_its_own_create_model_card(
        hub: FakeHub, home: Path, tmp_path: Path, licence: str, refused: bool) -> None:
    """SentenceTransformerTrainer keeps Trainer's push_to_hub and overrides create_model_card;
    its card (complete as the library writes it) passes with no configuration at all."""
    out = tmp_path / "out"
    answer = run_trainer_child(hub, home, f"""
        import datasets
        import generators
        from sentence_transformers import (SentenceTransformer, SentenceTransformerModelCardData,
                                           SentenceTransformerTrainer, SentenceTransformerTrainingArguments)
        from sentence_transformers.sentence_transformer import modules
        from sentence_transformers.sentence_transformer.losses import CosineSimilarityLoss
        from cardguard.integrations.transformers import CardGuardCallback

        generators._save_tiny_bert({str(tmp_path / 'base')!r})
        transformer = modules.Transformer({str(tmp_path / 'base')!r}, max_seq_length=16)
        model = SentenceTransformer(
            modules=[transformer, modules.Pooling(transformer.get_embedding_dimension(), "mean")],
            model_card_data=SentenceTransformerModelCardData(language="en", generate_widget_examples=False,
                                                             local_files_only=True))
        first, second, score = zip(*generators.SIMILARITY_PAIRS)
        pairs = datasets.Dataset.from_dict({{"sentence1": first, "sentence2": second, "score": score}})
        args = SentenceTransformerTrainingArguments(
            output_dir={str(out)!r}, num_train_epochs=1, save_strategy="no", report_to=[], use_cpu=True,
            disable_tqdm=True, push_to_hub=True, hub_model_id={REPO!r})
        trainer = SentenceTransformerTrainer(model=model, args=args, train_dataset=pairs,
                                             loss=CosineSimilarityLoss(model))
        CardGuardCallback().attach(trainer)
        trainer.train()
        result = trainer.push_to_hub(license={licence!r}).oid
    """, libraries=("sentence_transformers",))
    if refused:
        assert answer["error"] is not None and answer["error"]["type"] == "CardCheckFailed", answer
        assert "CG101" in answer["error"]["message"]
        assert commits_received(hub) == []
    else:
        assert answer["error"] is None, answer["error"]["traceback"]
        assert answer["result"] == hub.sha(REPO)
        assert hub.files(REPO)["README.md"] == (out / "README.md").read_bytes()


@slow
def test_a_callback_not_attached_refuses_to_train(hub: FakeHub, home: Path, tmp_path: Path) -> None:
    answer = run_trainer_child(hub, home, f"""
        import generators
        from transformers import BertForSequenceClassification, Trainer, TrainingArguments
        from cardguard.integrations.transformers import CardGuardCallback

        tokenizer = generators.tiny_bert_tokenizer()
        model = BertForSequenceClassification(generators.tiny_bert_config(len(tokenizer), generators.CLASSIFIER_LABELS))
        args = TrainingArguments(output_dir={str(tmp_path / 'out')!r}, report_to=[], use_cpu=True,
                                 push_to_hub=True, hub_model_id={REPO!r})
        trainer = Trainer(model=model, args=args, train_dataset=generators._review_dataset(tokenizer),
                          callbacks=[CardGuardCallback()])
        trainer.train()
    """)
    assert answer["error"] is not None and answer["error"]["type"] == "UsageError", answer
    assert "attach(trainer)" in answer["error"]["message"]
    assert commits_received(hub) == []


@slow
def test_attach_wraps_one_instance_and_a_card_written_outside_a_push_is_not_checked(
        hub: FakeHub, home: Path, tmp_path: Path) -> None:
    answer = run_trainer_child(hub, home, f"""
        import generators
        from transformers import BertForSequenceClassification, Trainer, TrainingArguments
        from cardguard.integrations.transformers import CardGuardCallback

        def trainer_in(folder):
            tokenizer = generators.tiny_bert_tokenizer()
            model = BertForSequenceClassification(generators.tiny_bert_config(len(tokenizer), generators.CLASSIFIER_LABELS))
            return Trainer(model=model, args=TrainingArguments(output_dir=folder, report_to=[], use_cpu=True),
                           processing_class=tokenizer)

        guarded, other = trainer_in({str(tmp_path / 'guarded')!r}), trainer_in({str(tmp_path / 'other')!r})
        class_method = Trainer.create_model_card
        CardGuardCallback().attach(guarded)
        guarded.create_model_card()  # Trainer's draft, placeholders and all: no push, no check
        result = {{"class_untouched": Trainer.create_model_card is class_method,
                   "wrapped": [("create_model_card" in vars(trainer)) for trainer in (guarded, other)],
                   "callbacks": [type(callback).__name__ for callback in guarded.callback_handler.callbacks]}}
    """)
    assert answer["error"] is None, answer["error"]["traceback"]
    assert answer["result"]["class_untouched"] and answer["result"]["wrapped"] == [True, False]
    assert answer["result"]["callbacks"].count("CardGuardCallback") == 1
    assert "More information needed" in (tmp_path / "guarded" / "README.md").read_text(encoding="utf-8")
    assert hub.requests == []  # push_to_hub=False: the Hub was never asked anything


def test_importing_cardguard_and_its_integrations_does_not_import_transformers() -> None:
    probe = ("import sys, cardguard, cardguard.integrations, cardguard.api\n"
             "print(sorted(name for name in ('transformers', 'torch') if name in sys.modules))\n")
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert completed.stdout.strip() == "[]"
