"""The folder as a whole: LFS pointers of every kind, links and odd files, emissions.csv."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from artifact_helpers import lfs_pointer_text

from cardguard.artifacts import read_facts

ARTIFACT_NAMES = [
    "model.safetensors", "pytorch_model.bin", "adapter_model.safetensors", "training_args.bin",
    "config.json", "generation_config.json", "tokenizer_config.json", "trainer_state.json",
    "all_results.json", "adapter_config.json", "modules.json", "config_sentence_transformers.json",
    "emissions.csv", "chat_template.jinja",
]


@pytest.mark.parametrize("name", ARTIFACT_NAMES)
def test_lfs_pointer_of_every_kind_is_information(tmp_path: Path, name: str) -> None:
    if name == "adapter_model.safetensors":
        (tmp_path / "adapter_config.json").write_text("{}")
    (tmp_path / name).write_text(lfs_pointer_text(123_456))
    facts = read_facts(tmp_path)
    assert [(f.code, f.path, str(f.severity)) for f in facts.findings] == [("CG308", name, "info")]
    assert "not available locally" in facts.findings[0].message
    assert [(p.path, p.size) for p in facts.lfs_pointers] == [(name, 123_456)]


def test_single_weights_file_as_pointer_keeps_its_size(tmp_path: Path) -> None:
    (tmp_path / "model.safetensors").write_text(lfs_pointer_text(90_868_376))
    weights = read_facts(tmp_path).weights
    assert weights.not_available_locally == {"model.safetensors": 90_868_376}
    assert weights.parameters == 0 and not weights.complete


def test_text_that_only_resembles_a_pointer_is_not_one(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"note": "version https://git-lfs.github.com/spec/v1"}')
    facts = read_facts(tmp_path)
    assert facts.findings == [] and facts.lfs_pointers == []


def test_config_symlink_leaving_the_repo_is_not_read(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    secret = tmp_path / "secret.json"
    secret.write_text('{"model_type": "leaked"}')
    os.symlink(secret, repo / "config.json")
    facts = read_facts(repo)
    assert [f.code for f in facts.findings] == ["CG307"]
    assert facts.config is None
    assert facts.files_read == []


def test_symlinked_folder_leaving_the_repo(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "config.json").write_text('{"out_features": 3}')
    os.symlink(tmp_path / "elsewhere", repo / "1_Dense")
    (repo / "modules.json").write_text('[{"idx": 0, "name": "0", "path": "1_Dense", "type": "x.Dense"}]')
    facts = read_facts(repo)
    assert [f.code for f in facts.findings] == ["CG307"]


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "config.json")
    facts = read_facts(tmp_path)
    assert [f.code for f in facts.findings] == ["CG001"]


def test_directory_where_a_file_belongs(tmp_path: Path) -> None:
    (tmp_path / "config.json").mkdir()
    assert [f.code for f in read_facts(tmp_path).findings] == ["CG001"]


def test_dangling_symlink_is_absent(tmp_path: Path) -> None:
    os.symlink(tmp_path / "nowhere.json", tmp_path / "config.json")
    facts = read_facts(tmp_path)
    assert facts.config is None and facts.findings == []


def test_empty_folder_has_no_facts(tmp_path: Path) -> None:
    facts = read_facts(tmp_path)
    assert facts.findings == [] and facts.files_read == []
    assert facts.weights is None and facts.config is None


# -- emissions.csv ----------------------------------------------------------------------------

CODECARBON_HEADER = (
    "timestamp,project_name,run_id,duration,emissions,emissions_rate,cpu_power,gpu_power,ram_power,"
    "cpu_energy,gpu_energy,ram_energy,energy_consumed,country_name,country_iso_code,region,cloud_provider,"
    "cloud_region,os,python_version,codecarbon_version,cpu_count,cpu_model,gpu_count,gpu_model,longitude,"
    "latitude,ram_total_size,tracking_mode,on_cloud,pue"
)


def _emissions_row(kg: float, duration: float) -> str:
    return (
        f"2025-01-01T00:00:00,codecarbon,abc,{duration},{kg},1e-06,42.5,0.0,5.9,0.001,0,0.0002,0.0012,"
        "France,FRA,ile-de-france,,,Linux,3.11.7,2.8.4,8,AMD EPYC 7R13 Processor,1,1 x NVIDIA A10G,2.3,48.8,"
        "31.0,machine,N,1.0"
    )


def test_emissions_of_the_last_run_in_kg_and_g(tmp_path: Path) -> None:
    rows = [CODECARBON_HEADER, _emissions_row(0.5, 100.0), _emissions_row(0.0123, 456.7)]
    (tmp_path / "emissions.csv").write_text("\n".join(rows) + "\n")
    emissions = read_facts(tmp_path).emissions
    assert emissions.runs == 2
    assert emissions.emissions_kg == 0.0123
    assert emissions.emissions_g == pytest.approx(12.3)
    assert emissions.duration_s == 456.7
    assert (emissions.cpu_model, emissions.gpu_model, emissions.gpu_count) == ("AMD EPYC 7R13 Processor", "1 x NVIDIA A10G", 1)
    assert (emissions.country_iso_code, emissions.region, emissions.on_cloud) == ("FRA", "ile-de-france", False)


@pytest.mark.parametrize("content", ["", CODECARBON_HEADER + "\n", "a,b\n1,2\n", "\x00\x01binary"],
                         ids=["empty", "header-only", "no-emissions-column", "binary"])
def test_broken_emissions_csv(tmp_path: Path, content: str) -> None:
    (tmp_path / "emissions.csv").write_text(content)
    facts = read_facts(tmp_path)
    assert [f.code for f in facts.findings] == ["CG312"]
    assert facts.emissions is None


def test_emissions_csv_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "emissions.csv").write_bytes(b"emissions\n\xff\xfe\n")
    assert [f.code for f in read_facts(tmp_path).findings] == ["CG312"]
