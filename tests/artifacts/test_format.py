"""facts_to_dict and format_facts_text, and the `cardguard facts` command around them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from artifact_helpers import write_safetensors, tensor_entry

from cardguard.artifacts import facts_to_dict, format_facts_text, read_facts


def test_dict_is_json_and_carries_every_family(trainer_classifier_run) -> None:
    facts = read_facts(trainer_classifier_run.out)
    data = json.loads(json.dumps(facts_to_dict(facts)))
    assert data["weights"]["parameters"] == trainer_classifier_run.num_parameters
    assert data["weights"]["complete"] is True
    assert data["training_args"]["learning_rate"] == trainer_classifier_run.training_args["learning_rate"]
    assert data["training_args"]["total_train_batch_size"] == facts.training_args.total_train_batch_size
    assert data["config"]["model_type"] == facts.config.model_type
    assert len(data["training_state"]["eval_rows"]) == len(facts.training_state.eval_rows)
    assert data["files_read"] == facts.files_read


def test_text_shows_the_facts_and_the_findings(tmp_path: Path) -> None:
    write_safetensors(tmp_path / "model.safetensors", {"a": tensor_entry("BF16", [1000, 1234], 0)}, data_size=10)
    (tmp_path / "config.json").write_text('{"model_type": "llama", "max_position_embeddings": 4096}')
    text = format_facts_text(read_facts(tmp_path))
    assert "parameters: 1,234,000" in text
    assert "model_type: llama" in text
    assert "context_length: 4,096" in text
    assert "model.safetensors:1:1: CG304 error:" in text


def test_findings_in_dict_have_plain_severity(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("[]")
    data = facts_to_dict(read_facts(tmp_path))
    assert data["findings"] == [
        {"code": "CG301", "severity": "error", "path": "config.json", "line": 1, "column": 1,
         "message": "config.json holds a JSON array, not an object", "fix": None}
    ]


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cardguard", "facts", *args], capture_output=True, text=True)


def test_cli_exit_codes(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"model_type": "bert"}')
    clean = _cli(str(tmp_path), "--format", "json")
    assert clean.returncode == 0 and json.loads(clean.stdout)["config"]["model_type"] == "bert"
    (tmp_path / "model.safetensors").write_bytes(b"\x01")
    assert _cli(str(tmp_path)).returncode == 1
    missing = _cli(str(tmp_path / "nope"))
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1


def test_text_shortens_a_long_list_of_shards_and_json_keeps_it_whole(tmp_path: Path) -> None:
    import torch
    from safetensors.torch import save_file

    weight_map = {}
    for number in range(1, 10):
        name = f"model-{number:05d}-of-00009.safetensors"
        save_file({f"layer{number}.weight": torch.zeros(2)}, str(tmp_path / name))
        weight_map[f"layer{number}.weight"] = name
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps({"weight_map": weight_map}))
    facts = read_facts(tmp_path)
    files_line = next(line for line in format_facts_text(facts).splitlines() if line.strip().startswith("files:"))
    assert files_line.strip() == (
        "files: model-00001-of-00009.safetensors, model-00002-of-00009.safetensors, "
        "model-00003-of-00009.safetensors, …, model-00007-of-00009.safetensors, "
        "model-00008-of-00009.safetensors, model-00009-of-00009.safetensors (9 in all)"
    )
    assert facts_to_dict(facts)["weights"]["files"] == sorted(weight_map.values())
