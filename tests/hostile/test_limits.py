"""Issue 6.5: every resource bound raises its finding, and the ones a user may need to raise
are reachable from ``[tool.cardguard.limits]`` (docs/security.md has the table)."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from cardguard.cli import main
from tests.hostile.helpers import classifier_repo

NESTED_CONFIG = {"model_type": "bert", "quantization_config": {"a": {"b": {"c": 1}}}}


def _safetensors(path: Path) -> None:
    header = json.dumps({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                         "v": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}).encode()
    path.write_bytes(struct.pack("<Q", len(header)) + header + b"\0" * 8)


def _sharded(repo: Path) -> None:
    for name in ("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"):
        header = json.dumps({name[:14]: {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
        (repo / name).write_bytes(struct.pack("<Q", len(header)) + header + b"\0" * 4)
    weight_map = {"model-00001": "model-00001-of-00002.safetensors", "model-00002": "model-00002-of-00002.safetensors"}
    (repo / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))


LIMITS = {
    # setting: (value that trips it, what the repo holds, the finding)
    "card-bytes": (16, None, "CG009"),
    "yaml-bytes": (8, None, "CG009"),
    "yaml-depth": (1, None, "CG009"),
    "yaml-nodes": (3, None, "CG009"),
    "json-bytes": (16, None, "CG311"),
    "json-depth": (3, lambda repo: (repo / "config.json").write_text(json.dumps(NESTED_CONFIG)), "CG301"),
    "safetensors-header-bytes": (16, lambda repo: _safetensors(repo / "model.safetensors"), "CG303"),
    "text-bytes": (4, lambda repo: (repo / "chat_template.jinja").write_text("{{ messages }}"), "CG311"),
    "json-values": (3, None, "CG311"),
    "safetensors-tensors": (1, lambda repo: _safetensors(repo / "model.safetensors"), "CG009"),
    "index-shards": (1, _sharded, "CG009"),
}


@pytest.mark.parametrize("setting", LIMITS)
def test_limit_from_configuration_raises_its_finding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str], setting: str) -> None:
    value, extra, code = LIMITS[setting]
    repo = classifier_repo(tmp_path / "repo", card="---\nlicense: mit\ntags: [a, b]\nx: {y: 1}\n---\n# Model\n")
    if extra is not None:
        extra(repo)
    monkeypatch.chdir(repo)
    assert main(["check", "--profile", "minimal", "--format", "json", "."]) in (0, 1)
    assert code not in _codes(capsys.readouterr().out)  # the default bound is not met
    (repo / ".cardguard.toml").write_text(f"[limits]\n{setting} = {value}\n")
    assert main(["check", "--profile", "minimal", "--fail-on", "warning", "--format", "json", "."]) == 1
    assert code in _codes(capsys.readouterr().out)


def test_pickle_bound_from_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    import pickle
    import zipfile

    repo = classifier_repo(tmp_path / "repo")
    with zipfile.ZipFile(repo / "pytorch_model.bin", "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps({"pad": "x" * 1000}, protocol=2))
    (repo / ".cardguard.toml").write_text("[limits]\npickle-bytes = 100\n")
    monkeypatch.chdir(repo)
    main(["check", "--profile", "minimal", "--format", "json", "."])
    output = capsys.readouterr().out
    assert "CG310" in _codes(output) and "100-byte bound" in output


def _codes(output: str) -> set[str]:
    return {item["code"] for item in json.loads(output)["findings"]}
