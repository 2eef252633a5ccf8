"""Which settings a run sizes to its data (attncli/sizing.py chooses them) or detects in it, and the
value each sized setting takes while it is still empty."""

from __future__ import annotations

from typing import Any

# The settings a run sizes to its data (attncli/sizing.py), each empty (None) by default, and the
# value each takes where it is still empty: in a model built without data (tests, library use), and
# in checkpoints saved before sizing existed, for which these were the defaults.
UNSIZED_VALUES: dict[str, Any] = {
    "tokenizer.kind": "wordpiece",
    "tokenizer.min_frequency": 2,
    "model.embed_dim": 128,
    "model.num_layers": 1,
    "model.dropout": 0.1,
    "model.pooling_heads": None,  # empty: one pooling head per attention head (model.num_heads)
    "model.max_length": 256,
    "train.epochs": 10,
    "train.patience": 3,
    "train.adversarial": 0.0,
    "train.refit_epochs": 0,
    "train.subword_dropout": 0.0,
    "train.rare_word_dropout": 0.0,
}
SIZED_KEYS = tuple(UNSIZED_VALUES)
# The settings found in the data where they are empty; `auto` asks for that too, as for sized ones.
DETECTED_KEYS = ("data.text_column", "data.label_column")


def min_frequency_for(kind: str) -> int:
    """The sized tokenizer.min_frequency: a word tokenizer keeps every word, even one seen once."""
    return 1 if kind == "word" else 2


def sized(value: Any, key: str) -> Any:
    return UNSIZED_VALUES[key] if value is None else value
