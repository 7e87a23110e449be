"""What one weights file holds, whatever its format: tensor names, dtypes and shapes.

Both readers of single files (``safetensors.py`` and ``pickles.py``) return a
``ShardContents``; ``weights.py`` combines them into the facts about a whole checkpoint.
Dtype names are the safetensors spellings (``F32``, ``BF16``, ``I64`` …) for both formats.
"""

from __future__ import annotations

from cardguard.record import Record, factory

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


# Fixed bounds of a shape, far above any real tensor's, checked before anything multiplies:
# a hostile header can hold thousands of dimensions of thousands of digits each.
MAX_TENSOR_RANK = 64
MAX_DIMENSION = 2**64 - 1  # safetensors stores dimensions as u64 (usize)


def element_count(shape: object) -> int | None:
    """The number of elements of a shape: a list or tuple of at most MAX_TENSOR_RANK integers
    in 0..MAX_DIMENSION, else None."""
    if type(shape) is not list and type(shape) is not tuple or len(shape) > MAX_TENSOR_RANK:
        return None
    for dim in shape:
        if type(dim) is not int or not 0 <= dim <= MAX_DIMENSION:  # type() is not int also refuses bool
            return None
    count = 1
    for dim in shape:
        count *= dim
    return count


class ShardContents(Record):
    """What one weights file holds, read from its header or pickle only: the names of its
    tensors and their sums. A checkpoint's facts are sums, so the readers add each tensor up
    as they meet it instead of keeping ~10^4 tensor objects for a 1 TB checkpoint."""

    tensor_names: list[str] = factory(list)
    parameters_by_dtype: dict[str, int] = factory(dict)  # elements per dtype
    tensor_bytes: int = 0
    metadata: dict[str, str] = factory(dict)
    file_bytes: int = 0

    def add(self, name: str, dtype: str, numel: int) -> None:
        self.tensor_names.append(name)
        self.parameters_by_dtype[dtype] = self.parameters_by_dtype.get(dtype, 0) + numel
        self.tensor_bytes += (numel * DTYPE_BITS.get(dtype, 0) + 7) // 8
