"""What `attn predict` computes: calibrated label probabilities for texts, and one prediction per
input record (an empty record gets no label and says why), in input order."""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from attncli.checkpoint import LoadedCheckpoint, require_loaded
from attncli.data_warnings import missing_marker_texts, shown_markers
from attncli.decimals import float32_list
from attncli.errors import ArgumentError, DataError
from attncli.inference import batched_forward
from attncli.packing import PackedSequences
from attncli.records import Record, carried_fields, is_blank, record_of
from attncli.reporter import log_note
from attncli.tokenization import pack_ids, token_ids, tokens_read
from attncli.tokenizer import unknown_id_of

if TYPE_CHECKING:
    import torch

EMPTY_TEXT = "empty text"
NO_TEXT = "no text in this row"


@dataclass(frozen=True)
class Prediction:
    """One input record's result: its label and calibrated probability, the top labels, and every
    label's probability; a record with no text gets label None and a `reason`."""

    index: int
    """0-based number of the input record."""
    text: str | None
    """The record's text as given (None where it had none)."""
    label: str | None
    """None when the record had no text to classify, or its best label scored below `min_score`
    (see `reason`), unless a `fallback` label was given for those."""
    score: float | None
    """The label's calibrated probability; below `min_score`, the best label's, which it was not
    given, or the fallback's (None for a record without a text, fallback or not)."""
    top_k: list[tuple[str, float]]
    """The most probable labels with their probabilities, most probable first."""
    probabilities: list[float] = field(default_factory=list)
    """Every label's probability, in the checkpoint's label order (empty without a label)."""
    truncated_tokens: int = 0
    """Tokens beyond the model's max_length (those model.truncation leaves out), which it did not read."""
    unknown_tokens: int | None = 0
    """Tokens read that are the vocabulary's unknown token: words the model never saw, which carry
    no evidence (a text of only these gets a low score whatever it says); None for a tokenizer with
    no unknown token (byte-level), where no word is unknown."""
    reason: str | None = None
    """Why the record got no label (`empty text`, `no text in this row`, `below --min-score 0.5`),
    or the fallback label (`below --min-score 0.5`); None with a label of its own."""
    fields: dict[str, Any] = field(default_factory=dict)
    """The input row's columns (dataset files), carried through so results join back to rows."""

    def to_json(self, *, text_column: str | None = None, shortest: bool = True) -> dict[str, Any]:
        """The record's JSON object, as `attn predict --json` writes it: its scores the shortest
        decimals of their float32 values (0.9985012, where a double printed 0.998501181602478, and
        the Python API's JSON differed from the command's); `shortest=False` leaves them doubles,
        for a caller that converts many records' together."""
        scores = [self.score, *(score for _, score in self.top_k)] if self.score is not None else []
        if shortest and scores:
            scores = float32_list(scores)
        top_k = [(label, score) for (label, _), score in zip(self.top_k, scores[1:], strict=True)]
        values: dict[str, Any] = {
            "index": self.index,
            "text": self.text,
            "label": self.label,
            "score": scores[0] if scores else self.score,
            "top_k": [{"label": label, "score": score} for label, score in top_k],
            "truncated_tokens": self.truncated_tokens,
            "unknown_tokens": self.unknown_tokens,
        }
        if self.reason is not None:
            values["reason"] = self.reason
        if self.fields:
            values["fields"] = carried_fields(self.fields, self.text, text_column)
        return values


def no_label_reason(record: Record) -> str:
    """Why a record without a text gets no label: no text, an empty one, or a value that is no text."""
    if record.not_text is not None:
        return f"{record.not_text} instead of a text"
    return NO_TEXT if record.text is None else EMPTY_TEXT


def check_texts(texts: Sequence[str]) -> None:
    """Refuse no texts at all, or an empty one (for commands that need a text, as inspect)."""
    if not texts:
        raise DataError("no text given; pass TEXT arguments, --file, or lines on standard input")
    for index, text in enumerate(texts):  # counted from 0, as every result's index is
        if isinstance(text, (bytes, bytearray)):  # UTF-8 bytes were read as their text already
            raise ArgumentError(
                f"text {index} (counting from 0) is bytes that are not UTF-8; decode them first"
            )
        if not isinstance(text, str):
            raise ArgumentError(f"text {index} (counting from 0) is {type(text).__name__}, not a str")
        if is_blank(text):
            raise DataError(f"text {index} (counting from 0) is empty; give every text at least one word")


def calibrated_probabilities(checkpoint: LoadedCheckpoint, logits: torch.Tensor) -> torch.Tensor:
    """Softmax of the logits divided by the checkpoint's calibration temperature."""
    return (logits / checkpoint.temperature).softmax(-1)


def predict_probabilities(
    checkpoint: LoadedCheckpoint,
    texts: Sequence[str],
    *,
    batch_size: int = 64,
    on_batch: Callable[[int, int], None] | None = None,
    stats: PredictionStats | None = None,
) -> torch.Tensor:
    """Calibrated probabilities, shape (len(texts), num_labels), in the order of `texts`;
    `on_batch(done, total)` follows the model's progress through them, and `stats` counts the
    texts and those cut at max_length."""
    sequences = pack_ids(
        checkpoint.tokenizer,
        texts,
        max_length=checkpoint.config.model.length,
        truncation=checkpoint.config.model.truncation,
    )
    if stats is not None:
        stats.records += len(sequences)
        stats.truncated += sequences.truncated
        stats.read_nothing += sequences.read_nothing
        stats.count_unknown(sequences, unknown_id_of(checkpoint.tokenizer))
        stats.missing_markers += missing_marker_texts(texts)
    logits = batched_forward(
        checkpoint.model,
        sequences,
        pad_id=checkpoint.pad_id,
        batch_size=batch_size,
        device=checkpoint.device,
        on_batch=on_batch,
    )
    return calibrated_probabilities(checkpoint, logits)


# The share of unknown tokens eval notes: below it, a few rare names; and the share warned of, by
# predict too: most of what was read is new to the model.
UNKNOWN_NOTED = 0.01
UNKNOWN_WARNED = 0.5
# Texts read before that share is warned of: a sentence or two of new words is no file of the wrong kind.
UNKNOWN_WARNED_TEXTS = 10


@dataclass
class PredictionStats:
    """What a prediction run met on the way, for a closing note."""

    records: int = 0
    without_label: int = 0
    """Records with no text, which got no label."""
    below_min_score: int = 0
    """Records whose best label scored below the --min-score asked for, which got no label (or the
    --fallback label)."""
    truncated: int = 0
    """Texts longer than the model's max_length."""
    tokens: int = 0
    """Tokens the model read (counted where the texts were packed: eval's)."""
    unknown_tokens: int | None = 0
    """Of those, the unknown token's; None for a tokenizer without one (byte-level)."""
    texts_with_unknown: int = 0
    """Texts with at least one unknown token."""
    texts_all_unknown: int = 0
    """Texts of which every token read is the unknown token."""
    read_nothing: int = 0
    """Texts the tokenizer read no token in, scored through the stand-in unknown token (eval's)."""
    missing_markers: Counter[str] = field(default_factory=Counter)
    """Texts that are a missing value's marker alone ("NA", as R writes one), by marker: labelled."""

    def missing_marker_note(self, *, evaluated: bool = False) -> str | None:
        """The warning that texts a file wrote for missing ones ("NA") were read as that word: given
        labels, or (`evaluated`: eval's rows) scored so."""
        if not self.missing_markers:
            return None
        count = sum(self.missing_markers.values())
        are, were, they, mark, them = ("are", "were", "they", "mark", "them") if count > 1 else (
            "is", "was", "it", "marks", "it"
        )  # fmt: skip
        rows, remedy = ("records", f"to give {them} no label")
        if evaluated:
            rows, remedy = ("rows evaluated", f"and pass --drop-invalid to leave {them} out")
        return (
            f"warning: {count:,} of {self.records:,} {rows} {are} only "
            f"{shown_markers(self.missing_markers)}, as R writes a missing text, and {were} read as that "
            "word; "
            f'if {they} {mark} missing texts, leave {them} empty (R: write.csv(..., na = "")) {remedy}'
        )

    def read_nothing_note(self, *, strips_markup: bool) -> str | None:
        """Eval's note of rows the tokenizer read no token in: predict gives such a text no label, as it
        gives a blank one, where eval scores the row as training reads it. `strips_markup`: whether
        the tokenizer reads HTML as tokenizer.strip_html makes it, which names the likely cause."""
        if not self.read_nothing:
            return None
        holds = "holds" if self.read_nothing == 1 else "hold"
        cause = "characters its tokenizer drops"
        if strips_markup:
            cause = "markup alone, with tokenizer.strip_html"
        return (
            f"{self.read_nothing:,} of the {self.records:,} rows evaluated {holds} no token the model reads "
            f"({cause}): each was scored through the stand-in unknown token, where predict gives such a text "
            "no label; leave them out of the data to score without them"
        )

    def count_unknown(self, sequences: PackedSequences, unknown: int | None) -> None:
        """Add the tokens of `sequences`, and how many of them, and of the texts, are `unknown`."""
        import torch

        lengths = sequences.starts[1:] - sequences.starts[:-1]
        if unknown is None:
            self._add_unknown(int(lengths.sum()), None)
            return
        hits = torch.cat([torch.zeros(1, dtype=torch.int64), (sequences.ids == unknown).cumsum(0)])
        per_text = hits[sequences.starts[1:]] - hits[sequences.starts[:-1]]
        self._add_unknown(
            int(lengths.sum()),
            (
                int(per_text.sum()),
                int((per_text > 0).sum()),
                int(((per_text == lengths) & (lengths > 0)).sum()),
            ),
        )

    def count_unknown_ids(self, lengths: Sequence[int], unknown_counts: Sequence[int] | None) -> None:
        """`count_unknown` of texts of `lengths` tokens, of which `unknown_counts` are the unknown
        token (None: a tokenizer without one)."""
        if unknown_counts is None:
            self._add_unknown(sum(lengths), None)
            return
        wholly = sum(count == length > 0 for count, length in zip(unknown_counts, lengths, strict=True))
        self._add_unknown(
            sum(lengths), (sum(unknown_counts), sum(count > 0 for count in unknown_counts), wholly)
        )

    def _add_unknown(self, tokens: int, unknown: tuple[int, int, int] | None) -> None:
        """Add `tokens` read, and of them the unknown tokens, the texts with one and the texts of
        nothing else (None: a tokenizer without an unknown token)."""
        self.tokens += tokens
        if unknown is None or self.unknown_tokens is None:
            self.unknown_tokens = None
            return
        self.unknown_tokens += unknown[0]
        self.texts_with_unknown += unknown[1]
        self.texts_all_unknown += unknown[2]

    def unknown_note(self, *, warned_only: bool = False) -> str | None:
        """How much of what the model read it did not know: the share of tokens read as the unknown
        token (words new to it, or too rare in training to get an entry), and in how many texts; a
        warning where it is most of them (a predict of a file whose text column was another, a
        department's name, gave 309 of 361 rows labels read from nothing: an HR analyst's trial).
        `warned_only`: None below the warning's share, or for fewer than UNKNOWN_WARNED_TEXTS texts."""
        if not self.unknown_tokens or self.unknown_tokens < UNKNOWN_NOTED * self.tokens:
            return None
        share = self.unknown_tokens / self.tokens
        texts = self.records - self.without_label  # those with a text to read
        said = (
            f"{share:.1%} of the {self.tokens:,} tokens read, in {self.texts_with_unknown:,} of the "
            f"{texts:,} texts"
        )
        if share < UNKNOWN_WARNED or texts < UNKNOWN_WARNED_TEXTS:
            return None if warned_only else (
                f"unknown to the model: {said} (each read as the unknown token: words training never saw, "
                "or saw too rarely to keep)"
            )  # fmt: skip
        wholly = f", {self.texts_all_unknown:,} of them nothing else" if self.texts_all_unknown else ""
        return (
            f"warning: unknown to the model: {said}{wholly}; their labels say little: check that these "
            "texts are of the kind it was trained on (the text column it read, the language)"
        )

    def truncation_note(self, max_length: int, truncation: str) -> str | None:
        """How many texts were cut at max_length, and which of their tokens were read; for a model
        that reads their start alone, what reads their end too (a log trial's stack trace, whose
        cause is on its last line, was labelled by its first 160 tokens; head+tail read it right)."""
        if not self.truncated:
            return None
        end = (
            " (where a text's end decides, as a stack trace's cause or a letter's closing request does, "
            "train with --set model.truncation=head+tail to read it too)"
            if truncation == "head"
            else ""
        )
        return (
            f"note: {self.truncated:,} of {self.records:,} texts were longer than the model's max_length "
            f"({max_length} tokens); only their {tokens_read(max_length, truncation)} tokens were read{end}"
        )


def predict_records(
    checkpoint: LoadedCheckpoint,
    records: Sequence[Record],
    *,
    top_k: int = 3,
    batch_size: int = 64,
    stats: PredictionStats | None = None,
    min_score: float | None = None,
    thresholds: Mapping[str, float] | None = None,
    fallback: str | None = None,
) -> list[Prediction]:
    """One prediction per record, in order; records without text (or only spaces) get no label, nor
    those whose best label's probability is below `min_score` (its score and probabilities kept);
    both get the `fallback` label instead where one is given (below `min_score`, its probability
    their score; without a text, no score), the reason kept.
    `thresholds` ({label: probability}): a label given one is the prediction wherever its
    probability reaches it (thresholds.decide)."""
    import torch

    from attncli.thresholds import decide, refuse_two_decisions, resolve_fallback, resolve_thresholds

    for name, value in (("top_k", top_k), ("batch_size", batch_size)):
        require_count(name, value)
    min_score = require_min_score(min_score)
    refuse_two_decisions(thresholds, min_score)
    by_index = resolve_thresholds(thresholds, checkpoint.label_names)
    otherwise = resolve_fallback(fallback, checkpoint.label_names)
    # Compared as float32, as eval compares the probabilities' tensor (and --threshold's): a score
    # printed by predict and given back as --min-score is below it in neither.
    limit = None if min_score is None else float(torch.tensor(min_score, dtype=torch.float32))
    usable = [record for record in records if record.has_text]
    max_length = checkpoint.config.model.length
    unknown = unknown_id_of(checkpoint.tokenizer)
    encoded = list(
        token_ids(
            checkpoint.tokenizer,
            [record.text or "" for record in usable],
            max_length=max_length,
            truncation=checkpoint.config.model.truncation,
        )
    )
    # A text the tokenizer reads as nothing (tokenizer.strip_html's `<br /><br />`) is empty to the
    # model: it got a confident label from the stand-in unknown token (a trial's 84.6% for `&nbsp;`).
    read = [row for row, (_, length) in enumerate(encoded) if length > 0]
    if len(read) < len(encoded):
        usable, encoded = [usable[row] for row in read], [encoded[row] for row in read]
    unknown_counts = None if unknown is None else [ids.count(unknown) for ids, _ in encoded]
    if stats is not None:
        stats.count_unknown_ids([len(ids) for ids, _ in encoded], unknown_counts)
    probabilities = torch.empty(0, len(checkpoint.label_names))
    if usable:
        logits = batched_forward(
            checkpoint.model,
            PackedSequences.of_lists([ids for ids, _ in encoded]),  # padded by whole batches
            pad_id=checkpoint.pad_id,
            batch_size=batch_size,
            device=checkpoint.device,
        )
        probabilities = calibrated_probabilities(checkpoint, logits)
    k = min(top_k, len(checkpoint.label_names))
    scores, indices = probabilities.topk(k, dim=-1)
    # As Python lists at once: a tensor indexed row by row costs microseconds a row, more than a
    # short text's share of the model.
    names, all_scores, all_indices = checkpoint.label_names, scores.tolist(), indices.tolist()
    decided = decide(probabilities, by_index).tolist() if by_index else None
    results = {}
    for row, (record, row_probabilities) in enumerate(zip(usable, probabilities.tolist(), strict=True)):
        ranked = [(names[i], score) for i, score in zip(all_indices[row], all_scores[row], strict=True)]
        unsure = limit is not None and ranked[0][1] < limit
        label, score = (
            ranked[0] if decided is None else (names[decided[row]], row_probabilities[decided[row]])
        )
        if unsure:  # no label, or the fallback, whose probability is then the score; the reason says why
            label, score = (
                (None, score) if otherwise is None else (names[otherwise], row_probabilities[otherwise])
            )
        results[record.index] = Prediction(
            index=record.index, text=record.text, label=label, score=score,
            top_k=ranked, probabilities=row_probabilities,
            truncated_tokens=max(0, encoded[row][1] - max_length),
            unknown_tokens=None if unknown_counts is None else unknown_counts[row],
            reason=f"below --min-score {min_score:g}" if unsure else None, fields=record.fields,
        )  # fmt: skip
        if stats is not None and unsure:
            stats.below_min_score += 1
    # A record with no text gets the fallback label, where one is given, with no score: a
    # competition's submission needs a label on every row (five blank tests rows were left empty).
    textless = None if otherwise is None else names[otherwise]
    predictions = [
        results.get(record.index)
        or Prediction(
            index=record.index,
            text=record.text,
            label=textless,
            score=None,
            top_k=[],
            reason=no_label_reason(record),
            fields=record.fields,
        )  # fmt: skip
        for record in records
    ]
    if stats is not None:
        stats.records += len(predictions)
        stats.without_label += len(records) - len(usable)
        stats.missing_markers += missing_marker_texts(
            prediction.text or "" for prediction in results.values()
        )
        stats.truncated += sum(1 for prediction in predictions if prediction.truncated_tokens)
    return predictions


def predict_stream(
    checkpoint: LoadedCheckpoint,
    chunks: Iterable[Sequence[Record]],
    *,
    top_k: int = 3,
    batch_size: int = 64,
    stats: PredictionStats | None = None,
    min_score: float | None = None,
    thresholds: Mapping[str, float] | None = None,
    fallback: str | None = None,
) -> Iterator[list[Prediction]]:
    """Predictions chunk by chunk, each as soon as its records are read."""
    for chunk in chunks:
        yield predict_records(
            checkpoint, chunk, top_k=top_k, batch_size=batch_size, stats=stats, min_score=min_score,
            thresholds=thresholds, fallback=fallback,
        )  # fmt: skip


def require_min_score(min_score: Any) -> float | None:
    """A probability below which a record gets no label, as a float (numpy's and torch's numbers
    too: a threshold taken from the model's own float32 scores), between 0 and 1; None for none."""
    if min_score is None:
        return None
    refusal = f"min_score (--min-score) takes a probability, not {min_score!r}"
    if isinstance(min_score, bool | str | bytes):  # float("0.5") and float(True) would take them
        raise ArgumentError(refusal)
    try:
        value = float(min_score)
    except (TypeError, ValueError):
        raise ArgumentError(refusal) from None
    if not 0.0 <= value <= 1.0:  # NaN too
        raise DataError(f"min_score (--min-score) must be between 0 and 1 (a probability), not {min_score}")
    return value


def require_count(name: str, value: Any) -> None:
    """A count the Python API and the command line take (top_k, --top-k): a whole number, 1 or more.
    `top_k=None` was a TypeError comparing None with 1, and `batch_size=1.5` was taken."""
    if whole_number(name, value) < 1:
        raise DataError(f"{name} ({option_of(name)}) must be at least 1, not {value}")


def whole_number(name: str, value: Any) -> int:
    """`value` as an int (a numpy integer too), or a TypeError naming the argument and its option
    where it is no whole number (a float, a string, a bool)."""
    try:
        whole = operator.index(value)
    except TypeError:
        whole = None
    if whole is None or isinstance(value, bool):
        raise ArgumentError(f"{name} ({option_of(name)}) takes a whole number, not {value!r}")
    return whole


def option_of(name: str) -> str:
    """The command-line option of a Python API argument: top_k is --top-k."""
    return "--" + name.replace("_", "-")


def texts_in_order(texts: Iterable[Any], function: str) -> list[Any]:
    """The Python API's texts as a list, whose positions are the results' indices: any iterable (a
    generator, a numpy array, a pandas Series), but not one text, nor a set, whose order is its
    hashes', nor a mapping or a DataFrame, whose texts would be its keys or its column names."""
    if isinstance(texts, str | bytes):  # a sequence of one-character texts: never what was meant
        raise ArgumentError(f"{function} takes a list of texts, not one text; pass it in a list: [text]")
    kind = type(texts).__name__
    if isinstance(texts, Mapping) or hasattr(texts, "columns"):  # a DataFrame iterates its column names
        column = "a column of it, df['text']" if hasattr(texts, "columns") else "list(texts.values())"
        raise ArgumentError(f"{function} takes a list of texts, not a {kind}; pass {column}")
    # A datasets.Dataset iterates its rows, a 2-D array its rows too: each row was a result of label
    # None, 'instead of a text', with no error (a notebook user's trial).
    if hasattr(texts, "column_names"):
        raise ArgumentError(
            f"{function} takes a list of texts, not a {kind}; pass a column of it, ds['text']"
        )
    dimensions = getattr(texts, "ndim", 1)
    if dimensions == 0:  # a numpy scalar, or a 0-d array of one text
        raise ArgumentError(
            f"{function} takes a list of texts, not one value ({texts!r}); pass a list: [text]"
        )
    if dimensions != 1:
        raise ArgumentError(
            f"{function} takes a list of texts, not a {kind} of {dimensions} dimensions; pass one column of "
            "it, such as array[:, 0]"
        )
    if isinstance(texts, AbstractSet):
        raise ArgumentError(
            f"{function} takes a list of texts in the order of its results, not a {kind}, which has no "
            "order; pass a list"
        )
    if not isinstance(texts, Iterable):  # None, a number: "'NoneType' object is not iterable" said little
        raise ArgumentError(f"{function} takes a list of texts, not {texts!r}; pass a list, [] for none")
    listed = list(texts)
    rows = [item for item in listed if isinstance(item, tuple | list | Mapping)]
    if listed and len(rows) == len(listed):  # df.itertuples(), a list of records: rows, not texts
        raise ArgumentError(
            f"{function} takes a list of texts, and each item given is a {type(rows[0]).__name__} (a table's "
            "rows?); pass the text of each, such as [row['text'] for row in rows]"
        )
    return listed


def predict(
    checkpoint: LoadedCheckpoint,
    texts: Iterable[Any],
    *,
    top_k: int = 3,
    batch_size: int = 64,
    min_score: float | None = None,
    thresholds: Mapping[str, float] | None = None,
    fallback: str | None = None,
) -> list[Prediction]:
    """The Python API: one prediction per text, in order (an empty text gets label None, and so does
    one whose best label's probability is below `min_score`, or the `fallback` label where one is
    given); `thresholds` ({label: probability}) give a label wherever its probability reaches its
    threshold, as `--threshold` does."""
    require_loaded(checkpoint, "predict")
    # What is not a text (None, NaN: a missing cell of a column; a number) gets label None and a
    # reason, as such a cell of a file does.
    records = [record_of(index, value) for index, value in enumerate(texts_in_order(texts, "predict"))]
    stats = PredictionStats()
    predictions = predict_records(
        checkpoint, records, top_k=top_k, batch_size=batch_size, min_score=min_score, thresholds=thresholds,
        stats=stats, fallback=fallback,
    )  # fmt: skip
    # What `attn predict` notes, to the attncli logger as training's notes go (a notebook's predictions
    # of articles cut 19 of 50 without a word: a trial).
    for note in (
        stats.truncation_note(checkpoint.config.model.length, checkpoint.config.model.truncation),
        stats.unknown_note(),
        stats.missing_marker_note(),
    ):
        if note is not None:
            log_note(note)
    return predictions
