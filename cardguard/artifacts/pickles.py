"""Reading pickled torch files (``pytorch_model.bin``, ``training_args.bin``) without running them.

Why a restricted unpickler of our own rather than ``torch.load(weights_only=True)``: a
pre-commit hook must start fast and must not need torch (a 2 GB install, seconds to import),
and torch's allowlist still needs transformers and accelerate importable to rebuild a
``TrainingArguments``. Python's documented "restricting globals" pattern
(https://docs.python.org/3/library/pickle.html#restricting-globals) lets us map the few names
such files use to inert stand-ins: ``find_class`` is the only door through which a pickle can
reach code, and it opens only for the exact (module, name) pairs below. Everything else —
``os.system``, ``builtins.eval``, a look-alike class in an allowlisted module — raises before
anything is called. Tensor data is never read: shapes and dtypes come from the storage records.

Both torch containers are handled: the zip archive of torch >= 1.6 (``<name>/data.pkl``) and
the legacy stream of several pickles in a row.
"""

from __future__ import annotations

import io
import pickle
import pickletools
import zipfile
from collections import OrderedDict

from cardguard.artifacts.files import Limits, ReadContext
from cardguard.artifacts.odd_text import without_lone_surrogates
from cardguard.artifacts.tensors import MAX_TENSOR_RANK, ShardContents, element_count
from cardguard.artifacts.zipdir import central_directory
from cardguard.record import Record

TYPE_CHECKING = False  # typing is imported for type checkers only: it costs a cold start ~5 ms
if TYPE_CHECKING:
    from typing import Any, Callable

# torch's legacy (pre-1.6) files begin with this number, pickled.
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C

# Legacy torch storage classes and the safetensors spelling of their dtype.
_STORAGE_DTYPES: dict[str, str] = {
    "DoubleStorage": "F64",
    "FloatStorage": "F32",
    "HalfStorage": "F16",
    "BFloat16Storage": "BF16",
    "LongStorage": "I64",
    "IntStorage": "I32",
    "ShortStorage": "I16",
    "CharStorage": "I8",
    "ByteStorage": "U8",
    "BoolStorage": "BOOL",
    "ComplexFloatStorage": "C64",
    "ComplexDoubleStorage": "C128",
}

# Classes that training_args.bin files pickle (reference 1.8), rebuilt as inert stubs.
TRAINING_ARGS_CLASSES = frozenset(
    {
        "transformers.training_args.TrainingArguments",
        "transformers.training_args_seq2seq.Seq2SeqTrainingArguments",
        "sentence_transformers.training_args.SentenceTransformerTrainingArguments",
        "sentence_transformers.sentence_transformer.training_args.SentenceTransformerTrainingArguments",
        "sentence_transformers.cross_encoder.training_args.CrossEncoderTrainingArguments",
        "sentence_transformers.sparse_encoder.training_args.SparseEncoderTrainingArguments",
    }
)
_STUB_CLASSES = TRAINING_ARGS_CLASSES | {
    "transformers.trainer_utils.SchedulerType",
    "transformers.training_args.OptimizerNames",
    "transformers.trainer_utils.IntervalStrategy",
    "transformers.trainer_utils.SaveStrategy",
    "transformers.trainer_utils.HubStrategy",
    "transformers.trainer_utils.FSDPOption",
    "transformers.debug_utils.DebugOption",
    "transformers.training_args.ParallelMode",
    "transformers.trainer_pt_utils.AcceleratorConfig",
    "accelerate.state.PartialState",
    "accelerate.utils.dataclasses.DistributedType",
    "sentence_transformers.training_args.BatchSamplers",
    "sentence_transformers.training_args.MultiDatasetBatchSamplers",
    "sentence_transformers.base.sampler.BatchSamplers",
    "sentence_transformers.base.sampler.MultiDatasetBatchSamplers",
    "torch.device",
}


class RefusedGlobal(Exception):
    """The pickle named a global outside the allowlist; nothing was called."""

    def __init__(self, qualified_name: str) -> None:
        super().__init__(qualified_name)
        self.qualified_name = qualified_name


class OverBound(Exception):
    """The file is over one of the count bounds (opcodes, memo, int digits, zip directory);
    raised before the work that bound is about."""


class PickledObject:
    """Inert stand-in for an allowlisted class: keeps constructor arguments and state, runs nothing."""

    pickled_name = "?"

    def __new__(cls, *args: Any, **kwargs: Any) -> "PickledObject":
        obj = object.__new__(cls)
        obj.args = args
        obj.state = {}
        return obj

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, tuple) and len(state) == 2:  # (dict state, slot state)
            for part in state:
                if isinstance(part, dict):
                    self.state.update(part)
        elif isinstance(state, dict):
            self.state.update(state)

    @property
    def enum_value(self) -> Any:
        """The value an Enum member was pickled with (``SchedulerType("linear")`` -> "linear")."""
        return self.args[0] if len(self.args) == 1 else None

    def __repr__(self) -> str:
        return f"<{self.pickled_name} {self.args or self.state}>"


# BUILD (the opcode that sets an object's state) reaches every object the unpickler hands
# out. Without __setstate__ it writes straight into the object's __dict__: a tensor record's
# shape, an OrderedDict's `items`, an attribute of a function shared by every later file.
# So each of them defines __setstate__: the stubs keep the state as data, the state dict drops
# it, and everything else refuses it.


def _refuse_state(self: Any, state: Any) -> None:
    raise pickle.UnpicklingError(f"the pickle sets the state of a {type(self).__name__}, which takes none")


class StorageRecord(Record, frozen=True):
    dtype: str
    key: str

    __setstate__ = _refuse_state


class TensorRecord(Record, frozen=True):
    storage: StorageRecord
    offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]

    __setstate__ = _refuse_state


class _StorageType(Record, frozen=True):
    dtype: str

    __setstate__ = _refuse_state


class _StateDict(OrderedDict):
    """``collections.OrderedDict`` as the pickle builds it. torch pickles a state dict's
    ``_metadata`` as BUILD state; cardguard never reads it, so any state is dropped."""

    def __setstate__(self, state: Any) -> None:
        pass


class _Reconstructor:
    """A function a pickle may call (``_rebuild_tensor_v2``), wrapped so that BUILD cannot set
    attributes on it: the function itself is shared by every file of the run."""

    __slots__ = ("function",)
    __setstate__ = _refuse_state

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function

    def __call__(self, *args: Any) -> Any:
        return self.function(*args)


# torch writes tensor sizes, strides and offsets as int64.
_MAX_DIMENSION = 2**63 - 1


def _dimension(value: Any) -> int:
    if type(value) is not int or not 0 <= value <= _MAX_DIMENSION:
        raise pickle.UnpicklingError(f"a tensor size, stride or offset is not an int64 ({type(value).__name__})")
    return value


def _rebuild_tensor(storage: Any, offset: Any, size: Any, stride: Any, *_: Any) -> TensorRecord:
    if not isinstance(storage, StorageRecord):
        raise pickle.UnpicklingError("tensor without a storage record")
    if not isinstance(size, tuple) or not isinstance(stride, tuple):
        raise pickle.UnpicklingError("a tensor's size and stride are not tuples")
    return TensorRecord(storage, _dimension(offset), _dimensions(size), _dimensions(stride))


def _dimensions(values: tuple[Any, ...]) -> tuple[int, ...]:
    """A pickled shape or stride, refused before any arithmetic when it has more than
    MAX_TENSOR_RANK entries or one that is not an int64 (torch's own are)."""
    if len(values) > MAX_TENSOR_RANK:
        raise pickle.UnpicklingError(f"a tensor shape has more than {MAX_TENSOR_RANK} dimensions")
    return tuple(map(_dimension, values))


def _rebuild_parameter(data: Any, *_: Any) -> Any:
    return data


_stub_cache: dict[str, type] = {}


def _stub_class(qualified_name: str) -> type:
    if qualified_name not in _stub_cache:
        short = qualified_name.rsplit(".", 1)[-1]
        _stub_cache[qualified_name] = type(short, (PickledObject,), {"pickled_name": qualified_name})
    return _stub_cache[qualified_name]


def _allowed_global(qualified_name: str) -> Any:
    """The inert object standing for an allowlisted global; raises RefusedGlobal for the rest."""
    if qualified_name in _STUB_CLASSES:
        return _stub_class(qualified_name)
    module, _, name = qualified_name.rpartition(".")
    if module == "torch" and name in _STORAGE_DTYPES:
        return _StorageType(_STORAGE_DTYPES[name])
    functions: dict[str, Callable[..., Any]] = {
        "torch._utils._rebuild_tensor_v2": _rebuild_tensor,
        "torch._utils._rebuild_parameter": _rebuild_parameter,
    }
    if qualified_name in functions:
        return _Reconstructor(functions[qualified_name])
    if qualified_name == "collections.OrderedDict":
        return _StateDict
    raise RefusedGlobal(qualified_name)


class RestrictedUnpickler(pickle.Unpickler):
    """An Unpickler whose globals come only from ``_allowed_global``."""

    def find_class(self, module: str, name: str) -> Any:
        return _allowed_global(f"{module}.{name}")

    def persistent_load(self, pid: Any) -> Any:
        # Zip format: ("storage", type, key, location, numel); legacy adds view metadata.
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage" and isinstance(pid[1], _StorageType)):
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r:.80}")
        return StorageRecord(dtype=pid[1].dtype, key=str(pid[2]))


class PickleResult(Record):
    """The root object of a torch file's pickle, or why there is none."""

    root: Any = None
    refused: str | None = None
    error: str | None = None
    over_bound: str | None = None  # which count bound the file is over (CG009)
    legacy: bool = False
    file_bytes: int = 0


class _RecordingReader:
    """The ``read``/``readline`` that ``pickletools.genops`` calls, on a file: each request is
    refused before reading when it would pass the pickle-bytes bound (a length field can claim
    anything), and what was read is kept, to be unpickled once the walk found it sound."""

    def __init__(self, handle: Any, limit: int) -> None:
        self._handle, self._limit, self._left = handle, limit, limit
        self._chunks: list[bytes] = []

    def read(self, size: int) -> bytes:
        if size > self._left:
            raise pickle.UnpicklingError(f"the pickle is larger than the {self._limit}-byte bound")
        return self._keep(self._handle.read(size))

    def readline(self) -> bytes:
        line = self._handle.readline(self._left + 1)
        if len(line) > self._left:
            raise pickle.UnpicklingError(f"the pickle is larger than the {self._limit}-byte bound")
        return self._keep(line)

    def _keep(self, data: bytes) -> bytes:
        self._left -= len(data)
        self._chunks.append(data)
        return data

    def take(self) -> bytes:
        """The bytes read since the last call."""
        data, self._chunks = b"".join(self._chunks), []
        return data


_MEMO_PUTS = frozenset({"PUT", "BINPUT", "LONG_BINPUT"})


def _check_opcodes(source: bytes | _RecordingReader, limits: Limits) -> None:
    """Walk one pickle's opcodes without building anything and raise OverBound on the first
    count over its bound: opcodes (each builds at most one object, so this bounds containers,
    dict keys and memory), memo indexes (the C unpickler sizes its memo by the largest) and
    integer digits (so nothing later multiplies huge numbers). Truncated or unknown opcodes
    and length fields claiming more bytes than there are raise ValueError here."""
    max_opcodes = limits.max_pickle_opcodes
    max_int = 10**limits.max_pickle_int_digits
    for count, (opcode, arg, _) in enumerate(pickletools.genops(source), 1):
        if count > max_opcodes:
            raise OverBound(f"the pickle has more than {max_opcodes} opcodes")
        if type(arg) is not int:
            continue
        if opcode.name in _MEMO_PUTS and arg >= max_opcodes:
            raise OverBound(f"the pickle stores memo index {arg}, over the bound of {max_opcodes}")
        if not -max_int < arg < max_int:
            raise OverBound(f"the pickle holds an integer of more than {limits.max_pickle_int_digits} digits")


def _unpickle(data: bytes) -> Any:
    return RestrictedUnpickler(io.BytesIO(data)).load()


def load_torch_pickle(ctx: ReadContext, relative: str) -> PickleResult | None:
    """Unpickle a torch file's object through the allowlist; None when the file is absent or refused."""
    opened = ctx.open_binary(relative)
    if opened is None:
        return None
    handle, size = opened
    with handle:
        return _load_any(ctx, relative, handle).replace(file_bytes=size)


def _load_any(ctx: ReadContext, relative: str, handle: Any) -> PickleResult:
    try:
        if zipfile.is_zipfile(handle):
            handle.seek(0)
            return _load_from_zip(ctx, relative, handle)
        handle.seek(0)
        return _load_legacy(ctx, handle)
    except RefusedGlobal as refused:
        return PickleResult(refused=refused.qualified_name)
    except OverBound as over:
        return PickleResult(over_bound=str(over))
    except RecursionError:
        return PickleResult(error="the pickle is nested too deeply")
    except Exception as err:  # noqa: BLE001
        # A hostile or corrupt stream can fail in any way the unpickler allows (struct errors,
        # stack underflow, stubs called oddly); each is a broken file, never a traceback.
        return PickleResult(error=f"{type(err).__name__}: {err}"[:300])


def _load_from_zip(ctx: ReadContext, relative: str, handle: Any) -> PickleResult:
    _check_zip_directory(ctx.limits, handle)
    handle.seek(0)
    with zipfile.ZipFile(handle) as archive:
        members = [info for info in archive.infolist() if info.filename.endswith("data.pkl") and info.filename.count("/") == 1]
        if len(members) != 1:
            return PickleResult(error="the archive has no single <name>/data.pkl")
        member = members[0]
        limit = ctx.limits.max_pickle_bytes
        if member.file_size > limit:
            return PickleResult(error=f"data.pkl is {member.file_size} bytes, over the {limit}-byte bound")
        with archive.open(member) as stream:
            data = stream.read(limit + 1)  # the size in the directory may lie
    if len(data) > limit:
        return PickleResult(error=f"data.pkl is over the {limit}-byte bound")
    _check_opcodes(data, ctx.limits)
    return PickleResult(root=_unpickle(data))


def _check_zip_directory(limits: Limits, handle: Any) -> None:
    """Refuse an archive whose end record claims more entries or directory bytes than the
    bounds, before zipfile reads the directory whole and builds an object per entry."""
    handle.seek(0, io.SEEK_END)
    directory = central_directory(handle, handle.tell())
    if directory is None:
        return  # zipfile will say what is wrong
    if directory.entries > limits.max_zip_members:
        raise OverBound(f"the zip archive claims {directory.entries} entries, over the bound of {limits.max_zip_members}")
    if directory.size > limits.max_zip_directory_bytes:
        raise OverBound(
            f"the zip archive claims a {directory.size}-byte central directory,"
            f" over the bound of {limits.max_zip_directory_bytes} bytes"
        )


def _load_legacy(ctx: ReadContext, handle: Any) -> PickleResult:
    reader = _RecordingReader(handle, ctx.limits.max_pickle_bytes)
    magic = _load_next(reader, ctx.limits)
    if magic != _LEGACY_MAGIC:
        return PickleResult(error="not a torch file (neither a zip archive nor a legacy torch pickle)")
    _load_next(reader, ctx.limits)  # protocol version
    _load_next(reader, ctx.limits)  # sys_info
    return PickleResult(root=_load_next(reader, ctx.limits), legacy=True)


def _load_next(reader: _RecordingReader, limits: Limits) -> Any:
    """The next pickle of a legacy stream: walked and checked as it is read, then unpickled."""
    _check_opcodes(reader, limits)
    return _unpickle(reader.take())


def read_torch_weights_file(ctx: ReadContext, relative: str) -> ShardContents | None:
    """Tensor names, dtypes and shapes of a pickled state dict (pytorch_model.bin and shards)."""
    result = load_torch_pickle(ctx, relative)
    if result is None:
        return None
    if not report_pickle_problem(ctx, relative, result):
        return None
    if not isinstance(result.root, dict):
        ctx.report("CG310", relative, f"{relative} does not hold a state dict (found {type(result.root).__name__})")
        return None
    contents = ShardContents(file_bytes=result.file_bytes)
    seen_views: set[tuple] = set()
    for name, value in result.root.items():
        if not isinstance(value, TensorRecord) or not isinstance(name, str):
            continue  # non-tensor entries (e.g. a version int) carry no parameters
        name = without_lone_surrogates(name)
        view = (value.storage.key, value.offset, value.shape, value.stride)
        if view in seen_views:
            contents.tensor_names.append(name)  # tied weights saved twice: listed, counted once
            continue
        seen_views.add(view)
        contents.add(name, value.storage.dtype, element_count(value.shape) or 0)
    return contents


def report_pickle_problem(ctx: ReadContext, relative: str, result: PickleResult) -> bool:
    """Turn a refused or broken pickle into its finding; True when the result is usable."""
    if result.refused is not None:
        ctx.report(
            "CG309",
            relative,
            f"{relative} names {result.refused}, which is not on cardguard's allowlist; refused, nothing was run",
            fix="if the file is yours, re-save it with safetensors; never load it with plain torch.load",
        )
        return False
    if result.error is not None:
        ctx.report("CG310", relative, f"{relative} is not a readable torch file: {result.error}")
        return False
    if result.over_bound is not None:
        ctx.report("CG009", relative, f"{relative}: {result.over_bound}; not read")
        return False
    return True

