"""Typed settings for a run: one frozen dataclass per concern, composed into `Config`.

Settings come from the defaults, then a YAML file, then `--set key=value` overrides, then explicit
command-line options (attncli/config_loading.py reads them; attncli/settings.py types them). The
model section is attncli/model_config.py's, the checks every section runs attncli/config_checks.py's,
and the sized settings' empty values attncli/sized_settings.py's.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from attncli.config_checks import require, require_choice, require_path_or_none, typed_fields
from attncli.errors import ArgumentError, ConfigError
from attncli.joined_columns import SEPARATOR
from attncli.local_paths import local_path
from attncli.model_config import ModelConfig
from attncli.sized_settings import sized

TOKENIZER_KINDS = ("wordpiece", "bpe", "unigram", "word")
DEVICES = ("auto", "cpu", "cuda", "mps")
ONE_GPU = re.compile(r"cuda:\d+")  # one GPU by its number, as torch names it


def is_device_name(name: str) -> bool:
    """One of DEVICES, or cuda:N."""
    return name in DEVICES or ONE_GPU.fullmatch(name) is not None


PRECISIONS = ("auto", "fp32", "bf16", "fp16")
# Seeds within 2**62 either way leave room for what a run adds to them, within torch's 64 bits.
SEED_LIMIT = 2**62


@dataclass(frozen=True)
class DataConfig:
    source: str | None = None
    """The dataset: a Hugging Face Hub name, a csv/tsv/json/jsonl/parquet/arrow file, or a folder."""
    config: str | None = None
    """The Hub dataset's configuration name, for datasets that have several."""
    text_column: str | None = None
    """Column holding the text (data.text: a field of nested JSON records); detected when left empty.
    Several, comma-separated (title,body) or a list in a config file, are read as one text, joined
    in that order, a line each."""
    label_column: str | None = None
    """Column holding the label (a dotted path like text_column); detected when left empty."""
    validation_file: str | None = None
    """A file of validation rows (csv/tsv/json/jsonl/parquet/arrow, read as the data is) for data with
    no validation split of its own: early stopping, the best epoch and the temperature are chosen on
    it, where they are otherwise chosen on a share of train held out."""
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
        names = self.text_column
        if isinstance(names, (list, tuple)) and all(isinstance(name, str) for name in names):
            # text_column: [title, body] in a config file, as --text-column title,body writes it
            require(
                bool(names) and not any(SEPARATOR in name or not name.strip() for name in names),
                f"data.text_column {list(names)!r}: list the text columns to join by their names, none of "
                "them empty or holding a comma (a column of that name cannot be joined with others)",
            )
            object.__setattr__(self, "text_column", SEPARATOR.join(name.strip() for name in names))
        typed_fields(self, "data")
        require_path_or_none("data.validation_file", self.validation_file, "a file of validation rows")
        if self.validation_file is not None and (where := local_path(self.validation_file)).is_file():
            # Kept whole, so that eval finds the file from any folder (data.source's absolute path is
            # the checkpoint's data_path).
            object.__setattr__(self, "validation_file", str(where.resolve()))
        if self.delimiter in ("\\t", "tab"):  # how a tab is typed on a command line
            object.__setattr__(self, "delimiter", "\t")
        require(
            self.delimiter is None or (len(self.delimiter) == 1 and self.delimiter not in '"\r\n'),
            f"--delimiter (data.delimiter) must be one character other than a quote or line end (for "
            f"example ';', '|' or \\t for a tab), not {self.delimiter!r}",
        )
        try:
            "a".encode(self.encoding)
        except (LookupError, UnicodeError):  # unknown, or one that encodes nothing ("undefined")
            from attncli.encodings import unknown_encoding_advice

            raise ConfigError(
                f"--encoding (data.encoding) {self.encoding!r} is not a text encoding Python knows; "
                + unknown_encoding_advice(self.encoding)
            ) from None
        require(
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
    strip_accents: bool = False
    """Read Latin and Greek letters without their accents (devolución as devolucion), so that a text
    typed without them (on a phone, say) reads the same words; off by default, since in some
    languages written in Latin letters (Vietnamese) the accents tell words apart."""
    strip_html: bool = False
    """Read HTML left in scraped text as what it shows: each tag (`<br />`, `<i>`) as a space, each
    common character reference (`&amp;`, `&#39;`, `&nbsp;`) as its character; the heatmap still
    shows the text as written. Off by default, since markup can tell texts apart (a spam filter's)."""
    split_ideographs: bool | None = None
    """Read each CJK ideograph as a word of its own, as BERT does, so that a tokenizer learns no piece
    of two or more (empty: true for word and wordpiece, which refuse false: their words would be whole
    Chinese clauses; false for bpe and unigram, which learn pieces such as 不错 and 喜欢 above the
    characters)."""
    path: str | None = None
    """An existing tokenizer.json to use instead of training one."""

    def __post_init__(self) -> None:
        typed_fields(self, "tokenizer")
        if self.kind is not None:
            require_choice("tokenizer.kind", self.kind, TOKENIZER_KINDS)
        require(
            self.vocab_size >= 10,
            f"tokenizer.vocab_size must be at least 10, not {self.vocab_size}",
        )
        require(
            self.min_frequency is None or self.min_frequency >= 1,
            f"tokenizer.min_frequency must be at least 1, not {self.min_frequency}",
        )
        require_path_or_none("tokenizer.path", self.path, "a tokenizer.json")
        # A word tokenizer would keep whole clauses as words; WordPiece reads a word it cannot spell
        # from its pieces (a character it never saw inside a word) as one unknown token: a clause.
        require(
            not (self.kind in ("word", "wordpiece") and self.split_ideographs is False),
            f"tokenizer.split_ideographs=false reads a run of CJK ideographs as one word, which "
            f"tokenizer.kind={self.kind} would read whole or as one unknown token; use tokenizer.kind=bpe "
            "or unigram with it",
        )
        require(
            not (self.strip_html and self.path),
            "tokenizer.strip_html shapes a tokenizer attn trains, and tokenizer.path's is used as it is; "
            "drop one of them",
        )


@dataclass(frozen=True)
class TrainConfig:
    epochs: int | None = None
    """Most passes over the training split; training stops earlier when validation stops improving
    (empty: enough passes to see about 3M words, from 4 to 20, or more where 20 passes over small
    data are under 1,000 optimisation steps)."""
    patience: int | None = None
    """Epochs without a better epoch (higher validation macro-F1, or equal at a validation loss lower by
    over 1e-4) before training stops (0: train every epoch; empty: 3, or as many as make 150 steps on
    small data)."""
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
    # Left out of the hash (not of ==): a list or a mapping cannot be hashed, and every other
    # setting can, so that a Config of given weights is a dict key and a cache argument as any is.
    class_weights: str | list[float] | dict[str, float] | None = field(default=None, hash=False)
    """Loss weight per label: auto (inverse frequency in train), a list in label order, a mapping of
    labels to weights (the others 1), or empty (all 1)."""
    device: str = "auto"
    """auto (cuda, then mps, then cpu), cpu, cuda or mps."""
    precision: str = "auto"
    """auto, fp32, bf16 or fp16 (fp16 needs CUDA)."""
    seed: int = 0
    """Seed for weight initialisation, dropout and shuffling."""
    token_dropout: float = 0.0
    """Share of training tokens replaced by the unknown token at each step (0: none)."""
    rare_word_dropout: float | None = None
    """alpha of rare-word dropout: each training occurrence of a token seen c times in training is
    read as the unknown token with probability alpha / (alpha + c), so that an unseen word among
    known ones is read as no evidence (0: none; empty: 0.25 for models without self-attention
    blocks, else 0; see attncli/rare_words.py)."""
    subword_dropout: float | None = None
    """Chance, at each training step, that a piece of a subword tokenizer is split into the two
    pieces it was made from (and those again), so that every piece's embedding is trained and a
    word form training lacked is read through the pieces it shares with those it had (BPE-dropout;
    0: none; no effect on a word tokenizer; empty: 0.1 where a quarter of the letters or more are
    of scripts that attach affixes to their words, Korean, Arabic, Hebrew and those of India, else
    0)."""
    adversarial: float | None = None
    """Adversarial training on the token embeddings (Miyato et al., 2017): each step also trains on
    its texts with their embeddings moved, by this many times a typical token embedding's length in
    all, in the direction that raises the loss most, reached at the end of the warmup; each step
    then does about twice the work (0: off; empty: 1 below 100k training words for models
    without self-attention blocks, else 0)."""
    refit_epochs: int | None = None
    """Epochs trained once training has chosen its best epoch (stopped early or at train.epochs) on
    every training row, the validation rows held out of train included, from the best epoch's model,
    with the learning rate falling from a third of train.lr to 0; best/ then holds the refitted
    model, with the best epoch's validation scores and temperature (0: off; empty: 4 below 100k
    training words, else 0; only where the validation rows were held out of train)."""
    outlier_rows: int = 4
    """Made-up gibberish texts added to each step and trained towards equal probabilities, so text
    the model cannot read gets no confident label (0: none)."""
    outlier_weight: float = 0.1
    """Weight of the outlier texts' loss (cross-entropy to equal probabilities) beside the batch's."""
    calibrate: bool = True
    """Fit a temperature on the validation split so that predicted probabilities match accuracy."""
    tensorboard: bool = False
    """Also write TensorBoard events to OUTPUT/tensorboard (needs pip install 'tensorboard>=2.14')."""

    def _check_class_weights(self) -> None:
        weights = self.class_weights
        if isinstance(weights, str) and weights.strip().lower() == "auto":
            object.__setattr__(self, "class_weights", "auto")
        elif isinstance(weights, str):
            # `--set train.class_weights=1,4,1` (no brackets) reads as text
            number = r"[-+]?[\d.]+(?:[eE][-+]?\d+)?"
            listed = re.fullmatch(rf"\s*\[?\s*(?:{number}(?:\s*,\s*|\s+))+{number}\s*\]?\s*", weights)
            inside = ", ".join(re.split(r"[\s,]+", weights.strip(" []")))
            hint = f"; write a list in brackets: --set 'train.class_weights=[{inside}]'" if listed else ""
            if weights.strip().startswith("{"):  # a mapping YAML could not read: `{History: Europe: 4}`
                hint = (
                    "; it reads as no mapping: quote each label that holds a colon, a comma or a bracket, "
                    """as YAML needs: --set 'train.class_weights={"History: Europe": 4}'"""
                )
            raise ConfigError(
                "train.class_weights must be auto, a list of weights in label order ([1, 4, 1]), a mapping "
                f"of labels to weights ({{tech: 4}}, the others 1), or null (all 1), not {weights!r}{hint}"
            )
        elif weights is not None:
            require(len(weights) > 0, "train.class_weights is empty; give weights, or null for all 1")
            values = list(weights.values()) if isinstance(weights, dict) else weights
            positive = all(weight > 0 for weight in values)
            require(positive, f"train.class_weights must all be positive, not {weights}")

    def __post_init__(self) -> None:
        typed_fields(self, "train")
        # Names read in any case, as --format's are: `--precision FP32` was refused where `--format
        # CSV` was taken (a trial).
        for name in ("device", "precision"):
            if isinstance(value := getattr(self, name), str):
                object.__setattr__(self, name, value.lower())
        require(
            self.epochs is None or self.epochs >= 1, f"train.epochs must be at least 1, not {self.epochs}"
        )
        patience = self.patience
        require(patience is None or patience >= 0, f"train.patience must be 0 or more, not {patience}")
        self._check_class_weights()
        require(self.batch_size >= 1, f"train.batch_size must be at least 1, not {self.batch_size}")
        adversarial = self.adversarial
        require(
            adversarial is None or adversarial >= 0, f"train.adversarial must be 0 or more, not {adversarial}"
        )
        refit = self.refit_epochs
        require(refit is None or refit >= 0, f"train.refit_epochs must be 0 or more, not {refit}")
        require(self.outlier_rows >= 0, f"train.outlier_rows must be 0 or more, not {self.outlier_rows}")
        require(
            self.outlier_weight >= 0, f"train.outlier_weight must be 0 or more, not {self.outlier_weight}"
        )
        require(self.lr > 0, f"train.lr must be positive, not {self.lr}")
        # torch takes seeds within 64 bits, and a run adds to its seed (each process's, each
        # resumed step's): 2**64 was "ValueError: Overflow when unpacking long long", exit 1.
        require(
            abs(self.seed) < SEED_LIMIT,
            f"train.seed must be a whole number between -{SEED_LIMIT:,} and {SEED_LIMIT:,}, not {self.seed}",
        )
        require(0.0 <= self.warmup_ratio < 1.0, "train.warmup_ratio must be in [0, 1)")
        require(self.grad_clip >= 0, "train.grad_clip must be 0 or more")
        require(0.0 <= self.label_smoothing < 1.0, "train.label_smoothing must be in [0, 1)")
        require(0.0 <= self.token_dropout < 1.0, "train.token_dropout must be in [0, 1)")
        rare = self.rare_word_dropout
        require(
            rare is None or 0.0 <= rare < math.inf, f"train.rare_word_dropout must be 0 or more, not {rare}"
        )
        subword = self.subword_dropout
        require(subword is None or 0.0 <= subword < 1.0, "train.subword_dropout must be in [0, 1)")
        require(self.weight_decay >= 0, "train.weight_decay must be 0 or more")
        require(
            is_device_name(self.device),
            f"train.device must be one of {', '.join(DEVICES)} or cuda:N (one GPU by its number), "
            f"not {self.device!r}",
        )
        require_choice("train.precision", self.precision, PRECISIONS)

    @property
    def max_epochs(self) -> int:
        """epochs, as the loop reads it: sized, or UNSIZED_VALUES' where empty."""
        return sized(self.epochs, "train.epochs")

    @property
    def epochs_of_patience(self) -> int:
        """patience, as the loop reads it: sized, or UNSIZED_VALUES' where empty."""
        return sized(self.patience, "train.patience")

    @property
    def adversarial_epsilon(self) -> float:
        """adversarial, as the training step reads it: sized, or UNSIZED_VALUES' where empty."""
        return float(sized(self.adversarial, "train.adversarial"))

    @property
    def rare_word_alpha(self) -> float:
        """rare_word_dropout, as the training step reads it: sized, or UNSIZED_VALUES' where empty."""
        return float(sized(self.rare_word_dropout, "train.rare_word_dropout"))

    @property
    def subword_dropout_rate(self) -> float:
        """subword_dropout, as the training step reads it: sized, or UNSIZED_VALUES' where empty."""
        return float(sized(self.subword_dropout, "train.subword_dropout"))

    @property
    def refit_epoch_count(self) -> int:
        """refit_epochs, as training reads it: sized, or UNSIZED_VALUES' where empty."""
        return int(sized(self.refit_epochs, "train.refit_epochs"))

    def warmup_steps(self, train_rows: int) -> int:
        """Steps of the learning rate's linear warmup, on `train_rows` training texts."""
        steps_per_epoch = math.ceil(train_rows / self.batch_size)
        return int(self.warmup_ratio * steps_per_epoch * self.max_epochs)


@dataclass(frozen=True)
class Config:
    data: DataConfig = field(default_factory=DataConfig)
    tokenizer: TokenizerConfig = field(default_factory=TokenizerConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def __post_init__(self) -> None:
        # `Config(train={"epochs": 2})` went unchecked into training: each section is its own class.
        sections: dict[str, type] = {
            "data": DataConfig, "tokenizer": TokenizerConfig, "model": ModelConfig, "train": TrainConfig,
        }  # fmt: skip
        for name, kind in sections.items():
            if not isinstance(getattr(self, name), kind):
                given = type(getattr(self, name)).__name__
                raise ArgumentError(
                    f"Config.{name} takes a {kind.__name__}, not a {given}; pass {kind.__name__}(...), "
                    "or build the whole config with Config.from_dict or load_config"
                )

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
