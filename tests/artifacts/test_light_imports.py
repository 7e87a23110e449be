"""read_facts must not import heavy libraries: the pre-commit hook runs it on every commit."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("torch", "transformers", "safetensors", "numpy", "sentence_transformers", "peft", "accelerate")

SCRIPT = """
import json, sys
from pathlib import Path
from cardguard.artifacts import facts_to_dict, format_facts_text, read_facts
facts = read_facts(Path(sys.argv[1]))
format_facts_text(facts)
json.dumps(facts_to_dict(facts))
print(json.dumps({"modules": sorted(sys.modules), "parameters": facts.weights and facts.weights.parameters,
                  "args": facts.training_args is not None}))
"""


def _imported_by_read_facts(folder: Path) -> dict:
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(folder)], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def test_no_heavy_import_on_a_full_trainer_folder(trainer_classifier_run) -> None:
    seen = _imported_by_read_facts(trainer_classifier_run.out)
    assert seen["parameters"] == trainer_classifier_run.num_parameters and seen["args"]
    assert [name for name in seen["modules"] if name.split(".")[0] in HEAVY] == []


def test_no_heavy_import_on_a_pickled_checkpoint(pytorch_bin_output) -> None:
    seen = _imported_by_read_facts(pytorch_bin_output.out)
    assert seen["parameters"] == pytorch_bin_output.num_parameters
    assert [name for name in seen["modules"] if name.split(".")[0] in HEAVY] == []


def test_pickle_support_is_imported_only_when_needed(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"model_type": "bert"}')
    seen = _imported_by_read_facts(tmp_path)
    assert "cardguard.artifacts.pickles" not in seen["modules"]


# What `cardguard facts` must not import on a safetensors checkpoint: each costs a cold start
# milliseconds against the budget of bench/facts.py (twice a bare header-parsing script).
START_UP_COSTS = ("dataclasses", "inspect", "typing", "pathlib", "shutil")

CLI_SCRIPT = """
import json, sys
from cardguard.cli import main
status = main(["facts", sys.argv[1], "--format", "json"])
print(json.dumps({"status": status, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def test_facts_command_start_up_imports_stay_light(tmp_path: Path) -> None:
    import torch
    from safetensors.torch import save_file

    save_file({"w": torch.zeros((2, 3), dtype=torch.float32)}, str(tmp_path / "model.safetensors"))
    (tmp_path / "config.json").write_text('{"model_type": "bert", "architectures": ["BertModel"]}')
    result = subprocess.run([sys.executable, "-c", CLI_SCRIPT, str(tmp_path)], capture_output=True, text=True, check=True)
    seen = json.loads(result.stderr.strip().splitlines()[-1])
    assert json.loads(result.stdout)["weights"]["parameters"] == 6
    assert seen["status"] == 0
    assert [name for name in START_UP_COSTS if name in seen["modules"]] == []
