"""The metadata schemas: valid JSON Schema, in step with the Hub's lists, covering the Hub's keys."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jsonschema
import pytest

from cardguard.resources import data_dir

REPO_ROOT = Path(__file__).resolve().parents[1]
REFERENCE_DIR = REPO_ROOT.parent / "shared" / "reference"
SCHEMA_FILES = ("model-card-metadata.schema.json", "eval-results.schema.json")

sys.path.insert(0, str(REPO_ROOT / "scripts"))
import build_schema  # noqa: E402  (a script, not a package)


def load(name: str) -> dict:
    return json.loads((data_dir("schemas") / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_schema_is_valid_against_the_2020_12_metaschema(name: str) -> None:
    schema = load(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.skipif(not REFERENCE_DIR.is_dir(), reason="../shared/reference is not here")
@pytest.mark.parametrize(("def_name", "file_name"), sorted(build_schema.ENUM_SOURCES.items()))
def test_enums_are_the_reference_lists(def_name: str, file_name: str) -> None:
    listed = build_schema.read_reference_list(REFERENCE_DIR / file_name)
    assert load("model-card-metadata.schema.json")["$defs"][def_name]["enum"] == listed


@pytest.mark.skipif(not REFERENCE_DIR.is_dir(), reason="../shared/reference is not here")
def test_schema_file_is_what_the_build_script_writes() -> None:
    path = data_dir("schemas") / "model-card-metadata.schema.json"
    rebuilt = build_schema.render(build_schema.build(json.loads(path.read_text(encoding="utf-8")), REFERENCE_DIR))
    assert path.read_text(encoding="utf-8") == rebuilt, "run: python scripts/build_schema.py"


def test_reference_list_reader_skips_the_source_line(tmp_path: Path) -> None:
    listed = tmp_path / "list.txt"
    listed.write_text("# Source: somewhere\napache-2.0\n\nmit\n", encoding="utf-8")
    assert build_schema.read_reference_list(listed) == ["apache-2.0", "mit"]


HUB_DOCUMENTED_KEYS = [
    "license", "license_name", "license_link", "language", "library_name", "pipeline_tag", "tags", "datasets",
    "metrics", "base_model", "base_model_relation", "new_version", "model-index", "co2_eq_emissions", "widget",
    "inference", "thumbnail", "gated", "extra_gated_prompt", "extra_gated_fields", "extra_gated_heading",
    "extra_gated_description", "extra_gated_button_content", "extra_gated_eu_disallowed",
]


@pytest.mark.parametrize("key", HUB_DOCUMENTED_KEYS)
def test_every_documented_key_has_a_schema(key: str) -> None:
    assert key in load("model-card-metadata.schema.json")["properties"]


def test_unknown_top_level_keys_are_allowed() -> None:
    validator = jsonschema.Draft202012Validator(load("model-card-metadata.schema.json"))
    assert validator.is_valid({"license": "mit", "my_own_key": {"anything": [1, 2]}})


@pytest.mark.parametrize(
    ("metadata", "valid"),
    [
        ({"license": "other"}, False),
        ({"license": "other", "license_name": "my-licence", "license_link": "LICENSE"}, True),
        ({"license": "mit"}, True),
    ],
)
def test_license_other_needs_name_and_link(metadata: dict, valid: bool) -> None:
    validator = jsonschema.Draft202012Validator(load("model-card-metadata.schema.json"))
    assert validator.is_valid(metadata) is valid
