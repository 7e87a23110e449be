"""``read_facts``: everything cardguard knows about the checkpoint in one folder.

Each family has its own reader module; this one only calls them in turn and gathers their
records, findings and the files they read. Nothing here prints or raises on a bad file.
"""

from __future__ import annotations

import os

from cardguard.artifacts.files import Limits, ReadContext
from cardguard.findings import Finding
from cardguard.record import Record, factory

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs a cold start ~5 ms
if TYPE_CHECKING:
    from cardguard.artifacts.remote import HubSource
    # Each family's module is imported for real only when its files are in the folder (see
    # read_facts): a pre-commit hook pays only for what the repo holds.
    from cardguard.artifacts.config import ConfigFacts, GenerationFacts, TokenizerFacts
    from cardguard.artifacts.emissions import EmissionsFacts
    from cardguard.artifacts.peft import AdapterFacts
    from cardguard.artifacts.sentence_transformers import SentenceTransformersFacts
    from cardguard.artifacts.training import ResultsFacts, TrainingStateFacts
    from cardguard.artifacts.training_args import TrainingArgsFacts
    from cardguard.artifacts.weights import WeightsFacts

_CONFIG_FILES = {"config.json", "generation_config.json", "tokenizer_config.json", "chat_template.jinja", "chat_template.json"}
_TRAINING_FILES = {"trainer_state.json", "all_results.json", "train_results.json", "eval_results.json", "test_results.json"}
_ST_FILES = {"modules.json", "config_sentence_transformers.json"}


class LfsPointerFact(Record):
    path: str  # as shown in findings (display_root + relative path)
    oid: str
    size: int


class Facts(Record):
    """The facts of one model folder; a family is None when its files are absent or unreadable."""

    model_dir: str
    weights: WeightsFacts | None = None
    config: ConfigFacts | None = None
    generation: GenerationFacts | None = None
    tokenizer: TokenizerFacts | None = None
    training_state: TrainingStateFacts | None = None
    results: ResultsFacts | None = None
    training_args: TrainingArgsFacts | None = None
    adapter: AdapterFacts | None = None
    sentence_transformers: SentenceTransformersFacts | None = None
    emissions: EmissionsFacts | None = None
    lfs_pointers: list[LfsPointerFact] = factory(list)
    remote_files: list[str] = factory(list)  # LFS pointers whose header came from the Hub
    findings: list[Finding] = factory(list)
    files_read: list[str] = factory(list)
    # The folder's Hub id (cardguard/artifacts/hub_id.py), set by check, sync and init: it comes from the
    # configuration and git, not from the artifacts, so `cardguard facts` leaves it None.
    hub_id: str | None = None


def read_facts(
    model_dir: str | os.PathLike[str], display_root: str = "", limits: Limits | None = None, remote: HubSource | None = None
) -> Facts:
    """Read every artifact in ``model_dir``.

    With ``remote`` (the Hub repository the folder mirrors), safetensors files that are Git LFS
    pointers are read from the Hub by HTTP range requests (cardguard/artifacts/remote.py; huggingface_hub
    is imported on that path only); without it they are reported as pointers (CG308) and the
    facts that need them are unavailable.

    Paths in ``findings``, ``files_read`` and ``lfs_pointers`` are relative to ``model_dir``,
    prefixed with ``display_root`` when given (pass e.g. ``"models/bert"`` to get
    ``models/bert/config.json``). ``model_dir`` itself must be a folder: the caller checks that
    and reports a usage error otherwise.
    """
    ctx = _context(os.fspath(model_dir), display_root, limits or Limits(), remote)
    facts = Facts(model_dir=str(model_dir))
    names = _top_level_names(ctx.model_dir)
    if any(_may_be_weights(name) for name in names):
        from cardguard.artifacts.weights import read_model_weights

        facts.weights = read_model_weights(ctx)
    if names & _CONFIG_FILES:
        from cardguard.artifacts.config import read_config, read_generation_config, read_tokenizer

        facts.config = read_config(ctx)
        facts.generation = read_generation_config(ctx)
        facts.tokenizer = read_tokenizer(ctx)
    if names & _TRAINING_FILES:
        from cardguard.artifacts.training import read_results, read_trainer_state

        facts.training_state = read_trainer_state(ctx)
        facts.results = read_results(ctx)
    if "training_args.bin" in names:
        from cardguard.artifacts.training_args import read_training_args

        facts.training_args = read_training_args(ctx)
    if "adapter_config.json" in names:
        from cardguard.artifacts.peft import read_adapter

        facts.adapter = read_adapter(ctx)
    if names & _ST_FILES:
        from cardguard.artifacts.sentence_transformers import read_sentence_transformers

        tokenizer_max = facts.tokenizer.model_max_length if facts.tokenizer else None
        facts.sentence_transformers = read_sentence_transformers(ctx, tokenizer_max)
    if "emissions.csv" in names:
        from cardguard.artifacts.emissions import read_emissions

        facts.emissions = read_emissions(ctx)
    facts.lfs_pointers = [LfsPointerFact(ctx.display(rel), p.oid, p.size) for rel, p in ctx.lfs_pointers.items()]
    facts.remote_files = [ctx.display(relative) for relative in getattr(ctx, "remote_files", [])]
    facts.findings = sorted(ctx.findings, key=lambda f: f.sort_key())
    facts.files_read = ctx.files_read
    return facts


def _context(model_dir: str, display_root: str, limits: Limits, remote: HubSource | None) -> ReadContext:
    if remote is None:
        return ReadContext(model_dir, display_root=display_root, limits=limits)
    from cardguard.artifacts.remote import RemoteReadContext

    return RemoteReadContext(model_dir, display_root=display_root, limits=limits, hub=remote)


def _top_level_names(model_dir: str) -> set[str]:
    try:
        return set(os.listdir(model_dir))
    except OSError:
        return set()


def _may_be_weights(name: str) -> bool:
    return name.endswith((".safetensors", ".safetensors.index.json")) or name.startswith("pytorch_model")
