"""Refresh the Hub's lists inside schemas/model-card-metadata.schema.json.

The schema is edited by hand, except for three enums that come from the Hub's own sources,
kept as plain lists in ../shared/reference/ (first line: a `#` comment naming the source):

    $defs.license_id.enum    <- hub-licenses.txt
    $defs.pipeline_tag.enum  <- hub-pipeline-tags.txt
    $defs.library_name.enum  <- hub-library-names.txt

Usage: python scripts/build_schema.py [REFERENCE_DIR]
It needs ../shared/reference (beside the checkout, not in it) or REFERENCE_DIR, and exits 2 with
one line when that folder is absent. tests/test_schema.py fails when the schema and the lists
drift apart.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from shared_folder import SHARED, required

REPO_ROOT = Path(__file__).resolve().parent.parent
SCHEMA_PATH = REPO_ROOT / "schemas" / "model-card-metadata.schema.json"
DEFAULT_REFERENCE_DIR = SHARED / "reference"

# $defs entry -> reference list file
ENUM_SOURCES: dict[str, str] = {
    "license_id": "hub-licenses.txt",
    "pipeline_tag": "hub-pipeline-tags.txt",
    "library_name": "hub-library-names.txt",
}


def read_reference_list(path: Path) -> list[str]:
    """One value per line; the `#` source line and blank lines are skipped."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def build(schema: dict, reference_dir: Path) -> dict:
    """Return the schema with its Hub enums replaced by the reference lists (file order kept)."""
    for def_name, file_name in ENUM_SOURCES.items():
        schema["$defs"][def_name]["enum"] = read_reference_list(reference_dir / file_name)
    return schema


LINE_WIDTH = 100


def render(schema: dict) -> str:
    """JSON with two-space indents that keeps short objects and lists on one line."""
    return _render_value(schema, indent=0) + "\n"


def _render_value(value: object, indent: int) -> str:
    one_line = json.dumps(value, ensure_ascii=False)
    if indent + len(one_line) <= LINE_WIDTH or not isinstance(value, (dict, list)) or not value:
        return one_line
    inner = " " * (indent + 2)
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(key)}: {_render_value(item, indent + 2)}" for key, item in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [inner + _render_value(item, indent + 2) for item in value]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


def main(argv: list[str]) -> int:
    reference_dir = required(Path(argv[0]) if argv else DEFAULT_REFERENCE_DIR, "the Hub's reference lists",
                             "give their folder as the first argument")
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    SCHEMA_PATH.write_text(render(build(schema, reference_dir)), encoding="utf-8")
    print(f"wrote {SCHEMA_PATH.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
