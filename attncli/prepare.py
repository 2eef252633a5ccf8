"""Everything a run needs before its model exists (`prepare`): data, tokenizer, packed token ids,
class weights, and the settings sized to the data. The model and optimizer are fresh_state.py's."""

from __future__ import annotations

import dataclasses
import functools
from array import array
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

from attncli.config import Config
from attncli.data import load_splits
from attncli.device import cpu_has_native_bf16, precision_warning, resolve_device, resolve_precision
from attncli.distributed import SINGLE_PROCESS, Distributed
from attncli.errors import ConfigError, DataError
from attncli.labels import known_label_key
from attncli.local_paths import local_path
from attncli.markup import markup_alone_warning, markup_note
from attncli.out_of_memory import available_memory
from attncli.outliers import outlier_pool
from attncli.packing import PackedSequences
from attncli.rare_words import token_counts
from attncli.reporter import Reporter
from attncli.run_warnings import (
    adversarial_warning,
    given_but_unused,
    model_warnings,
    one_segment_warning,
    out_of_scope_warning,
    score_memory_warning,
    unknown_tokens_warning,
)
from attncli.settings import changed_settings, settings_text
from attncli.sizing import (
    LONGEST_MAX_LENGTH,
    counted_words,
    few_epochs_note,
    layer_note,
    max_length_of,
    profile_texts,
    size_to_data,
    unsized_keys,
)
from attncli.splits import rows_digest
from attncli.streams import one_line
from attncli.subword_dropout import piece_splits
from attncli.tokenization import pack_ids, token_ids, tokens_read
from attncli.tokenizer import (
    SPECIAL_TOKENS,
    fallback_id_of,
    pad_id_of,
    tokenizer_from_json,
    train_tokenizer,
    unknown_id_of,
)
from attncli.unknown_labels import look_alike_hint

if TYPE_CHECKING:
    import torch
    from tokenizers import Tokenizer


def class_weights_of(
    setting: str | list[float] | dict[str, float] | None, labels: array, label_names: Sequence[str]
) -> list[float] | None:
    """Loss weights per label: `auto` is N / (num_labels * count), so the weights average 1 over the
    training texts; a list is checked against the labels, and a mapping gives the labels it does
    not name 1."""
    num_labels = len(label_names)
    if setting is None:
        return None
    if setting == "auto":
        counts = [0] * num_labels
        for label in labels:
            counts[label] += 1
        return [len(labels) / (num_labels * count) if count else 0.0 for count in counts]
    assert not isinstance(setting, str), "TrainConfig accepts no other string than auto"
    if isinstance(setting, dict):
        # matched as a row's label is (1.0 is 1 where labels are numbers, spaces and accents' forms)
        known = set(label_names)
        matched = {known_label_key(None, name, known): weight for name, weight in setting.items()}
        unknown = [name for name in matched if name not in known]
        if unknown:
            which = "is no label" if len(unknown) == 1 else "are no labels"
            typed = [(name, label) for name in unknown for label in _read_by_yaml_as(name, label_names)]
            yaml_hint = (
                f"; YAML reads a key that is not in quotes as a number, and {typed[0][0]!r} is what it "
                f"makes of the label {typed[0][1]!r}: quote it ({{{typed[0][1]!r}: ...}})"
                if typed
                else ""
            )
            raise ConfigError(
                f"train.class_weights names {', '.join(map(repr, unknown[:10]))}, which {which} of the "
                f"data ({', '.join(map(one_line, label_names[:20]))}{' ...' * (len(label_names) > 20)})"
                f"{look_alike_hint(unknown, list(label_names))}{yaml_hint}; give weights by the labels' names"
            )
        return [float(matched.get(name, 1.0)) for name in label_names]
    if len(setting) != num_labels:
        raise ConfigError(
            f"train.class_weights has {len(setting)} weights but the data has {num_labels} labels; "
            f"give one per label, in this order: {', '.join(label_names)}"
        )
    return list(setting)


def _read_by_yaml_as(key: str, label_names: Sequence[str]) -> list[str]:
    """The labels other than `key` that YAML, written unquoted as a mapping key, reads as a number
    whose text is `key` (`01` as 1, the octal `010` as 8, `0.50` as 0.5): what a user may have typed
    for `key`. Read by the loader the config itself is read by."""
    found = []
    for label in label_names:
        if label == key or not label.strip() or label.strip()[0] not in "+-.0123456789":
            continue
        try:
            value = yaml.safe_load(label)
        except yaml.YAMLError:
            continue
        if isinstance(value, (int, float)) and not isinstance(value, bool) and str(value) == key:
            found.append(label)
    return found


def number_keys_warning(setting: object, label_names: Sequence[str]) -> str | None:
    """Where a key of a `train.class_weights` mapping is a label and also what YAML makes of another
    label written unquoted (`{01: 3}` is `{1: 3}` beside the labels 1 and 01): the weight went to 1
    without a word (a user's trial). A quoted key is left alone: YAML changed nothing."""
    if not isinstance(setting, dict):
        return None
    said = [
        f"key {name!r} weighs the label {name!r}, but is also what YAML makes of the label {label!r} "
        f"written without quotes; if it is meant for {label!r}, quote it ({{{label!r}: ...}})"
        for name in setting
        if name in label_names
        for label in _read_by_yaml_as(name, label_names)
    ]
    return f"train.class_weights {'; '.join(said)}" if said else None


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
    sized: dict[str, int] = dataclasses.field(default_factory=dict)
    """Each setting sized to the data, with the number of training texts it was sized to."""
    label_conflicts: dict[str, Any] | None = None
    """Training texts given more than one label: how many, and the most repeated (for metrics.json)."""
    left_out: dict[str, dict[str, int]] | None = None
    """The rows left out of each split that lost any (data.rows_left_out, for metrics.json)."""

    @property
    def pad_id(self) -> int:
        pad_id = pad_id_of(self.tokenizer)
        assert pad_id is not None, "load_tokenizer and train_tokenizer always add a padding token"
        return pad_id

    @property
    def label_counts(self) -> list[int]:
        """The training rows of each label, in label order."""
        return self.train_targets.bincount(minlength=len(self.label_names)).tolist()

    @functools.cached_property
    def unknown_id(self) -> int:
        """The token that train.token_dropout puts in place of the tokens it hides."""
        return fallback_id_of(self.tokenizer)

    @functools.cached_property
    def hides_words(self) -> bool:
        """Whether the tokenizer has an unknown token to hide words behind (train.rare_word_dropout):
        a byte-level one given by tokenizer.path has none, and reads every word through its bytes."""
        return unknown_id_of(self.tokenizer) is not None

    @functools.cached_property
    def token_counts(self) -> torch.Tensor:
        """How often each token occurs in the training texts, for train.rare_word_dropout."""
        return token_counts(self.train_ids.ids, self.tokenizer.get_vocab_size())

    @functools.cached_property
    def piece_splits(self) -> torch.Tensor | None:
        """What train.subword_dropout splits each piece into (see attncli/subword_dropout.py)."""
        return piece_splits(self.tokenizer) if self.config.train.subword_dropout_rate else None

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


# The share of training texts a sized max_length may cut: the rule gives room for 99% of them, by
# their words; a tokenizer that reads a script in short pieces (unigram's Thai, Arabic and Hindi, at
# nearly a piece a letter) cut 34 of 293 posts at the 32 tokens their words gave (a moderator's trial).
CUT_BY_THE_RULE = 0.01


def _max_length_of_pieces(tokenizer: Tokenizer, texts: Sequence[str], config: Config) -> int:
    """max_length as the rule sizes it, from the tokens `tokenizer` reads in `texts`."""
    read = token_ids(tokenizer, texts, max_length=LONGEST_MAX_LENGTH, truncation=config.model.truncation)
    return max_length_of(length for _, length in read)


def prepare(
    config: Config,
    *,
    reporter: Reporter,
    tokenizer: Tokenizer | None = None,
    distributed: Distributed = SINGLE_PROCESS,
    sized_before: Collection[str] = (),
    resumed_precision: str | None = None,
) -> Prepared:
    """Load the data, train (or take) the tokenizer and pack the token ids. Under torchrun every
    process loads the data; only rank 0 trains the tokenizer, and the others receive it.
    `sized_before`: settings `config` holds as an earlier run sized them (a resumed run's, or those
    of a run's config.json given again), which the user did not give. `resumed_precision`: the
    precision a resumed run trained in on the CPU, which its `auto` keeps."""
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
    elif device.index is not None:  # cuda:N alone: what is made on "cuda" without a number goes there too
        torch.cuda.set_device(device)
    # The name checked now, before the data loads; `auto` is settled once the model's sizes are.
    warning = precision_warning(resolve_precision(config.train.precision, device), device)
    if warning:
        reporter.stage(f"warning: {warning}")
    for warning in [*model_warnings(config.model), adversarial_warning(config.train.adversarial)]:
        if warning:
            reporter.stage(f"warning: {warning}")
    given = changed_settings(config)
    rest = "the rest default, or sized to the data below" if unsized_keys(config) else "the rest default"
    # A resumed run (its tokenizer given) goes on with the settings it saved, sized ones included.
    # Those that differ from the defaults: one given at its default value is not listed, which
    # "settings given" left a trial to wonder at (configs/bbc.yaml's num_heads: 4, lr: 0.003).
    which = "settings of the run, as saved" if tokenizer is not None else "settings not at their defaults"
    reporter.stage(f"{which} ({rest}; the full config is saved): {settings_text(given) or 'none'}")
    if config.data.source:
        reporter.stage(f"loading {one_line(config.data.source)}")
    splits = load_splits(config.data)
    if splits.unvalidated and tokenizer is None:
        raise DataError(splits.unvalidated)
    for note in splits.notes:
        reporter.stage(note)
    if splits.unvalidated:  # a resumed run (its tokenizer given), started before attn refused such data
        reporter.stage(f"warning: {splits.unvalidated}")
    config = dataclasses.replace(
        config,
        data=dataclasses.replace(
            config.data, text_column=splits.text_column, label_column=splits.label_column
        ),
    )
    train_split, validation_split = splits.splits["train"], splits.splits["validation"]
    out_of_scope = out_of_scope_warning(splits.label_names, config.train.outlier_rows)
    if out_of_scope is not None and tokenizer is None:  # a --resume cannot change the setting it names
        reporter.stage(f"warning: {out_of_scope}")
    class_weights = class_weights_of(config.train.class_weights, train_split.labels, splits.label_names)
    number_keys = number_keys_warning(config.train.class_weights, splits.label_names)
    if number_keys is not None and tokenizer is None:  # said when the run began, not again on --resume
        reporter.stage(f"warning: {number_keys}")
    if class_weights is not None:  # which weight went to which label: a list is in label order
        pairs = zip(splits.label_names, class_weights, strict=True)
        weighted = ", ".join(f"{one_line(name)} {weight:.3g}" for name, weight in pairs)
        how = "auto: inverse frequency in train" if config.train.class_weights == "auto" else "given"
        reporter.stage(f"class weights ({how}): {weighted}")
    if tokenizer is None and not config.tokenizer.path:  # the tokenizer this run trains: HTML in its texts
        strips = config.tokenizer.strip_html
        markup = (markup_alone_warning if strips else markup_note)(train_split.texts)
        if markup is not None:
            reporter.stage(markup)
    # A tokenizer of the user's (tokenizer.path), loaded once: sizing counts its tokens, and the run uses it.
    supplied = train_tokenizer([], config.tokenizer) if tokenizer is None and config.tokenizer.path else None
    config, sized = _sized(
        config, train_split.texts, held_out=splits.carved, supplied=supplied, reporter=reporter
    )
    # On the CPU alone: a GPU's running out is an error, which attn words with what to lower.
    available = available_memory() if device.type == "cpu" else None
    if (memory := score_memory_warning(config.model, config.train.batch_size, available)) is not None:
        reporter.stage(f"warning: {memory}")
    precision = resolve_precision(config.train.precision, device, config.model)
    if config.train.precision == "auto" and device.type == "cpu" and resumed_precision in ("bf16", "fp32"):
        # What auto picks on a CPU changed (bf16 on AMX for every model until 2026-12-05, only for wide
        # self-attention layers since): a run goes on as it trained, as a migration never changes an
        # old model (a trial's run of bf16 epochs resumed in fp32, and info then called it fp32).
        if resumed_precision == "bf16" != precision and not cpu_has_native_bf16():  # about 10x slower
            reporter.stage(
                "note: the run trained in bf16 (precision auto, as attn chose it where it trained), which "
                "this CPU does not multiply natively: it carries on in fp32, so it ends close to, not the "
                "same as, the run left alone"
            )
        elif resumed_precision != precision:
            reporter.stage(
                f"note: the run trained in {resumed_precision} (precision auto, as attn chose it where it "
                f"trained) and carries on in it; a new run of its settings would train in {precision}"
            )
            precision = resumed_precision
    if (segments := one_segment_warning(config.model)) is not None:
        reporter.stage(f"warning: {segments}")
    # A value the rule chose for the earlier run is not the user's: the 0 it sized for a word
    # tokenizer's subword dropout, the 2 for a unigram tokenizer's minimum frequency.
    chosen = {key: value for key, value in given.items() if key not in sized_before}
    unused = given_but_unused(config, chosen, carved=splits.carved)
    if unused:
        reporter.stage(f"warning: settings given that this run does not use: {'; '.join(unused)}")
    fresh = tokenizer is None
    if tokenizer is None:
        reporter.stage(
            f"using the tokenizer in {config.tokenizer.path}"
            if config.tokenizer.path
            else f"training the {config.tokenizer.kind} tokenizer on {len(train_split):,} texts"
        )
        trained = None
        if distributed.is_main:
            trained = supplied or train_tokenizer(
                train_split.texts, config.tokenizer, max_length=config.model.length,
                truncation=config.model.truncation,
            )  # fmt: skip
        shared = distributed.broadcast_text(trained.to_str() if trained else None, device=device)
        tokenizer = trained or tokenizer_from_json(shared, origin="the tokenizer rank 0 trained")
    train_ids = pack_ids(
        tokenizer, train_split.texts, max_length=config.model.length, truncation=config.model.truncation
    )
    if (
        fresh
        and "model.max_length" in sized
        and config.model.length < LONGEST_MAX_LENGTH
        and train_ids.truncated > len(train_ids) * CUT_BY_THE_RULE
    ):
        resized = _max_length_of_pieces(tokenizer, train_split.texts, config)
        if resized > config.model.length:
            reporter.stage(
                f"note: model.max_length={resized}, sized again from the tokenizer's pieces: the texts' "
                f"words gave {config.model.length}, which cut {train_ids.truncated:,} of "
                f"{len(train_ids):,} training texts (more pieces a word than the rule allows for)"
            )
            config = dataclasses.replace(config, model=dataclasses.replace(config.model, max_length=resized))
            train_ids = pack_ids(
                tokenizer, train_split.texts, max_length=resized, truncation=config.model.truncation
            )
    train_lengths = train_ids.lengths().int()  # int32: 4 bytes a row
    if train_ids.truncated:
        # The rule stops at LONGEST_MAX_LENGTH: where it cut most texts (a teacher's essays: 170 of
        # 193), the note says how to read more of them, which nothing said.
        more = (
            f"; --max-length {2 * config.model.length} reads up to twice as much of each, and takes at "
            "least twice the time a text"
            if "model.max_length" in sized and config.model.length == LONGEST_MAX_LENGTH
            else ""
        )
        if config.model.truncation == "head":  # a text's end is often where it decides (a contract's terms)
            more += "; --set model.truncation=head+tail reads each one's end as well"
        reporter.stage(
            f"note: {train_ids.truncated:,} of {len(train_ids):,} training texts are longer than "
            f"model.max_length ({config.model.length} tokens; the longest has {train_ids.longest:,}); "
            f"training reads only their {tokens_read(config.model.length, config.model.truncation)} "
            f"tokens{more}"
        )
    if (
        "train.rare_word_dropout" in chosen
        and config.train.rare_word_alpha
        and unknown_id_of(tokenizer) is None
    ):
        reporter.stage(
            f"warning: settings given that this run does not use: train.rare_word_dropout="
            f"{config.train.rare_word_alpha:g} (the tokenizer has no unknown token to hide words behind)"
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
    # The farthest a key can be from a query (the classification token is one more position).
    reach = config.model.length - (config.model.pooling != "cls")
    if config.model.positional == "relative" and config.model.max_relative_distance > reach:
        never = 2 * (config.model.max_relative_distance - reach)
        reporter.stage(
            f"note: model.max_relative_distance={config.model.max_relative_distance} is beyond the "
            f"{reach} tokens a key can be from a query at model.max_length={config.model.length}: "
            f"{never} of its {2 * config.model.max_relative_distance + 1} distance vectors are never "
            f"trained; {reach} or less trains fewer parameters"
        )
    source = local_path(config.data.source or "")
    return Prepared(
        config=config,
        tokenizer=tokenizer,
        label_names=splits.label_names,
        train_ids=train_ids,
        train_lengths=train_lengths,
        train_targets=torch.frombuffer(train_split.labels, dtype=torch.int64),  # a view, not a copy
        validation_ids=pack_ids(
            tokenizer,
            validation_split.texts,
            max_length=config.model.length,
            truncation=config.model.truncation,
        ),
        validation_labels=validation_split.labels,
        device=device,
        precision=precision,
        class_weights=class_weights,
        data_path=str(source.resolve()) if source.exists() else None,
        distributed=distributed,
        validation_digest=rows_digest(validation_split, splits.label_names) if splits.carved else "",
        sized=sized,
        label_conflicts=splits.label_conflicts,
        left_out=splits.left_out,
    )


def _sized(
    config: Config, texts: Sequence[str], *, held_out: bool, supplied: Tokenizer | None, reporter: Reporter
) -> tuple[Config, dict[str, int]]:
    """`config` with the settings left empty chosen from a profile of the training texts, said in
    one line, and each chosen with the number of texts (for metrics.json); `supplied`, the tokenizer
    of tokenizer.path, counts the tokens. A resumed run's saved config has none left empty, and
    skips the profile."""
    if not unsized_keys(config):
        return config, {}
    count_tokens, cap = None, config.tokenizer.vocab_size - len(SPECIAL_TOKENS)
    if supplied is not None:  # its own pieces: 1.3 a word left 11% of texts cut
        cap = supplied.get_vocab_size()  # not tokenizer.vocab_size, which it does not read

        def count_tokens(batch: list[str]) -> list[int]:
            return [len(encoding.ids) for encoding in supplied.encode_batch(batch, add_special_tokens=False)]

    profile = profile_texts(
        texts, lowercase=config.tokenizer.lowercase, strip_accents=config.tokenizer.strip_accents,
        strip_html=config.tokenizer.strip_html, distinct_cap=cap, count_tokens=count_tokens,
    )  # fmt: skip
    read = counted_words(config, profile)  # what the rule counts: the words the model reads, at most
    given = config
    config, chosen = size_to_data(config, profile, held_out=held_out)
    distinct = f"{profile.distinct_words:,}" if profile.all_words_fit else f"over {profile.distinct_cap:,}"
    within = f" ({read:,} within max_length)" if read < 0.99 * profile.words else ""
    settings = settings_text(chosen)
    reporter.stage(
        f"sized to the data ({profile.texts:,} texts, {profile.words:,} words{within}, {distinct} distinct; "
        f"set any of these to override): {settings}"
    )
    if (layered := layer_note(given, profile, chosen, held_out=held_out)) is not None:
        reporter.stage(layered)
    if (short := few_epochs_note(given, profile, held_out=held_out)) is not None:
        reporter.stage(short)
    return config, dict.fromkeys(sorted(chosen), profile.texts)
