"""Session fixtures around tests/generators.py, and a guard that keeps the suite offline.

The offline variables are set when this file is imported, before any test module can
import transformers, datasets or huggingface_hub. Each heavy generator runs once per
session into its own tmp_path_factory folder; tests that mutate an output take a copy
with ``copy_output``. Tests using a ``slow`` fixture are marked slow automatically, so
``pytest -m "not slow"`` skips every model build.

On a Python with only the light test extra (no torch or model libraries: .ci/run on 3.10,
3.12 and 3.13), a test that needs one of them is reported as skipped, naming the library, by
``pytest_runtest_makereport`` below: the one mechanism, so no test needs a marker of its own.
"""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import generators  # noqa: E402  (needs the path above; sets the offline environment)

R = TypeVar("R", bound=generators.GeneratedOutput)

# --------------------------------------------------------------------------------------
# No network: only loopback and local (AF_UNIX) sockets may connect (guard in generators.py).
# --------------------------------------------------------------------------------------


@pytest.fixture(autouse=True, scope="session")
def _forbid_network() -> Iterator[None]:
    restore = generators.install_network_guard()
    try:
        yield
    finally:
        restore()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for attempt in generators.BLOCKED_NETWORK_ATTEMPTS:
        terminalreporter.write_line(f"blocked network access: {attempt}", red=True)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if generators.BLOCKED_NETWORK_ATTEMPTS and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# --------------------------------------------------------------------------------------
# Generator fixtures
# --------------------------------------------------------------------------------------

SLOW_FIXTURES = generators.MODEL_FIXTURES


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses a model-building fixture as ``slow``: by its fixtures, or by a
    parameter that names one for ``request.getfixturevalue`` (a fixture name, or an object
    whose ``fixture`` is one, as the compatibility matrix's outputs), which pytest's fixture
    closure does not see."""
    for item in items:
        named = set(getattr(item, "fixturenames", ()))
        callspec = getattr(item, "callspec", None)
        if callspec is not None:
            named.update(_fixtures_named_by(callspec.params.values()))
        if SLOW_FIXTURES.intersection(named):
            item.add_marker(pytest.mark.slow)


def _fixtures_named_by(values: Iterable[object]) -> Iterator[str]:
    for value in values:
        if isinstance(value, str):
            yield value
        elif isinstance(value, tuple):
            yield from _fixtures_named_by(value)
        elif isinstance(getattr(value, "fixture", None), str):
            yield value.fixture  # type: ignore[attr-defined]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    """While a test not marked slow sets up (its session fixtures too) and runs, the model
    generators refuse to run: ``-m "not slow"`` builds no model, or the test fails saying why."""
    with _model_builds_refused(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    with _model_builds_refused(item):
        return (yield)


@contextlib.contextmanager
def _model_builds_refused(item: pytest.Item) -> Iterator[None]:
    refused = None if item.get_closest_marker("slow") else item.nodeid
    generators.model_builds_refused_for = refused
    try:
        yield
    finally:
        generators.model_builds_refused_for = None


# --------------------------------------------------------------------------------------
# Light test extra: tests that need a model library skip where it is not installed
# --------------------------------------------------------------------------------------

MODEL_LIBRARIES = frozenset(
    {"torch", "transformers", "tokenizers", "sentence_transformers", "peft", "accelerate", "datasets"}
)
TESTS_DIR = Path(__file__).resolve().parent


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A test (or its fixture) that failed importing a model library which is not installed
    is reported as skipped, saying which. Only an import made by the tests' own code counts:
    cardguard importing torch where it is missing stays a failure."""
    report = yield
    library = _missing_model_library(call.excinfo)
    if report.failed and library is not None:
        report.outcome = "skipped"
        report.longrepr = (str(item.path), item.location[1] + 1,
                           f"Skipped: needs {library}, not installed (light test extra: no torch or model libraries)")
    return report


def _missing_model_library(excinfo: pytest.ExceptionInfo[BaseException] | None) -> str | None:
    if excinfo is None or not isinstance(excinfo.value, ModuleNotFoundError):
        return None
    library = (excinfo.value.name or "").partition(".")[0]
    if library not in MODEL_LIBRARIES or importlib.util.find_spec(library) is not None:
        return None
    importer = _importing_file(excinfo)
    return library if importer is not None and TESTS_DIR in importer.parents else None


def _importing_file(excinfo: pytest.ExceptionInfo[BaseException]) -> Path | None:
    """The file whose ``import`` statement raised: the innermost frame outside importlib."""
    for entry in reversed(excinfo.traceback):
        path = Path(str(entry.path))
        if path.is_file() and "importlib" not in path.parts:
            return path.resolve()
    return None


def _build(
    factory: pytest.TempPathFactory, name: str, generator: Callable[[Path], R]
) -> R:
    return generator(factory.mktemp(name) / name)


@pytest.fixture(scope="session")
def trainer_classifier_run(tmp_path_factory: pytest.TempPathFactory) -> generators.TrainerRun:
    """Trainer + BertForSequenceClassification, 2 epochs, checkpoints, the Trainer card."""
    return _build(tmp_path_factory, "trainer-classifier", generators.trainer_classifier)


@pytest.fixture(scope="session")
def continued_classifier_run(
    trainer_classifier_run: generators.TrainerRun, tmp_path_factory: pytest.TempPathFactory
) -> generators.TrainerRun:
    """A copy of the classifier folder, resumed from its last checkpoint for one more epoch.

    Compare with ``trainer_classifier_run`` (left untouched) for drift tests.
    """
    copy = generators.copy_output(trainer_classifier_run, tmp_path_factory.mktemp("continued"))
    return generators.continue_training(copy.out, extra_epochs=1)


@pytest.fixture(scope="session")
def trainer_causal_lm_run(tmp_path_factory: pytest.TempPathFactory) -> generators.TrainerRun:
    return _build(tmp_path_factory, "trainer-causal-lm", generators.trainer_causal_lm)


@pytest.fixture(scope="session")
def sentence_transformer_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> generators.SentenceTransformerRun:
    return _build(tmp_path_factory, "sentence-transformer", generators.sentence_transformer)


@pytest.fixture(scope="session")
def peft_lora_run(tmp_path_factory: pytest.TempPathFactory) -> generators.PeftRun:
    """LoRA whose base carries the Hub-style id ``org/tiny-gpt2``."""
    return _build(tmp_path_factory, "peft-lora", generators.peft_lora)


@pytest.fixture(scope="session")
def peft_lora_local_base_run(tmp_path_factory: pytest.TempPathFactory) -> generators.PeftRun:
    """LoRA whose base was loaded from a local folder (PEFT writes that path as base_model)."""
    return _build(
        tmp_path_factory,
        "peft-lora-local",
        lambda out: generators.peft_lora(out, base_model_id=None),
    )


@pytest.fixture(scope="session")
def sharded_checkpoint_output(
    tmp_path_factory: pytest.TempPathFactory,
) -> generators.WeightsCheckpoint:
    return _build(tmp_path_factory, "sharded", generators.sharded_checkpoint)


@pytest.fixture(scope="session")
def pytorch_bin_output(tmp_path_factory: pytest.TempPathFactory) -> generators.WeightsCheckpoint:
    return _build(tmp_path_factory, "pytorch-bin", generators.pytorch_bin_checkpoint)


@pytest.fixture(scope="session")
def hub_template_output(tmp_path_factory: pytest.TempPathFactory) -> generators.HubTemplateCard:
    """huggingface_hub default template, placeholders left (needs no torch: not slow)."""
    return _build(tmp_path_factory, "hub-template", generators.hub_template_card)


@pytest.fixture(scope="session")
def hub_template_filled_output(
    tmp_path_factory: pytest.TempPathFactory,
) -> generators.HubTemplateCard:
    return _build(tmp_path_factory, "hub-template-filled", generators.hub_template_card_filled)


@pytest.fixture
def copy_output(tmp_path: Path) -> Callable[[R], R]:
    """``copy_output(result)`` -> the same result pointing at a private copy under tmp_path."""

    copies = itertools.count()

    def copy(result: R) -> R:
        return generators.copy_output(result, tmp_path / f"copy-{next(copies)}")

    return copy


@pytest.fixture()
def home(tmp_path: Path) -> Path:
    """An empty HF_HOME for a huggingface_hub client run against the fake Hub (tests/hub/)."""
    (tmp_path / "home").mkdir()
    return tmp_path / "home"
