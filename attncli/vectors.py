"""Pretrained word vectors (GloVe, word2vec, fastText `.vec` text files) matched to a vocabulary, to
start the token embeddings from. Knows nothing of models: it returns a matrix and what it found."""

from __future__ import annotations

import gzip
import io
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from attncli.errors import ConfigError

if TYPE_CHECKING:
    import torch

CONTINUATION_PREFIX = "##"  # WordPiece marks pieces that continue a word this way


@dataclass(frozen=True)
class PretrainedVectors:
    matrix: torch.Tensor
    """(vocab_size, dim) float32: a vector for every vocabulary entry found, zeros elsewhere."""
    found: torch.Tensor
    """(vocab_size,) bool: which rows came from the file."""
    path: str

    @property
    def dim(self) -> int:
        return self.matrix.size(1)

    def coverage(self, special_ids: set[int]) -> tuple[int, int]:
        """(found, of): vocabulary entries found among those that are not special tokens."""
        regular = [row for row in range(self.found.numel()) if row not in special_ids]
        return sum(bool(self.found[row]) for row in regular), len(regular)


def _open_text(path: Path) -> io.TextIOBase:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", errors="replace")
    return path.open(encoding="utf-8", errors="replace")


def _lookup_keys(token: str) -> Iterator[str]:
    """The words a vocabulary entry may be found under, best first: itself, lowercased, and for a
    WordPiece continuation `##x`, the piece x (and its lowercase)."""
    yield token
    yield token.lower()
    if token.startswith(CONTINUATION_PREFIX) and len(token) > len(CONTINUATION_PREFIX):
        piece = token[len(CONTINUATION_PREFIX) :]
        yield piece
        yield piece.lower()


def _parse_line(line: str, path: Path, number: int, dim: int | None) -> tuple[str, list[float]] | None:
    """(word, vector) of one line, or None for a word2vec header line ("count dim")."""
    parts = line.rstrip("\n").rstrip(" ").split(" ")
    if number == 1 and len(parts) == 2 and all(part.isdigit() for part in parts):
        return None
    try:
        vector = [float(value) for value in parts[1:]]
    except ValueError as error:
        raise ConfigError(
            f"line {number} of {path} is not 'word value value ...' ({error}); "
            "model.embeddings_init takes a GloVe or word2vec text file"
        ) from error
    if not vector or (dim is not None and len(vector) != dim):
        raise ConfigError(
            f"line {number} of {path} has {len(vector)} values where earlier lines had {dim}; "
            "the vectors file is damaged or not a GloVe/word2vec text file"
        )
    return parts[0], vector


def require_vectors_file(path: str | None) -> None:
    """Refuse a model.embeddings_init that names no file, before any data loads."""
    if path is not None and not Path(path).expanduser().is_file():
        raise ConfigError(
            f"model.embeddings_init {path} does not exist; pass a GloVe or word2vec .txt/.vec file"
        )


def load_vectors(path: str | Path, vocabulary: dict[str, int]) -> PretrainedVectors:
    """Read the vectors file once, keeping only words the vocabulary (token -> id) can use. A token
    found under several keys takes the first in `_lookup_keys` order."""
    import torch

    require_vectors_file(str(path))
    path = Path(path).expanduser()
    wanted: dict[str, list[tuple[int, int]]] = {}  # word -> [(token id, priority)]
    for token, token_id in vocabulary.items():
        for priority, key in enumerate(dict.fromkeys(_lookup_keys(token))):
            wanted.setdefault(key, []).append((token_id, priority))
    best: dict[int, tuple[int, list[float]]] = {}  # token id -> (priority, vector)
    dim = None
    with _open_text(path) as file:
        for number, line in enumerate(file, start=1):
            if not line.strip():
                continue
            word, _, _ = line.partition(" ")
            if dim is not None and word not in wanted:
                continue  # only lines the vocabulary can use are parsed
            parsed = _parse_line(line, path, number, dim)
            if parsed is None:
                continue
            word, vector = parsed
            dim = dim or len(vector)
            for token_id, priority in wanted.get(word, []):
                if token_id not in best or priority < best[token_id][0]:
                    best[token_id] = (priority, vector)
    if dim is None:
        raise ConfigError(f"model.embeddings_init {path} holds no vectors")
    matrix = torch.zeros(len(vocabulary), dim)
    found = torch.zeros(len(vocabulary), dtype=torch.bool)
    for token_id, (_, vector) in best.items():
        matrix[token_id] = torch.tensor(vector)
        found[token_id] = True
    return PretrainedVectors(matrix=matrix, found=found, path=str(path))


def initialise_embeddings(embedding: torch.Tensor, vectors: PretrainedVectors, *, pad_id: int) -> None:
    """Copy the found vectors into `embedding` (vocab_size, dim) in place, rescaled by one factor so
    their spread matches the model's initial embeddings (std 1/sqrt(dim)); directions and relative
    lengths are kept. Rows not found keep their random start; the padding row stays zero."""
    import torch

    found = vectors.found.clone()
    found[pad_id] = False
    if not bool(found.any()):
        return
    rows = vectors.matrix[found]
    scale = (1.0 / math.sqrt(vectors.dim)) / float(rows.std().clamp(min=1e-12))
    with torch.no_grad():
        embedding[found] = (rows * scale).to(embedding.dtype)
