"""The compatibility matrix: real outputs of transformers, sentence-transformers, PEFT and
huggingface_hub, each put under cardguard the way a user would, then mutated.

The flow per output (docs/compatibility.md): copy the folder, write ``.cardguard.toml`` with
the output's profile and ``required-regions``, then ``validate``, ``facts``,
``sync --add-missing`` once (a folder without a card gets ``cardguard init`` first), and
``check``. Each mutation is made on a synced copy and must make ``check`` report exactly the
codes declared below on top of the unmodified output's findings; a mutation that does not
apply says why, and the test verifies that reason on the folder.

Every finding an unmodified output gets is declared in ``expected`` with the reason and the
fix: a new false alarm fails the suite. Each test records its cell; scripts/compat_matrix.py
renders the recorded results into docs/compatibility.md, and the last test checks the
committed document against them.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import generators
import pytest

from tests.compat.matrix import (
    COLUMNS,
    MUTATIONS,
    Cell,
    Recorder,
    Row,
    Setup,
    cardguard,
    counted,
    difference,
    front_matter,
    prepare,
    regions_in,
    replace_artifacts,
    replace_line,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
DOC = REPO_ROOT / "docs" / "compatibility.md"
SCRIPT = REPO_ROOT / "scripts" / "compat_matrix.py"
THIS_FILE = "tests/compat/test_matrix.py"

# --------------------------------------------------------------------------------------------
# Declarations
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """A finding an unmodified output gets under its profile, why, and how to fix or silence it."""

    code: str
    count: int
    why: str
    fix: str
    after_sync: int | None = None  # how many are left after `sync --add-missing` (None: all)

    def left(self) -> int:
        return self.count if self.after_sync is None else self.after_sync


Apply = Callable[[Path, pytest.FixtureRequest], str]
Facts = dict[str, Any]


@dataclass(frozen=True)
class Mutation:
    """A change to a synced folder, and the codes ``check`` must add for it."""

    apply: Apply
    expected: dict[str, int]
    drifting: tuple[str, ...] = ()  # the regions CG405 names, sorted


@dataclass(frozen=True)
class NotApplicable:
    """Why a mutation does not apply to an output; ``holds`` checks that on the folder."""

    reason: str
    holds: Callable[[Path, Facts], bool]


@dataclass(frozen=True)
class Output:
    id: str
    fixture: str
    library: str
    version: Callable[[Any], str]
    generator: str
    setup: Setup
    expected: tuple[Expected, ...]
    regions: tuple[str, ...]  # regions in the card after `sync --add-missing`, in card order
    mutations: dict[str, Mutation | NotApplicable]
    library_count: Callable[[Any], int] | None = None  # the library's own parameter count
    added_keys: tuple[str, ...] = ()  # metadata keys sync adds
    replaced_lines: tuple[str, ...] = ()  # library lines sync replaces (placeholders only)

    def expected_codes(self, after_sync: bool = False) -> Counter[str]:
        counts = Counter({item.code: item.left() if after_sync else item.count for item in self.expected})
        return +counts


# -- what makes a mutation not apply (checked on the folder) ---------------------------------


def _no_results(folder: Path, facts: Facts) -> bool:
    return facts["results"] is None and facts["training_state"] is None


def _no_base_in_config(folder: Path, facts: Facts) -> bool:
    return facts["adapter"] is None and facts["config"] is not None and facts["config"]["name_or_path"] is None


def _local_adapter_base(folder: Path, facts: Facts) -> bool:
    return facts["adapter"] is not None and Path(facts["adapter"]["base_model"]).is_absolute()


def _no_shards(folder: Path, facts: Facts) -> bool:
    return facts["weights"] is None or facts["weights"]["index_file"] is None


def _card_only(folder: Path, facts: Facts) -> bool:
    return not facts["files_read"]


NO_RESULTS = NotApplicable(
    "no results or trainer state in the folder: the card's numbers have nothing to be compared with", _no_results
)
NO_ST_RESULTS = NotApplicable(
    "`save_pretrained` writes no results: the evaluator's CSV goes to the trainer's output_dir", _no_results
)
NO_BASE = NotApplicable(
    "transformers 5 writes no `_name_or_path` in config.json: the folder does not name its base model",
    _no_base_in_config,
)
LOCAL_BASE = NotApplicable(
    "the adapter names its base by a local path, not a Hub id (the card's path is CG113 already)",
    _local_adapter_base,
)
NO_SHARDS = NotApplicable("one weights file, no shards", _no_shards)
CARD_ONLY = NotApplicable("a card only: no checkpoint in the folder", _card_only)

# -- mutations ----------------------------------------------------------------------------------


def retrain(fixture: str, what: str) -> Apply:
    """Copy the artifacts of a longer run over the folder; the synced card stays."""

    def apply(folder: Path, request: pytest.FixtureRequest) -> str:
        replace_artifacts(folder, request.getfixturevalue(fixture).out)
        return what

    return apply


def edit_model_index_value(folder: Path, request: pytest.FixtureRequest) -> str:
    card = folder / "README.md"
    metric = front_matter(card.read_text(encoding="utf-8"))["model-index"][0]["results"][0]["metrics"][0]
    replace_line(card, f"value: {metric['value']}", f"value: {round(metric['value'] + 0.1, 4)}")
    return f"model-index {metric['type']} value + 0.1"


def edit_results_line(folder: Path, request: pytest.FixtureRequest) -> str:
    card = folder / "README.md"
    line = next(line for line in card.read_text(encoding="utf-8").split("\n") if line.startswith("- Loss: "))
    replace_line(card, line, "- Loss: 1.2345")
    return "`- Loss:` in the card's *It achieves …* list"


def change_base_model(folder: Path, request: pytest.FixtureRequest) -> str:
    card = folder / "README.md"
    old = front_matter(card.read_text(encoding="utf-8"))["base_model"]
    replace_line(card, f"base_model: {old}", "base_model: org/another-model")
    return f"base_model {old} → org/another-model"


def bigger_weights(folder: Path, request: pytest.FixtureRequest) -> str:
    before = parameter_count(facts_of(folder))
    count = generators.swap_in_bigger_model(folder)
    after = parameter_count(facts_of(folder))
    assert after == count > before, (before, after, count)  # cardguard counts as the library does
    return f"{before:,} → {after:,} parameters"


def delete_shard(folder: Path, request: pytest.FixtureRequest) -> str:
    index = json.loads((folder / "model.safetensors.index.json").read_text(encoding="utf-8"))
    shard = sorted(set(index["weight_map"].values()))[2]
    (folder / shard).unlink()
    return f"deleted {shard}"


# -- facts --------------------------------------------------------------------------------------


def facts_of(folder: Path) -> Facts:
    run = cardguard("facts", "--format", "json", folder)
    assert run.exit_code == 0, run.stdout + run.stderr
    return run.json()


def parameter_count(facts: Facts) -> int:
    weights = facts["adapter"]["weights"] if facts["adapter"] else facts["weights"]
    return weights["parameters"]


# -- the findings each library's output gets ---------------------------------------------------

TRAINER_PLACEHOLDERS = Expected(
    "CG203", 3,
    "Trainer writes `More information needed` under Model description, Intended uses & limitations, "
    "Training and evaluation data",
    "write those three sections (cardguard keeps text outside its markers); while drafting, "
    "`ignore = [\"CG203\"]` or `severity = { CG203 = \"warning\" }`",
)
TRAINER_PROOFREAD_NOTE = Expected(
    "CG204", 1,
    "Trainer opens its card with an HTML comment asking to proofread and complete the card, then remove "
    "the comment",
    "complete the card and delete the comment (it is hidden on the Hub, hence a warning)",
)
TRAINER_NO_LICENSE = Expected(
    "CG107", 1,
    "`create_model_card` writes `license` only when passed one (offline it cannot look up the base model's)",
    "pass `license=` to `create_model_card`, or add `license:` to the card",
)
TRAINER_EMPTY_RESULTS = Expected(
    "CG111", 1,
    "only the loss was evaluated: Trainer writes `model-index: [{name, results: []}]`",
    "evaluate a metric (`compute_metrics`), or delete the empty `model-index`; "
    "or `severity = { CG111 = \"info\" }`",
)
TRAINER_NULL_CONFIG = Expected(
    "CG110", 1,
    "an in-memory `Dataset` gives `dataset: {config: null, split: None}` in model-index; the Hub rejects "
    "the push (transformers#28137)",
    "`cardguard validate --fix` deletes the `config: null` line (or delete it yourself); cardguard keeps the edit",
)
TRAINER_NONE_SPLIT = Expected(
    "CG119", 1,
    "the same in-memory `Dataset` has no split: Trainer writes `str(None)`, and the Hub shows a split named None",
    "write the real split (`split: test`), or let `cardguard validate --fix` delete the line",
)
PEFT_LOCAL_BASE = Expected(
    "CG113", 1,
    "the base was loaded from a local folder: PEFT writes its path as `base_model` (peft#2124)",
    "write the base's Hub id in `base_model` (load the base by its Hub id, or set "
    "`base.config._name_or_path` before `get_peft_model`)",
)
PEFT_TEMPLATE_PLACEHOLDERS = Expected(
    "CG203", 40,
    "PEFT alone writes huggingface_hub's default template: `[More Information Needed]` everywhere, and the "
    "template's default Recommendations sentence",
    "write the sections; `sync --add-missing` fills *How to Get Started* from the adapter",
    after_sync=39,
)
PEFT_TEMPLATE_NO_LICENSE = Expected(
    "CG107", 1, "PEFT's card data has no `license`", "add `license:` to the card",
)
INIT_PLACEHOLDERS = Expected(
    "CG203", 13,
    "`cardguard init` writes `[More Information Needed]` where only people can write "
    "(uses, risks, training data, contact …)",
    "write those parts; everything the checkpoint says is already in the card's regions",
)
INIT_NO_LICENSE = Expected(
    "CG107", 1, "the checkpoint does not say its licence, so `init` writes none", "add `license:` to the card",
)
HUB_TEMPLATE_PLACEHOLDERS = Expected(
    "CG203", 37,
    "`ModelCard.from_template` with card data only leaves `[More Information Needed]` for every template "
    "variable not given, and the template's default Recommendations sentence",
    "pass the template's variables (`model_summary=`, `direct_use=` …) or write the sections",
)

# -- the outputs ------------------------------------------------------------------------------------

TRAINER_REGIONS = ("eval-results", "hyperparameters", "training-results", "framework-versions")
RETRAINED = ("eval-results", "hyperparameters", "training-results")  # num_epochs is in the hyperparameters


def _transformers(run: Any) -> str:
    return run.versions.transformers


def _peft(run: Any) -> str:
    return run.versions.peft


def _num_parameters(run: Any) -> int:
    return run.num_parameters


def _trainable_parameters(run: Any) -> int:
    return run.trainable_parameters


BIGGER_MODEL = Mutation(bigger_weights, {"CG405": 1}, ("model-summary",))
BIGGER_ADAPTER = Mutation(bigger_weights, {"CG405": 1}, ("peft-adapter",))
EDITED_LOSS = Mutation(edit_results_line, {"CG405": 1}, ("eval-results",))


def _weights_only(id: str, fixture: str, library: str, version: Callable[[Any], str], generator: str,
                  delete_shard: Mutation | NotApplicable) -> Output:
    """A checkpoint saved without a card: the user runs `cardguard init`, profile hub."""
    return Output(
        id=id, fixture=fixture, library=library, version=version, generator=generator,
        setup=Setup("hub", ("model-summary",), card="init"),
        expected=(INIT_NO_LICENSE, INIT_PLACEHOLDERS),
        regions=("model-summary", "get-started", "framework-versions"),
        library_count=_num_parameters,
        mutations={"retrain": NO_RESULTS, "edit-metric": NO_RESULTS, "base-model": NO_BASE,
                   "bigger-weights": BIGGER_MODEL, "delete-shard": delete_shard},
    )


OUTPUTS: tuple[Output, ...] = (
    Output(
        id="trainer-classifier",
        fixture="trainer_classifier_run",
        library="transformers",
        version=_transformers,
        generator="`Trainer` (BERT-style classifier, `compute_metrics`, eval each epoch) → `create_model_card()`",
        setup=Setup("trainer", ("model-summary",)),
        expected=(TRAINER_NULL_CONFIG, TRAINER_NONE_SPLIT, TRAINER_PLACEHOLDERS, TRAINER_PROOFREAD_NOTE),
        regions=(*TRAINER_REGIONS, "model-summary"),
        added_keys=("pipeline_tag",),
        library_count=_num_parameters,
        mutations={
            "retrain": Mutation(retrain("continued_classifier_run", "resumed for a 3rd epoch"),
                                {"CG405": 3, "CG413": 2}, RETRAINED),
            "edit-metric": Mutation(edit_model_index_value, {"CG413": 1}),
            "base-model": NO_BASE,
            "bigger-weights": BIGGER_MODEL,
            "delete-shard": NO_SHARDS,
        },
    ),
    Output(
        id="trainer-causal-lm",
        fixture="trainer_causal_lm_run",
        library="transformers",
        version=_transformers,
        generator="`Trainer` (tiny GPT-2, loss only) → `create_model_card()`",
        setup=Setup("trainer", ("model-summary",)),
        expected=(TRAINER_NO_LICENSE, TRAINER_EMPTY_RESULTS, TRAINER_PLACEHOLDERS, TRAINER_PROOFREAD_NOTE),
        regions=(*TRAINER_REGIONS, "model-summary"),
        added_keys=("pipeline_tag",),
        library_count=_num_parameters,
        mutations={
            "retrain": Mutation(retrain("retrained_causal_lm_run", "3 epochs instead of 2"), {"CG405": 3},
                                RETRAINED),
            "edit-metric": EDITED_LOSS,
            "base-model": NO_BASE,
            "bigger-weights": BIGGER_MODEL,
            "delete-shard": NO_SHARDS,
        },
    ),
    Output(
        id="sentence-transformers",
        fixture="sentence_transformer_run",
        library="sentence-transformers",
        version=lambda run: run.versions.sentence_transformers,
        generator="`SentenceTransformerTrainer` with an evaluator → `save_pretrained()`",
        setup=Setup("sentence-transformers", ("model-summary",)),
        expected=(),
        regions=("st-architecture", "framework-versions", "model-summary"),
        library_count=_num_parameters,
        mutations={
            "retrain": NO_ST_RESULTS,
            "edit-metric": NO_ST_RESULTS,
            "base-model": NO_BASE,
            "bigger-weights": BIGGER_MODEL,
            "delete-shard": NO_SHARDS,
        },
    ),
    Output(
        id="peft-lora",
        fixture="peft_lora_run",
        library="peft",
        version=_peft,
        generator="PEFT LoRA trained with `Trainer`: `save_model()` (PEFT's card) → `create_model_card()` "
        "(PEFT updates it)",
        setup=Setup("trainer", ("peft-adapter",)),
        expected=(TRAINER_NO_LICENSE, TRAINER_EMPTY_RESULTS, TRAINER_PLACEHOLDERS, TRAINER_PROOFREAD_NOTE),
        regions=(*TRAINER_REGIONS, "peft-adapter"),
        library_count=_trainable_parameters,
        mutations={
            "retrain": Mutation(retrain("retrained_peft_lora_run", "3 epochs instead of 2"), {"CG405": 3},
                                RETRAINED),
            "edit-metric": EDITED_LOSS,
            "base-model": Mutation(change_base_model, {"CG410": 1}),
            "bigger-weights": BIGGER_ADAPTER,
            "delete-shard": NO_SHARDS,
        },
    ),
    Output(
        id="peft-lora-local-base",
        fixture="peft_lora_local_base_run",
        library="peft",
        version=_peft,
        generator="as `peft-lora`, the base loaded from a local folder",
        setup=Setup("trainer", ("peft-adapter",)),
        expected=(TRAINER_NO_LICENSE, PEFT_LOCAL_BASE, TRAINER_EMPTY_RESULTS, TRAINER_PLACEHOLDERS,
                  TRAINER_PROOFREAD_NOTE),
        regions=(*TRAINER_REGIONS, "peft-adapter"),
        library_count=_trainable_parameters,
        mutations={
            "retrain": Mutation(retrain("retrained_peft_lora_local_base_run", "3 epochs instead of 2"),
                                {"CG405": 3}, RETRAINED),
            "edit-metric": EDITED_LOSS,
            "base-model": LOCAL_BASE,
            "bigger-weights": BIGGER_ADAPTER,
            "delete-shard": NO_SHARDS,
        },
    ),
    Output(
        id="peft-lora-peft-card",
        fixture="peft_lora_run",
        library="peft",
        version=_peft,
        generator="PEFT alone: `PeftModel.save_pretrained()` (adapter files and PEFT's own card)",
        setup=Setup("peft", ("peft-adapter",), card="peft-only",
                    keep_files=("adapter_config.json", "adapter_model.safetensors")),
        expected=(PEFT_TEMPLATE_NO_LICENSE, PEFT_TEMPLATE_PLACEHOLDERS),
        regions=("get-started", "framework-versions", "peft-adapter"),
        replaced_lines=("Use the code below to get started with the model.", "[More Information Needed]"),
        library_count=_trainable_parameters,
        mutations={
            "retrain": NO_RESULTS,
            "edit-metric": NO_RESULTS,
            "base-model": Mutation(change_base_model, {"CG410": 1}),
            "bigger-weights": BIGGER_ADAPTER,
            "delete-shard": NO_SHARDS,
        },
    ),
    _weights_only(
        "sharded-safetensors", "sharded_checkpoint_output", "transformers", _transformers,
        "`save_pretrained(max_shard_size=\"12KB\")` (8 shards + index, no card) → `cardguard init`",
        delete_shard=Mutation(delete_shard, {"CG305": 1}),
    ),
    _weights_only(
        "pytorch-bin", "pytorch_bin_output", "torch", lambda run: run.versions.torch,
        "`torch.save(state_dict)` as `pytorch_model.bin` + config.json (no card) → `cardguard init`",
        delete_shard=NO_SHARDS,
    ),
    Output(
        id="hub-template",
        fixture="hub_template_output",
        library="huggingface_hub",
        version=lambda run: run.huggingface_hub_version,
        generator="`ModelCard.from_template(ModelCardData(...))`, card data only",
        setup=Setup("hub"),
        expected=(HUB_TEMPLATE_PLACEHOLDERS,),
        regions=(),
        mutations={name: CARD_ONLY for name in MUTATIONS},
    ),
    Output(
        id="hub-template-filled",
        fixture="hub_template_filled_output",
        library="huggingface_hub",
        version=lambda run: run.huggingface_hub_version,
        generator="`ModelCard.from_template` with card data and every template variable filled",
        setup=Setup("hub"),
        expected=(),
        regions=(),
        mutations={name: CARD_ONLY for name in MUTATIONS},
    ),
)
BY_ID = {output.id: output for output in OUTPUTS}
MUTATION_CASES = [(output, name) for output in OUTPUTS for name in MUTATIONS]

# --------------------------------------------------------------------------------------------
# Running one output
# --------------------------------------------------------------------------------------------


def _row(output: Output, run: Any) -> Row:
    return Row(
        order=OUTPUTS.index(output),
        output=output.id,
        library=output.library,
        version=output.version(run),
        generator=output.generator,
        setup=dataclasses.asdict(output.setup),
        expected=[dataclasses.asdict(item) for item in output.expected],
    )


@dataclass
class Case:
    """One output copied and configured for one test, and where its cells go."""

    output: Output
    run: Any
    folder: Path
    recorder: Recorder
    test: str
    row: Row = field(init=False)

    def __post_init__(self) -> None:
        self.row = _row(self.output, self.run)
        versions = getattr(self.run, "versions", None)
        if versions is not None and not self.recorder.versions:
            self.recorder.versions.update(dataclasses.asdict(versions))

    @property
    def card(self) -> Path:
        return self.folder / "README.md"

    def record(self, column: str, status: str, text: str) -> None:
        self.recorder.record(self.row, column, Cell(status, text, self.test))

    def sync(self) -> None:
        assert cardguard("sync", "--add-missing", self.folder).exit_code in (0, 1)


def _case(output: Output, request: pytest.FixtureRequest, recorder: Recorder, tmp_path: Path) -> Case:
    run = request.getfixturevalue(output.fixture)
    card_text = run.peft_only_card if output.setup.card == "peft-only" else None
    folder = prepare(run.out, tmp_path / "model", output.setup, card_text)
    return Case(output, run, folder, recorder, request.node.nodeid)


def _status(codes: Counter[str]) -> str:
    return "expected" if codes else "pass"


def _exit_code_for(run_json: dict[str, Any]) -> int:
    return 1 if run_json["summary"]["error"] else 0


@pytest.fixture
def case(request: pytest.FixtureRequest, recorder: Recorder, tmp_path: Path) -> Case:
    return _case(request.param, request, recorder, tmp_path)


def _ids(output: Output) -> str:
    return output.id


# --------------------------------------------------------------------------------------------
# The matrix
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", OUTPUTS, ids=_ids, indirect=True)
def test_validate(case: Case) -> None:
    result = cardguard("validate", "--format", "json", case.folder)
    codes = result.codes()
    assert codes == case.output.expected_codes(), result.brief()
    assert result.exit_code == _exit_code_for(result.json())
    case.record("validate", _status(codes), counted(codes))


@pytest.mark.parametrize("case", OUTPUTS, ids=_ids, indirect=True)
def test_facts(case: Case) -> None:
    facts = facts_of(case.folder)
    assert facts["findings"] == []
    count_of = case.output.library_count
    if count_of is None:
        assert _card_only(case.folder, facts)
        case.record("facts", "n/a", CARD_ONLY.reason)
        return
    count = parameter_count(facts)
    assert count == count_of(case.run)
    what = "adapter parameters = PEFT's trainable count" if facts["adapter"] else "parameters = the library's count"
    case.record("facts", "pass", f"{count:,} {what}")


@pytest.mark.parametrize("case", OUTPUTS, ids=_ids, indirect=True)
def test_sync(case: Case) -> None:
    original = case.card.read_bytes().decode("utf-8")
    first = cardguard("sync", "--add-missing", case.folder)
    synced = case.card.read_bytes().decode("utf-8")
    assert first.exit_code == (1 if synced != original else 0), first.stdout + first.stderr
    assert regions_in(synced) == list(case.output.regions)
    added = sorted(set(front_matter(synced)) - set(front_matter(original)))
    assert added == sorted(case.output.added_keys)
    removed = _removed_lines(original, synced)
    assert removed == list(case.output.replaced_lines)  # the author's text is kept
    again = cardguard("sync", case.folder)
    assert again.exit_code == 0 and case.card.read_bytes().decode("utf-8") == synced  # idempotent
    case.record("sync", "pass", _sync_summary(case, first.exit_code == 1))


def _removed_lines(old: str, new: str) -> list[str]:
    import difflib

    diff = difflib.ndiff(old.split("\n"), new.split("\n"))
    return [line[2:] for line in diff if line.startswith("- ") and line[2:].strip()]


def _sync_summary(case: Case, rewritten: bool) -> str:
    if not rewritten:
        return "nothing to change" if case.output.setup.card != "init" else (
            f"`init` wrote {', '.join(case.output.regions)}; nothing to change")
    parts = [", ".join(case.output.regions)]
    if case.output.added_keys:
        parts.append("+ " + ", ".join(f"`{key}`" for key in case.output.added_keys))
    return "; ".join(parts)


@pytest.mark.parametrize("case", OUTPUTS, ids=_ids, indirect=True)
def test_check(case: Case) -> None:
    case.sync()
    result = cardguard("check", "--format", "json", case.folder)
    codes = result.codes()
    assert codes == case.output.expected_codes(after_sync=True), result.brief()
    assert result.exit_code == _exit_code_for(result.json())
    case.record("check", _status(codes), counted(codes))


def _mutation_id(value: tuple[Output, str]) -> str:
    return f"{value[0].id}:{value[1]}"


@pytest.mark.parametrize("output_and_mutation", MUTATION_CASES, ids=_mutation_id)
def test_mutation(output_and_mutation: tuple[Output, str], request: pytest.FixtureRequest, recorder: Recorder,
                  tmp_path: Path) -> None:
    output, name = output_and_mutation
    case = _case(output, request, recorder, tmp_path)
    case.sync()
    spec = output.mutations[name]
    if isinstance(spec, NotApplicable):
        assert spec.holds(case.folder, facts_of(case.folder)), spec.reason
        case.record(name, "n/a", spec.reason)
        return
    before = cardguard("check", "--format", "json", case.folder).codes()
    assert before == output.expected_codes(after_sync=True)
    what = spec.apply(case.folder, request)
    after = cardguard("check", "--format", "json", case.folder)
    assert after.exit_code == 1
    assert difference(after.codes(), before) == spec.expected, after.brief()
    assert after.drifting_regions() == list(spec.drifting)
    case.record(name, "caught", f"{_caught_text(spec)} ({what})")


def _caught_text(spec: Mutation) -> str:
    text = counted(spec.expected)
    return text + (f"; drift in {', '.join(spec.drifting)}" if spec.drifting else "")


# --------------------------------------------------------------------------------------------
# docs/compatibility.md (keep this test last in the module: it reads what the others recorded)
# --------------------------------------------------------------------------------------------


def all_test_ids() -> set[str]:
    ids = {f"{THIS_FILE}::test_{column}[{output.id}]" for output in OUTPUTS for column in COLUMNS}
    ids |= {f"{THIS_FILE}::test_mutation[{_mutation_id(case)}]" for case in MUTATION_CASES}
    return ids


def load_script() -> Any:
    spec = importlib.util.spec_from_file_location("compat_matrix", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_doc_names_only_tests_that_exist() -> None:
    named = set(re.findall(r"`(tests/compat/test_matrix\.py::[^`]+)`", DOC.read_text(encoding="utf-8")))
    assert named == all_test_ids()


def test_doc_matches_this_run(recorder: Recorder) -> None:
    complete = [row for row in recorder.rows.values() if len(row.cells) == len(COLUMNS) + len(MUTATIONS)]
    if len(complete) < len(OUTPUTS):
        pytest.skip("the whole matrix did not run in this session")
    rendered = load_script().render(json.loads(json.dumps(recorder.as_json())))
    assert DOC.read_text(encoding="utf-8") == rendered, (
        "docs/compatibility.md is stale: CARDGUARD_COMPAT_RESULTS=/tmp/compat.json pytest tests/compat && "
        "python scripts/compat_matrix.py /tmp/compat.json -o docs/compatibility.md"
    )
