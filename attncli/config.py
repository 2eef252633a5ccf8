"""Typed settings for a run: one frozen dataclass per concern, composed into `Config`.

Settings come from the defaults, then a YAML file, then `--set key=value` overrides, then explicit
command-line options (attncli/config_loading.py reads them; attncli/settings.py types them). The
model's kinds are checked against the model registry (which imports torch); nothing else here does.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from attncli.errors import ConfigError

TOKENIZER_KINDS = ("wordpiece", "bpe", "unigram", "word")
ATTENTION_IMPLS = ("fused", "explicit")
DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("auto", "fp32", "bf16", "fp16")


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
}
SIZED_KEYS = tuple(UNSIZED_VALUES)
# The settings found in the data where they are empty; `auto` asks for that too, as for sized ones.
DETECTED_KEYS = ("data.text_column", "data.label_column")


def min_frequency_for(kind: str) -> int:
    """The sized tokenizer.min_frequency: a word tokenizer keeps every word, even one seen once."""
    return 1 if kind == "word" else 2


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


def _require_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    _require(value in choices, f"{name} must be one of {', '.join(choices)}, not {value!r}")


@dataclass(frozen=True)
class DataConfig:
    source: str | None = None
    """The dataset: a Hugging Face Hub name, a csv/tsv/json/jsonl/parquet/arrow file, or a folder."""
    config: str | None = None
    """The Hub dataset's configuration name, for datasets that have several."""
    text_column: str | None = None
    """Column holding the text (data.text: a field of nested JSON records); detected when left empty."""
    label_column: str | None = None
    """Column holding the label (a dotted path like text_column); detected when left empty."""
    validation_fraction: float = 0.1
    """Share of train carved out (stratified) as validation when the data has no validation split."""
    split_seed: int = 0
    """Seed of the validation carve, so eval can rebuild the same split."""
    encoding: str = "utf-8"
    """Encoding of local csv/tsv/json/jsonl files (latin-1, cp1252, ...: any Python codec name)."""
    delimiter: str | None = None
    """Column separator of csv/tsv files, one character (\\t or tab: a tab); empty: a comma (.csv) or
    tab (.tsv), unless the header line has none but has one of ; tab | (an Excel export)."""
    drop_invalid: bool = False
    """Leave out rows with no text (missing, empty or blank) or no label, saying how many, instead
    of stopping at the first."""

    def __post_init__(self) -> None:
        if self.delimiter in ("\\t", "tab"):  # how a tab is typed on a command line
            object.__setattr__(self, "delimiter", "\t")
        _require(
            self.delimiter is None or (len(self.delimiter) == 1 and self.delimiter not in '"\r\n'),
            f"data.delimiter must be one character other than a quote or line end (for example ';', "
            f"'|' or \\t for a tab), not {self.delimiter!r}",
        )
        try:
            "a".encode(self.encoding)
        except (LookupError, UnicodeError):  # unknown, or one that encodes nothing ("undefined")
            from attncli.encodings import unknown_encoding_advice

            raise ConfigError(
                f"data.encoding {self.encoding!r} is not a text encoding Python knows; "
                + unknown_encoding_advice(self.encoding)
            ) from None
        _require(
            0.0 < self.validation_fraction < 1.0,
            f"data.validation_fraction must be between 0 and 1, not {self.validation_fraction}",
        )


@dataclass(frozen=True)
class TokenizerConfig:
    kind: str | None = None
    """Tokenizer model trained on the training texts: wordpiece, bpe, unigram or word (empty: word on
    small data whose every word fits in the vocabulary, else wordpiece)."""
    vocab_size: int = 16000
    """Largest vocabulary the tokenizer may learn, special tokens included."""
    min_frequency: int | None = None
    """Rarest a token may be (in training texts) to enter the vocabulary (empty: 1 for word, else 2)."""
    lowercase: bool = True
    """Lowercase text after NFKC normalisation."""
    path: str | None = None
    """An existing tokenizer.json to use instead of training one."""

    def __post_init__(self) -> None:
        if self.kind is not None:
            _require_choice("tokenizer.kind", self.kind, TOKENIZER_KINDS)
        _require(
            self.vocab_size >= 10,
            f"tokenizer.vocab_size must be at least 10, not {self.vocab_size}",
        )
        _require(
            self.min_frequency is None or self.min_frequency >= 1,
            "tokenizer.min_frequency must be at least 1",
        )
        _require_path_or_none("tokenizer.path", self.path, "a tokenizer.json")


@dataclass(frozen=True)
class ModelConfig:
    embed_dim: int | None = None
    """Width of token embeddings and of every attention block (empty: 64, 128 or 256 by data size)."""
    num_heads: int = 4
    """Attention heads per block; must divide embed_dim."""
    num_layers: int | None = None
    """Self-attention blocks before pooling (0 pools the embeddings directly; empty: by data size)."""
    ff_dim: int = 256
    """Hidden width of each block's feed-forward layer."""
    dropout: float | None = None
    """Dropout on embeddings, block outputs and the pooled vector (empty: 0.5 on small data, else 0.3)."""
    attention_dropout: float = 0.0
    """Dropout on self-attention probabilities; above 0 it rules out the fast fused CPU kernel."""
    max_length: int | None = None
    """Longest input in tokens; longer texts are truncated (empty: room for 99% of the training
    texts, at most 512)."""
    positional: str = "sinusoidal"
    """Positional encoding: none, sinusoidal, learned, segment, relative, rope or alibi."""
    max_relative_distance: int = 16
    """Largest distance |j - i| the relative encoding tells apart; farther ones share its vector."""
    segment_length: int = 64
    """Tokens per segment of the segment encoding."""
    attention: str = "scaled_dot"
    """Scoring of query against key, in self-attention and pooling: dot, scaled_dot or additive."""
    attention_impl: str = "fused"
    """fused: torch's fused kernel where the scoring allows (dot, scaled_dot); explicit: softmax(scores)V."""
    pooling: str = "attention"
    """How the token states become one vector: attention, cls, mean or max."""
    pooling_attention: str | None = None
    """Scoring of attention pooling when it should differ from model.attention."""
    pooling_heads: int | None = None
    """Heads of attention pooling; must divide embed_dim (empty: heads of width 4 when training;
    checkpoints that saved it empty use model.num_heads)."""
    embeddings_init: str | None = None
    """A GloVe or word2vec text file (.txt, .vec, optionally .gz) to start the token embeddings from."""
    freeze_embeddings: bool = False
    """Keep the pretrained token embeddings fixed during training."""

    def needs_a_layer(self) -> bool:
        """Whether the positions (rope, relative, alibi) or the pooling (cls) need self-attention."""
        from attncli.model.registry import POOLING, POSITIONAL

        needs = POSITIONAL.get(self.positional), POOLING.get(self.pooling)
        return bool(needs[0] and needs[0].acts_in_attention) or bool(needs[1] and needs[1].uses_cls_token)

    def __post_init__(self) -> None:
        from attncli.model.registry import POOLING, POSITIONAL, SCORING

        for name in (
            "embed_dim",
            "num_heads",
            "ff_dim",
            "max_length",
            "max_relative_distance",
            "segment_length",
        ):
            value = getattr(self, name)
            _require(value is None or value >= 1, f"model.{name} must be at least 1")
        _require(self.num_layers is None or self.num_layers >= 0, "model.num_layers must be 0 or more")
        for name in ("num_heads", "pooling_heads"):
            heads = getattr(self, name)
            _require(heads is None or heads >= 1, f"model.{name} must be at least 1")
            # Without self-attention layers num_heads is unused: training sizes the pooling's heads
            # when they are not given (only checkpoints saved before that count them by num_heads,
            # and were checked when saved). With the layers left to sizing, it is checked once sized,
            # unless the positions or the pooling need a layer whatever the data.
            unused = name == "num_heads" and (
                self.num_layers == 0 or (self.num_layers is None and not self.needs_a_layer())
            )
            _require(
                heads is None or self.embed_dim is None or unused or self.embed_dim % heads == 0,
                f"model.embed_dim ({self.embed_dim}) must be divisible by model.{name} ({heads})",
            )
        for name in ("dropout", "attention_dropout"):
            value = getattr(self, name)
            _require(value is None or 0.0 <= value < 1.0, f"model.{name} must be in [0, 1), not {value}")
        _require_choice("model.positional", self.positional, tuple(POSITIONAL))
        _require_choice("model.attention", self.attention, tuple(SCORING))
        if self.pooling_attention is not None:
            _require_choice("model.pooling_attention", self.pooling_attention, tuple(SCORING))
        _require_choice("model.attention_impl", self.attention_impl, ATTENTION_IMPLS)
        _require_choice("model.pooling", self.pooling, tuple(POOLING))
        if self.num_layers == 0:
            _require(
                not POSITIONAL[self.positional].acts_in_attention,
                f"model.positional={self.positional} acts inside self-attention, and model.num_layers=0 "
                "has none, so the model would be blind to order; use sinusoidal, learned or segment, "
                "or num_layers of 1 or more",
            )
            _require(
                not POOLING[self.pooling].uses_cls_token,
                "model.pooling=cls with model.num_layers=0 would see only the classification token; "
                "use attention, mean or max pooling, or num_layers of 1 or more",
            )
        _require(
            self.positional != "rope"
            or self.embed_dim is None
            or (self.embed_dim // self.num_heads) % 2 == 0,
            f"model.positional=rope rotates pairs of dimensions, so each head's width "
            f"({(self.embed_dim or 0) // self.num_heads}) must be even; change embed_dim or num_heads",
        )
        _require_path_or_none(
            "model.embeddings_init", self.embeddings_init, "a GloVe or word2vec .txt/.vec file"
        )
        _require(
            not self.freeze_embeddings or self.embeddings_init is not None,
            "model.freeze_embeddings keeps pretrained embeddings fixed; set model.embeddings_init too",
        )

    # The sized settings as the model reads them: the sized value, or UNSIZED_VALUES' where empty.
    @property
    def width(self) -> int:
        """embed_dim."""
        return _sized(self.embed_dim, "model.embed_dim")

    @property
    def layers(self) -> int:
        """num_layers."""
        return _sized(self.num_layers, "model.num_layers")

    @property
    def pooling_head_count(self) -> int:
        """Heads of attention pooling: pooling_heads, else (a checkpoint that saved it empty) one per
        attention head."""
        return self.pooling_heads or self.num_heads

    @property
    def dropout_rate(self) -> float:
        """dropout."""
        return _sized(self.dropout, "model.dropout")

    @property
    def length(self) -> int:
        """max_length."""
        return _sized(self.max_length, "model.max_length")


@dataclass(frozen=True)
class TrainConfig:
    epochs: int | None = None
    """Most passes over the training split; training stops earlier when validation stops improving
    (empty: enough passes to see about 3M words, from 4 to 20, or more where 20 passes over small
    data are under 1,000 optimisation steps)."""
    patience: int | None = None
    """Epochs without a better epoch (higher validation macro-F1, or equal at a lower validation loss)
    before training stops (0: train every epoch; empty: 3, or as many as make 150 steps on small data)."""
    batch_size: int = 32
    """Texts per optimisation step."""
    lr: float = 3e-3
    """Peak learning rate of AdamW, reached after warmup."""
    weight_decay: float = 0.01
    """AdamW weight decay (not applied to biases, norms or embeddings)."""
    warmup_ratio: float = 0.1
    """Share of all steps spent warming the learning rate up linearly from zero."""
    grad_clip: float = 1.0
    """Largest gradient norm before clipping (0 turns clipping off)."""
    label_smoothing: float = 0.0
    """Label smoothing of the cross-entropy loss."""
    class_weights: str | list[float] | None = None
    """Loss weight per label: auto (inverse frequency in train), a list in label order, or empty (all 1)."""
    device: str = "auto"
    """auto (cuda, then mps, then cpu), cpu, cuda or mps."""
    precision: str = "auto"
    """auto, fp32, bf16 or fp16 (fp16 needs CUDA)."""
    seed: int = 0
    """Seed for weight initialisation, dropout and shuffling."""
    token_dropout: float = 0.0
    """Share of training tokens replaced by the unknown token at each step (0: none)."""
    outlier_rows: int = 4
    """Made-up gibberish texts added to each step and trained towards equal probabilities, so text
    the model cannot read gets no confident label (0: none)."""
    outlier_weight: float = 0.1
    """Weight of the outlier texts' loss (cross-entropy to equal probabilities) beside the batch's."""
    calibrate: bool = True
    """Fit a temperature on the validation split so that predicted probabilities match accuracy."""
    tensorboard: bool = False
    """Also write TensorBoard events to OUTPUT/tensorboard (needs pip install 'attncli[tensorboard]')."""

    def __post_init__(self) -> None:
        _require(
            self.epochs is None or self.epochs >= 1, f"train.epochs must be at least 1, not {self.epochs}"
        )
        patience = self.patience
        _require(patience is None or patience >= 0, f"train.patience must be 0 or more, not {patience}")
        if isinstance(self.class_weights, str):
            _require(
                self.class_weights == "auto", "train.class_weights must be auto, a list of numbers, or empty"
            )
        elif self.class_weights is not None:
            _require(
                all(weight > 0 for weight in self.class_weights),
                f"train.class_weights must all be positive, not {self.class_weights}",
            )
        _require(self.batch_size >= 1, f"train.batch_size must be at least 1, not {self.batch_size}")
        _require(self.outlier_rows >= 0, f"train.outlier_rows must be 0 or more, not {self.outlier_rows}")
        _require(
            self.outlier_weight >= 0, f"train.outlier_weight must be 0 or more, not {self.outlier_weight}"
        )
        _require(self.lr > 0, f"train.lr must be positive, not {self.lr}")
        _require(0.0 <= self.warmup_ratio < 1.0, "train.warmup_ratio must be in [0, 1)")
        _require(self.grad_clip >= 0, "train.grad_clip must be 0 or more")
        _require(0.0 <= self.label_smoothing < 1.0, "train.label_smoothing must be in [0, 1)")
        _require(0.0 <= self.token_dropout < 1.0, "train.token_dropout must be in [0, 1)")
        _require(self.weight_decay >= 0, "train.weight_decay must be 0 or more")
        _require_choice("train.device", self.device, DEVICES)
        _require_choice("train.precision", self.precision, PRECISIONS)

    @property
    def max_epochs(self) -> int:
        """epochs, as the loop reads it: sized, or UNSIZED_VALUES' where empty."""
        return _sized(self.epochs, "train.epochs")

    @property
    def epochs_of_patience(self) -> int:
        """patience, as the loop reads it: sized, or UNSIZED_VALUES' where empty."""
        return _sized(self.patience, "train.patience")

    def warmup_steps(self, train_rows: int) -> int:
        """Steps of the learning rate's linear warmup, on `train_rows` training texts."""
        steps_per_epoch = math.ceil(train_rows / self.batch_size)
        return int(self.warmup_ratio * steps_per_epoch * self.max_epochs)


def _require_path_or_none(key: str, path: str | None, what: str) -> None:
    """An empty path (`""` in a YAML file) named the working folder: "is a folder", or "does not
    exist", about a name the error could not show."""
    _require(path is None or path.strip() != "", f"{key} is empty; give the path of {what}, or leave it out")


def _sized(value: Any, key: str) -> Any:
    return UNSIZED_VALUES[key] if value is None else value


@dataclass(frozen=True)
class Config:
    data: DataConfig = field(default_factory=DataConfig)
    tokenizer: TokenizerConfig = field(default_factory=TokenizerConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Config:
        from attncli.settings import flatten, with_settings

        return with_settings(Config(), flatten(values))


def load_config(
    path: str | Path | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    options: dict[str, Any] | None = None,
) -> Config:
    """Defaults, then the YAML file at `path`, then `key=value` overrides, then `options`. The
    Python API's way in, where it has always been; config_loading reads the files and settings."""
    from attncli import config_loading  # which builds on the dataclasses above

    return config_loading.load_config(path, overrides, options)
