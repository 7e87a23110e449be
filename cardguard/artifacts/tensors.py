"""What one weights file holds, whatever its format: tensor names, dtypes and shapes.

Both readers of single files (``safetensors.py`` and ``pickles.py``) return a
``ShardContents``; ``weights.py`` combines them into the facts about a whole checkpoint.
Dtype names are the safetensors spellings (``F32``, ``BF16``, ``I64`` …) for both formats.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Bits per element of every safetensors dtype (sub-byte float types included).
DTYPE_BITS: dict[str, int] = {
    "BOOL": 8,
    "U8": 8,
    "I8": 8,
    "F8_E5M2": 8,
    "F8_E4M3": 8,
    "F8_E8M0": 8,
    "F4": 4,
    "F6_E2M3": 6,
    "F6_E3M2": 6,
    "I16": 16,
    "U16": 16,
    "F16": 16,
    "BF16": 16,
    "I32": 32,
    "U32": 32,
    "F32": 32,
    "C64": 64,
    "F64": 64,
    "I64": 64,
    "U64": 64,
    "C128": 128,
}


@dataclass(frozen=True)
class TensorEntry:
    dtype: str
    shape: tuple[int, ...]
    # The name of an earlier tensor this one is the very same data as (tied weights saved twice
    # in a pickle); such a tensor is listed but not counted again.
    alias_of: str | None = None
    numel: int = field(init=False, compare=False)

    def __post_init__(self) -> None:
        count = 1
        for dim in self.shape:
            count *= dim
        object.__setattr__(self, "numel", count)  # computed once: a 1 TB checkpoint has ~10^4 tensors

    @property
    def nbytes(self) -> int:
        return (self.numel * DTYPE_BITS.get(self.dtype, 0) + 7) // 8


@dataclass
class ShardContents:
    """The tensors of one weights file, read from its header or pickle only."""

    tensors: dict[str, TensorEntry] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    file_bytes: int = 0
