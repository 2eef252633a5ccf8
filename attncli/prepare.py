"""Everything a run needs before its first step: data, tokenizer, packed token ids (`prepare`), and
the model, optimizer, schedule and scaler as a fresh `TrainState` (`build_state`)."""

from __future__ import annotations

import dataclasses
import functools
import math
import random
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attncli.config import Config, ModelConfig, TokenizerConfig
from attncli.data import load_splits
from attncli.device import precision_warning, resolve_device, resolve_precision
from attncli.distributed import SINGLE_PROCESS, Distributed
from attncli.errors import ConfigError
from attncli.info import unused_model_settings
from attncli.optimizer import AdamW, WarmupDecaySchedule, learning_rate_factor
from attncli.outliers import outlier_pool
from attncli.packing import PackedSequences
from attncli.raw_data import FILE_BUILDERS
from attncli.reporter import Reporter, RunInfo
from attncli.settings import changed_settings, settings_text
from attncli.sizing import profile_texts, size_to_data, unsized_keys
from attncli.sources import names_a_local_path
from attncli.splits import rows_digest
from attncli.tokenization import pack_ids
from attncli.tokenizer import (
    SPECIAL_TOKENS,
    UNKNOWN_TOKENS,
    fallback_id_of,
    pad_id_of,
    special_ids_of,
    tokenizer_from_json,
    train_tokenizer,
)
from attncli.train_state import TrainState
from attncli.vectors import initialise_embeddings, load_vectors

if TYPE_CHECKING:
    import torch
    from tokenizers import Tokenizer

# Frozen pretrained embeddings covering less of the vocabulary than this get a warning: the rest
# would stay random for the whole run.
FROZEN_COVERAGE = 0.5
# More of the training tokens than this unknown to the vocabulary get a warning: the model cannot
# tell those words apart (a vocab_size set far below the distinct words, or someone else's tokenizer).
UNKNOWN_SHARE_WARNED = 0.1


def unknown_tokens_warning(
    tokenizer: Tokenizer, train_ids: PackedSequences, config: TokenizerConfig
) -> str | None:
    """Why a vocabulary that reads most training words as unknown is a problem, or None."""
    unknown_id = next(
        (token_id for token in UNKNOWN_TOKENS if (token_id := tokenizer.token_to_id(token)) is not None), None
    )
    if unknown_id is None or not train_ids.ids.numel():
        return None  # byte-level vocabularies have no unknown token
    share = float((train_ids.ids == unknown_id).sum()) / train_ids.ids.numel()
    if share <= UNKNOWN_SHARE_WARNED:
        return None
    if config.path:
        remedy = (
            f"the tokenizer in {config.path} was not made for these texts: leave tokenizer.path out to "
            "train one on them"
        )
    else:
        remedies = ["raise tokenizer.vocab_size"]
        if (config.min_frequency or 1) > 1:
            remedies.append("lower tokenizer.min_frequency")
        if config.kind == "word":
            remedies.append(
                "set tokenizer.kind=wordpiece, whose pieces spell the words a vocabulary has no room for"
            )
        remedy = ", or ".join(remedies)
    vocabulary = f"vocabulary of {tokenizer.get_vocab_size(with_added_tokens=True):,}"
    return (
        f"{share:.0%} of the training tokens are {tokenizer.id_to_token(unknown_id)} to the {vocabulary}, so "
        f"the model cannot tell those words apart; {remedy}"
    )


def class_weights_of(
    setting: str | list[float] | None, labels: array, label_names: Sequence[str]
) -> list[float] | None:
    """Loss weights per label: `auto` is N / (num_labels * count), so the weights average 1 over the
    training texts; a list is checked against the labels."""
    num_labels = len(label_names)
    if setting is None:
        return None
    if setting == "auto":
        counts = [0] * num_labels
        for label in labels:
            counts[label] += 1
        return [len(labels) / (num_labels * count) if count else 0.0 for count in counts]
    assert not isinstance(setting, str), "TrainConfig accepts no other string than auto"
    if len(setting) != num_labels:
        raise ConfigError(
            f"train.class_weights has {len(setting)} weights but the data has {num_labels} labels; "
            f"give one per label, in this order: {', '.join(label_names)}"
        )
    return list(setting)


@dataclass
class Prepared:
    """The data, tokenizer and settings of a run: what `prepare` builds before any model exists."""

    config: Config
    tokenizer: Tokenizer
    label_names: list[str]
    train_ids: PackedSequences
    train_lengths: torch.Tensor
    """(N,) int32."""
    train_targets: torch.Tensor
    """(N,) int64: a view of the training labels."""
    validation_ids: PackedSequences
    validation_labels: array
    device: torch.device
    precision: str
    class_weights: list[float] | None
    data_path: str | None
    """The absolute path of local training data, so the run can be found from anywhere."""
    distributed: Distributed = SINGLE_PROCESS
    validation_digest: str = ""
    """`rows_digest` of the validation rows where they were held out of train, else empty."""

    @property
    def pad_id(self) -> int:
        pad_id = pad_id_of(self.tokenizer)
        assert pad_id is not None, "load_tokenizer and train_tokenizer always add a padding token"
        return pad_id

    @functools.cached_property
    def unknown_id(self) -> int:
        """The token that train.token_dropout puts in place of the tokens it hides."""
        return fallback_id_of(self.tokenizer)

    @functools.cached_property
    def data_digest(self) -> str:
        """SHA-256 of the token ids and labels of both splits and of the label names: a resumed run
        must see the data its last/ was trained on, or its validation carve and batches differ."""
        import hashlib

        digest = hashlib.sha256("\x00".join(self.label_names).encode())
        for packed in (self.train_ids, self.validation_ids):
            digest.update(packed.ids.contiguous().numpy().data)
            digest.update(packed.starts.contiguous().numpy().data)
        digest.update(self.train_targets.contiguous().numpy().data)
        digest.update(self.validation_labels)
        return digest.hexdigest()

    @functools.cached_property
    def outlier_pool(self) -> PackedSequences | None:
        """Token ids of made-up gibberish for train.outlier_rows (None when that is 0)."""
        if not self.config.train.outlier_rows:
            return None
        seed, max_length = self.config.train.seed, self.config.model.length
        return outlier_pool(self.tokenizer, seed=seed, max_length=max_length)


def prepare(
    config: Config,
    *,
    reporter: Reporter,
    tokenizer: Tokenizer | None = None,
    distributed: Distributed = SINGLE_PROCESS,
) -> Prepared:
    """Load the data, train (or take) the tokenizer and pack the token ids. Under torchrun every
    process loads the data; only rank 0 trains the tokenizer, and the others receive it."""
    import torch

    if config.train.batch_size < distributed.world_size:
        # Each process takes its share of every batch: with fewer rows than processes, none would train.
        raise ConfigError(
            f"train.batch_size {config.train.batch_size} is smaller than the {distributed.world_size} "
            f"processes that share each batch; set --batch-size {distributed.world_size} or more, "
            "or train on fewer processes"
        )
    device = resolve_device(config.train.device)
    if distributed.active and device.type == "cuda":
        device = torch.device("cuda", distributed.local_rank)
    precision = resolve_precision(config.train.precision, device)
    warning = precision_warning(precision, device)
    if warning:
        reporter.stage(f"warning: {warning}")
    for warning in model_warnings(config.model):
        reporter.stage(f"warning: {warning}")
    given = changed_settings(config)
    rest = "the rest default, or sized to the data below" if unsized_keys(config) else "the rest default"
    # A resumed run (its tokenizer given) goes on with the settings it saved, sized ones included.
    which = "settings of the run, as saved" if tokenizer is not None else "settings given"
    reporter.stage(f"{which} ({rest}; the full config is saved): {settings_text(given) or 'none'}")
    if config.data.source:
        reporter.stage(f"loading {config.data.source}")
    splits = load_splits(config.data)
    for note in splits.notes:
        reporter.stage(note)
    config = dataclasses.replace(
        config,
        data=dataclasses.replace(
            config.data, text_column=splits.text_column, label_column=splits.label_column
        ),
    )
    train_split, validation_split = splits.splits["train"], splits.splits["validation"]
    class_weights = class_weights_of(config.train.class_weights, train_split.labels, splits.label_names)
    if config.train.class_weights == "auto" and class_weights is not None:
        pairs = zip(splits.label_names, class_weights, strict=True)
        weighted = ", ".join(f"{name} {weight:.3g}" for name, weight in pairs)
        reporter.stage(f"class weights (auto: inverse frequency in train): {weighted}")
    config = _sized(config, train_split.texts, reporter=reporter)
    if (segments := one_segment_warning(config.model)) is not None:
        reporter.stage(f"warning: {segments}")
    unused = given_but_unused(config, given, carved=splits.carved)
    if unused:
        reporter.stage(f"warning: settings given that this run does not use: {'; '.join(unused)}")
    fresh = tokenizer is None
    if tokenizer is None:
        reporter.stage(
            f"using the tokenizer in {config.tokenizer.path}"
            if config.tokenizer.path
            else f"training the {config.tokenizer.kind} tokenizer on {len(train_split):,} texts"
        )
        trained = train_tokenizer(train_split.texts, config.tokenizer) if distributed.is_main else None
        shared = distributed.broadcast_text(trained.to_str() if trained else None, device=device)
        tokenizer = trained or tokenizer_from_json(shared, origin="the tokenizer rank 0 trained")
    train_ids = pack_ids(tokenizer, train_split.texts, max_length=config.model.length)
    train_lengths = train_ids.lengths().int()  # int32: 4 bytes a row
    if train_ids.truncated:
        reporter.stage(
            f"note: {train_ids.truncated:,} of {len(train_ids):,} training texts are longer than "
            f"model.max_length ({config.model.length} tokens); training reads only their first "
            f"{config.model.length} tokens"
        )
    # Said when the tokenizer is new to the run: a --resume cannot change it.
    if fresh and (unknown := unknown_tokens_warning(tokenizer, train_ids, config.tokenizer)) is not None:
        reporter.stage(f"warning: {unknown}")
    longest = int(train_lengths.max()) if len(train_split) else 0
    if config.model.positional == "learned" and config.model.length > max(64, 4 * longest):
        reporter.stage(
            f"note: model.max_length={config.model.length} is far above the longest training text "
            f"({longest} tokens): the learned position table keeps a vector for each of "
            f"{config.model.length} positions, which training never reaches past {longest}; a "
            "max_length near the texts' lengths trains fewer parameters"
        )
    source = Path(config.data.source or "").expanduser()
    return Prepared(
        config=config,
        tokenizer=tokenizer,
        label_names=splits.label_names,
        train_ids=train_ids,
        train_lengths=train_lengths,
        train_targets=torch.frombuffer(train_split.labels, dtype=torch.int64),  # a view, not a copy
        validation_ids=pack_ids(tokenizer, validation_split.texts, max_length=config.model.length),
        validation_labels=validation_split.labels,
        device=device,
        precision=precision,
        class_weights=class_weights,
        data_path=str(source.resolve()) if source.exists() else None,
        distributed=distributed,
        validation_digest=rows_digest(validation_split, splits.label_names) if splits.carved else "",
    )


def model_warnings(model: ModelConfig) -> list[str]:
    """Settings that train, but not as their names promise. Warned of rather than refused: models
    saved with them must still load."""
    warnings = []
    if model.pooling_attention is not None and model.pooling != "attention":
        warnings.append(
            f"model.pooling_attention={model.pooling_attention} scores attention pooling only; "
            f"model.pooling={model.pooling} does not use it"
        )
    if model.positional == "alibi" and model.num_heads % 2:
        warnings.append(
            f"model.positional=alibi pairs heads (one penalises keys on the left, the next keys on the "
            f"right); with model.num_heads={model.num_heads} the last head has no partner and measures "
            "distance only to keys on its left"
            + (", the model's only sense of order" if model.num_heads == 1 else "")
            + "; use an even number of heads"
        )
    if model.positional == "rope" and model.attention == "additive":
        warnings.append(
            "model.positional=rope makes a score depend on the distance j - i through the product q·k; "
            "model.attention=additive adds q and k instead, so the rotated positions enter as absolute "
            "ones; use dot or scaled_dot attention with rope"
        )
    return warnings


def one_segment_warning(model: ModelConfig) -> str | None:
    """Segment positions whose segments are no shorter than the texts (64 against headlines sized
    to 16 tokens): every text is one segment, so the model is sinusoidal positions plus one learned
    vector, and a comparison of the two compares almost the same model."""
    if model.positional != "segment" or model.segment_length < model.length:
        return None
    return (
        f"model.positional=segment with model.segment_length={model.segment_length} and "
        f"model.max_length={model.length}: every text is one segment, so segments add nothing to "
        f"sinusoidal positions; set model.segment_length below {model.length}"
    )


def given_but_unused(config: Config, given: dict[str, Any], *, carved: bool = True) -> list[str]:
    """Each setting of `given` (the user's) that the run, `config` as sized, never reads, with
    why: it was accepted and saved, and nothing said so. `carved`: whether the validation rows were
    held out of train (else the data's own validation split is used, and the carve's settings not)."""
    why: dict[str, str] = {
        f"model.{name}": reason
        for name, reason in unused_model_settings(dataclasses.asdict(config.model)).items()
        if name != "pooling_attention"  # model_warnings says it
    }
    if config.tokenizer.path is not None:
        decides = "the tokenizer in tokenizer.path is used as it is"
        why |= {f"tokenizer.{name}": decides for name in ("kind", "vocab_size", "min_frequency", "lowercase")}
    source = Path(config.data.source or "")
    if FILE_BUILDERS.get(source.suffix.lower()) in ("json", "parquet", "arrow"):
        why["data.delimiter"] = f"{source.name} is not a csv/tsv file"
    if config.data.source and (names_a_local_path(config.data.source) or source.expanduser().exists()):
        why["data.config"] = "it names a configuration of a Hub dataset, and the data is a local path"
    if not carved:
        why |= dict.fromkeys(
            ("data.validation_fraction", "data.split_seed"), "the data has a validation split"
        )
    if config.train.outlier_rows == 0:
        why["train.outlier_weight"] = "train.outlier_rows is 0"
    return [f"{key}={given[key]!r} ({why[key]})" for key in given if key in why]


def _sized(config: Config, texts: Sequence[str], *, reporter: Reporter) -> Config:
    """`config` with the settings left empty chosen from a profile of the training texts, said in
    one line. A resumed run's saved config has none left empty, and skips the profile."""
    if not unsized_keys(config):
        return config
    profile = profile_texts(
        texts,
        lowercase=config.tokenizer.lowercase,
        distinct_cap=config.tokenizer.vocab_size - len(SPECIAL_TOKENS),
    )
    config, chosen = size_to_data(config, profile)
    words = f"{profile.distinct_words:,}" if profile.all_words_fit else f"over {profile.distinct_cap:,}"
    settings = settings_text(chosen)
    reporter.stage(
        f"sized to the data ({profile.texts:,} texts, {profile.words:,} words, {words} distinct; "
        f"set any of these to override): {settings}"
    )
    return config


def _parameter_groups(model: torch.nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    """Decay weight matrices only: decaying biases, norms or embeddings hurts and buys nothing."""
    decay: list[torch.nn.Parameter] = []
    no_decay: list[torch.nn.Parameter] = []
    for name, parameter in model.named_parameters():
        if not parameter.requires_grad:  # frozen (pretrained embeddings): nothing to optimise
            continue
        matrix = parameter.dim() >= 2 and "embedding" not in name
        (decay if matrix else no_decay).append(parameter)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def _fused_optimizer(device: torch.device) -> bool:
    """Whether AdamW takes its fused kernel: on CUDA, and on the CPU from torch 2.4, where it updates
    the BBC model's 2.2M parameters in about a third of the time of the default loop over tensors."""
    import torch

    if device.type == "cuda":
        return True
    major, minor = (int(part) for part in torch.__version__.split(".")[:2])
    return device.type == "cpu" and (major, minor) >= (2, 4)


def build_state(
    prepared: Prepared, *, reporter: Reporter, token_dim: int | None = None
) -> tuple[TrainState, dict | None]:
    """A fresh model (from pretrained vectors where asked), AdamW, the schedule and the scaler;
    and what the vectors covered. `token_dim` rebuilds a resumed model without reading vectors."""
    import torch

    from attncli.model import build_model

    config, tokenizer = prepared.config, prepared.tokenizer
    random.seed(config.train.seed)
    torch.manual_seed(config.train.seed)
    vectors, coverage = None, None
    if config.model.embeddings_init and token_dim is None:
        special_ids = special_ids_of(tokenizer)
        vectors = load_vectors(
            config.model.embeddings_init, tokenizer.get_vocab(with_added_tokens=True), special_ids=special_ids
        )
        found, of = vectors.coverage(special_ids)
        coverage = {"path": vectors.path, "dim": vectors.dim, "found": found, "of": of}
        reporter.stage(
            f"pretrained vectors: {found:,} of {of:,} vocabulary entries ({found / max(of, 1):.1%}) found "
            f"in {vectors.path} ({vectors.dim} dimensions)"
        )
        token_dim = vectors.dim
        if config.model.freeze_embeddings and found < FROZEN_COVERAGE * of:
            reporter.stage(
                f"warning: model.freeze_embeddings keeps the {of - found} vocabulary entries without a "
                f"pretrained vector ({1 - found / max(of, 1):.0%}) at their random start for the whole run; "
                "use vectors of the training texts' language, or leave the embeddings trainable"
            )
        elif found < FROZEN_COVERAGE * of:
            reporter.stage(
                f"warning: only {found / max(of, 1):.1%} of the vocabulary entries have a pretrained "
                "vector, and the rest start from random ones; pass vectors of the training texts' language"
            )
    model = build_model(
        config.model,
        vocab_size=tokenizer.get_vocab_size(with_added_tokens=True),
        num_labels=len(prepared.label_names),
        pad_id=prepared.pad_id,
        token_dim=token_dim,
    )
    if vectors is not None:
        initialise_embeddings(model.token_embedding.weight, vectors, pad_id=prepared.pad_id)
    if config.model.freeze_embeddings:
        model.token_embedding.weight.requires_grad_(False)
    model.to(prepared.device)
    optimizer = AdamW(
        _parameter_groups(model, config.train.weight_decay),
        lr=config.train.lr,
        fused=_fused_optimizer(prepared.device),
    )
    steps_per_epoch = math.ceil(len(prepared.train_ids) / config.train.batch_size)
    total_steps = steps_per_epoch * config.train.max_epochs
    warmup_steps = config.train.warmup_steps(len(prepared.train_ids))
    scheduler = WarmupDecaySchedule(
        optimizer,
        lambda step: learning_rate_factor(step, total_steps=total_steps, warmup_steps=warmup_steps),
    )
    scaler = torch.amp.GradScaler(prepared.device.type, enabled=prepared.precision == "fp16")
    wrapped = None
    distributed = prepared.distributed
    if distributed.active:
        from torch.nn.parallel import DistributedDataParallel

        ids = [distributed.local_rank] if prepared.device.type == "cuda" else None
        wrapped = DistributedDataParallel(model, device_ids=ids)  # starts from rank 0's weights
        torch.manual_seed(config.train.seed + 1000 * distributed.rank)  # each rank its own dropout
    generator = torch.Generator().manual_seed(config.train.seed)
    state = TrainState(
        model=model,
        optimizer=optimizer,
        scheduler=scheduler,
        scaler=scaler,
        generator=generator,
        wrapped=wrapped,
    )
    return state, coverage


def run_info(prepared: Prepared, state: TrainState) -> RunInfo:
    return RunInfo(
        train_size=len(prepared.train_ids),
        validation_size=len(prepared.validation_ids),
        label_names=prepared.label_names,
        vocab_size=prepared.tokenizer.get_vocab_size(with_added_tokens=True),
        num_parameters=sum(parameter.numel() for parameter in state.model.parameters()),
        trainable_parameters=sum(
            parameter.numel() for parameter in state.model.parameters() if parameter.requires_grad
        ),
        device=str(prepared.device),
        precision=prepared.precision,
        epochs=prepared.config.train.max_epochs,
        label_counts=prepared.train_targets.bincount(minlength=len(prepared.label_names)).tolist(),
        processes=prepared.distributed.world_size,
    )
