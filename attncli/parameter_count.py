"""How many numbers a checkpoint's model holds, read from the header of model.safetensors alone (no
torch, no safetensors), as the model migrated to the current format has them."""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

from attncli.checkpoint_folder import FORMAT_VERSION
from attncli.migrations import migrate_shapes

# The safetensors format caps its JSON header at 100 MB; a larger length means a damaged file.
MAX_HEADER_BYTES = 100_000_000
# What safetensors itself reads as a shape: dimensions that fit in 64 bits, and few of them. A
# crafted header of 4,000-digit dimensions made `attn info` multiply them for minutes.
MAX_DIMENSION, MAX_DIMENSIONS = 2**63 - 1, 8


def _plausible(shape: list[object]) -> bool:
    return len(shape) <= MAX_DIMENSIONS and all(
        type(size) is int and 0 <= size <= MAX_DIMENSION for size in shape
    )


def count_parameters(path: Path, *, format_version: int) -> int | None:
    """Numbers in the model a safetensors file loads into, from the file's header alone (8 bytes
    giving the length, little-endian, then JSON giving each tensor's dtype, shape and offsets), with
    what migrating a file of an earlier format adds (format 1's pooling gains a key projection)."""
    if not path.is_file():  # a FIFO would wait for a writer forever
        return None
    try:
        with path.open("rb") as file:
            (length,) = struct.unpack("<Q", file.read(8))
            if length > MAX_HEADER_BYTES:
                return None
            tensors = json.loads(file.read(length))
        shapes = {name: list(entry["shape"]) for name, entry in tensors.items() if name != "__metadata__"}
        if not all(_plausible(shape) for shape in shapes.values()):
            return None
        migrated = migrate_shapes(shapes, version=format_version, target=FORMAT_VERSION)
        return sum(math.prod(shape) for shape in migrated.values())
    except (OSError, struct.error, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None
