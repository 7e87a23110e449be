"""sentence-transformers "Full Model Architecture": rendered from the modules' saved configs as
ST prints ``str(model)``; 5.x and 6.x spellings of the same model are not drift."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cardguard.artifacts import read_facts
from cardguard.card.reader import parse_card
from cardguard.expect.generated import REGIONS, model_traits
from cardguard.expect.render import find_template, render
from cardguard.expect.expected import ExpectOptions
from cardguard.expect.facts_compare import same_facts
from tests.sync.helpers import plan_card

SPEC = REGIONS["st-architecture"]

V5_BLOCK = """```
SentenceTransformer(
  (0): Transformer({'max_seq_length': 16, 'do_lower_case': False, 'architecture': 'BertModel'})
  (1): Pooling({'word_embedding_dimension': 32, 'pooling_mode_cls_token': False, 'pooling_mode_mean_tokens': True, 'pooling_mode_max_tokens': False, 'pooling_mode_mean_sqrt_len_tokens': False, 'pooling_mode_weightedmean_tokens': False, 'pooling_mode_lasttoken': False, 'include_prompt': True})
  (2): Normalize()
)
```
"""
V6_BLOCK = """```
SentenceTransformer(
  (0): Transformer({'transformer_task': 'feature-extraction', 'modality_config': {'text': {'method': 'forward', 'method_output_name': 'last_hidden_state'}}, 'module_output_name': 'token_embeddings', 'architecture': 'BertModel'})
  (1): Pooling({'embedding_dimension': 32, 'pooling_mode': 'mean', 'include_prompt': True})
  (2): Normalize({'module_input_name': 'sentence_embedding', 'module_output_name': 'sentence_embedding'})
)
```
"""


def _rendered(folder: Path) -> str | None:
    facts = read_facts(folder)
    context = SPEC.build(facts, {}, None, model_traits(facts))
    return None if context is None else render(find_template(SPEC.name), context)


def _write(folder: Path, relative: str, value: object) -> None:
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2), encoding="utf-8")


@pytest.fixture()
def v5_folder(tmp_path: Path) -> Path:
    """The files sentence-transformers 5.x saves for Transformer + mean Pooling + Normalize."""
    _write(tmp_path, "config.json", {"architectures": ["BertModel"], "model_type": "bert"})
    _write(tmp_path, "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ])
    _write(tmp_path, "sentence_bert_config.json", {"max_seq_length": 16, "do_lower_case": False})
    _write(tmp_path, "1_Pooling/config.json", {
        "word_embedding_dimension": 32, "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False,
        "pooling_mode_weightedmean_tokens": False, "pooling_mode_lasttoken": False, "include_prompt": True})
    (tmp_path / "2_Normalize").mkdir()
    return tmp_path


def test_real_6x_block_byte_for_byte(sentence_transformer_run) -> None:
    run = sentence_transformer_run
    rendered = _rendered(run.out)
    assert rendered == f"```\n{run.model_repr}\n```\n"
    card = (run.out / "README.md").read_text(encoding="utf-8")
    assert rendered in card


def test_5x_layout_renders_as_5x_prints_it(v5_folder: Path) -> None:
    assert _rendered(v5_folder) == V5_BLOCK


@pytest.mark.parametrize(("old", "new"), [(V5_BLOCK, V6_BLOCK), (V6_BLOCK, V5_BLOCK)])
def test_st_version_spelling_is_not_drift(old: str, new: str) -> None:
    assert same_facts(old, new, SPEC)


@pytest.mark.parametrize(("before", "after"), [
    ("'pooling_mode': 'mean'", "'pooling_mode': 'cls'"),
    ("'embedding_dimension': 32", "'embedding_dimension': 64"),
    ("'architecture': 'BertModel'", "'architecture': 'RobertaModel'"),
    ("  (2): Normalize({'module_input_name': 'sentence_embedding', 'module_output_name': 'sentence_embedding'})\n", ""),
])
def test_a_changed_module_is_drift(before: str, after: str) -> None:
    assert before in V6_BLOCK
    assert not same_facts(V6_BLOCK, V6_BLOCK.replace(before, after), SPEC)


def test_missing_module_config_is_unavailable(v5_folder: Path) -> None:
    (v5_folder / "1_Pooling" / "config.json").unlink()
    assert _rendered(v5_folder) is None


def test_changed_pooling_is_detected_and_synced(sentence_transformer_run, copy_output) -> None:
    run = copy_output(sentence_transformer_run)
    card = parse_card(run.readme.read_text(encoding="utf-8"), "README.md")
    adopted = plan_card(card, read_facts(run.out), ExpectOptions(add_missing=True)).new_text
    pooling = run.out / "1_Pooling" / "config.json"
    pooling.write_text(pooling.read_text(encoding="utf-8").replace('"mean"', '"cls"'), encoding="utf-8")
    plan = plan_card(parse_card(adopted, "README.md"), read_facts(run.out))
    assert [change.name for change in plan.region_changes] == ["st-architecture"]
    assert "'pooling_mode': 'cls'" in plan.new_text
