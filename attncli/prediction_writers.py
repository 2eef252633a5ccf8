"""The writers of `attn predict`'s machine-readable results (JSON lines, one JSON array, csv or tsv),
the JSON form of the values a row carries, and the columns predict adds, by which eval knows its output."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection, Sequence
from typing import IO, Any

from attncli.added_columns import added_as
from attncli.column_detection import detected_label_column, name_key
from attncli.decimals import float32_list, float32_list_texts
from attncli.labels import WHOLE_NUMBER
from attncli.prediction import Prediction
from attncli.streams import safe_text, writes_unicode
from attncli.tokenizer import LONE_SURROGATE, readable_text


class JsonLinesWriter:
    """One JSON object per prediction, flushed as it is written (for pipelines)."""

    def __init__(self, stream: IO[str], *, text_column: str | None = None) -> None:
        self.stream, self.text_column, self.escaped = stream, text_column, not writes_unicode(stream)

    def write(self, predictions: Sequence[Prediction]) -> None:
        for row in _json_rows(predictions, self.text_column):
            self.stream.write(_json_text(row, self.escaped) + "\n")
        self.stream.flush()


class JsonArrayWriter:
    """One JSON array of the objects JsonLinesWriter writes, one per line; `close` ends the array."""

    def __init__(self, stream: IO[str], *, text_column: str | None = None) -> None:
        self.stream, self.text_column, self.separator = stream, text_column, "[\n"
        self.escaped = not writes_unicode(stream)

    def write(self, predictions: Sequence[Prediction]) -> None:
        for row in _json_rows(predictions, self.text_column):
            self.stream.write(self.separator + _json_text(row, self.escaped))
            self.separator = ",\n"
        self.stream.flush()

    @property
    def started(self) -> bool:
        """Whether the array holds a result yet."""
        return self.separator != "[\n"

    def close(self) -> None:
        self.stream.write("\n]\n" if self.started else "[]\n")
        self.stream.flush()


def _json_rows(predictions: Sequence[Prediction], text_column: str | None) -> list[dict[str, Any]]:
    """Each prediction's JSON object, its scores the shortest decimals of their float32 values
    (0.9998585, where a double printed 0.9998584985733032), converted together."""
    rows = [prediction.to_json(text_column=text_column, shortest=False) for prediction in predictions]
    holders = [holder for row in rows if row["score"] is not None for holder in (row, *row["top_k"])]
    for holder, score in zip(holders, float32_list([holder["score"] for holder in holders]), strict=True):
        holder["score"] = score
    return rows


def _json_text(row: dict[str, Any], escaped: bool) -> str:
    """One prediction's JSON object on one line; `escaped` escapes every other character, for a
    stream whose encoding could not hold them."""
    try:  # the common case at once; only a row JSON cannot hold as it is goes through json_safe
        text = json.dumps(row, ensure_ascii=False, allow_nan=False, default=as_text)
        clean = LONE_SURROGATE.search(text) is None
    except ValueError:  # NaN or an infinity
        clean = False
    if clean and not escaped:
        return c1_escaped(text)
    return c1_escaped(
        json.dumps(row if clean else json_safe(row), ensure_ascii=escaped, allow_nan=False, default=as_text)
    )


# The C1 control characters, which JSON lets a string hold as they are, and which some UTF-8
# terminals act on (U+009B opens a control sequence, as ESC [ does): JSON escapes C0 ones itself.
C1_CONTROL = re.compile("[\x80-\x9f]")


def c1_escaped(json_text: str) -> str:
    """JSON text with each C1 control character written as its \\u escape, which reads back the same:
    a text holding U+009B sent a control sequence to the terminal `predict --json` printed on."""
    if C1_CONTROL.search(json_text) is None:
        return json_text
    return C1_CONTROL.sub(lambda match: f"\\u{ord(match.group()):04x}", json_text)


def as_text(value: Any) -> str:
    """A carried-through value JSON has no type for (a date, bytes): its ISO form or its text."""
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", errors="replace")
    return str(value)


def json_safe(value: Any) -> Any:
    """NaN and infinities (from a parquet column, say) as null: JSON has no spelling for them; a
    lone surrogate (from a JSON "\\ud800" escape) as U+FFFD, which UTF-8 can hold."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, str):
        return readable_text(value)
    if isinstance(value, dict):
        return {json_safe(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    return value


def _cell(value: Any) -> str:
    """A csv cell of a value: a nested one as JSON, bytes decoded, a date in its ISO form, as the
    JSON writers write them (bytes were written as Python's b'caf\\xc3\\xa9')."""
    if value is None:
        return ""
    if isinstance(value, bool):  # as R and pandas both read a truth value: True was text to R
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return readable_text(
            json.dumps(json_safe(value), ensure_ascii=False, allow_nan=False, default=as_text)
        )
    if isinstance(value, (bytes, bytearray)) or hasattr(value, "isoformat"):
        return readable_text(as_text(value))
    return readable_text(str(value))


# What attn predict adds to a JSON row (which keeps the input's own columns under "fields").
JSON_ADDED = ("label", "score", "top_k", "truncated_tokens", "unknown_tokens", "reason")


def predicted_columns(
    columns: Sequence[str], label_names: Sequence[str], paths: Sequence[str] = ()
) -> tuple[str, ...]:
    """The columns attn predict added to a table that is its output (a JSON row's keys, or CsvWriter's
    label, score and probability columns), or none where the table is not such an output. `paths`
    are the dotted paths into records: an output of predict run on an output of predict holds the
    first one's row under "fields", whose label is a prediction too (JSON's or the csv's), and so
    on down. A csv's dotted columns (`fields.label`, as CsvWriter heads a nested record's fields) are
    read as the paths they were."""
    paths = [*paths, *(column for column in columns if "." in column and column not in paths)]
    names, found, prefix = set(columns) | set(paths), [], ""
    level = list(columns)
    while True:
        found += [prefix + column for column in _csv_added(level, label_names)]  # the csv's own first
        if not {f"{prefix}top_k", f"{prefix}truncated_tokens"} <= names:
            return tuple(found)
        found += [
            prefix + name for name in JSON_ADDED if prefix + name in names and prefix + name not in found
        ]
        prefix += "fields."
        level = [path.removeprefix(prefix) for path in paths if path.startswith(prefix)]


def _csv_added(columns: Sequence[str], label_names: Sequence[str]) -> tuple[str, ...]:
    """CsvWriter's label, score, probability and reason columns, where `columns` has them: those of
    a model with `label_names`, and those of any model, by their layout (a label, then a score, then
    probability columns): a file predicted by another model, or predicted again by a second one,
    holds predictions in them all the same."""
    found: list[str] = []
    probabilities = [f"prob_{label}" for label in label_names]
    for start in range(2, len(columns) - len(probabilities) + 1):
        names = columns[start : start + len(probabilities)]
        if all(added_as(name, wanted) for name, wanted in zip(names, probabilities, strict=True)) and (
            added_as(columns[start - 1], "score") and added_as(columns[start - 2], "label")
        ):
            end = start + len(probabilities)
            if end < len(columns) and added_as(columns[end], "reason"):
                end += 1  # and the tokens cut at max_length, where attn wrote them (from 2026-12-06)
                end += end < len(columns) and added_as(columns[end], "truncated_tokens")
                end = _past_ranked(columns, end)
            found += columns[start - 2 : end]
            break
    found += [column for column in _laid_out_as_added(columns) if column not in found]
    return tuple(sorted(found, key=list(columns).index))  # in the table's order: the first is named


def _laid_out_as_added(columns: Sequence[str]) -> list[str]:
    """Every run of a label column, a score column, one or more probability columns and the reason
    column, each as CsvWriter names it (`attn_` prefixed or not). The reason column is asked for: a
    table of the user's own may hold a label, an annotator's score and a `prob_agree`."""
    found: list[str] = []
    for start in range(len(columns) - 3):
        if not (added_as(columns[start], "label") and added_as(columns[start + 1], "score")):
            continue
        end = start + 2
        while end < len(columns) and columns[end].removeprefix("attn_").startswith("prob_"):
            end += 1
        if end > start + 2 and end < len(columns) and added_as(columns[end], "reason"):
            end += end + 1 < len(columns) and added_as(columns[end + 1], "truncated_tokens")
            found += columns[start : _past_ranked(columns, end + 1)]
    return found


def _past_ranked(columns: Sequence[str], start: int) -> int:
    """Where the next best labels' columns that begin at `start` end (top2_label, top2_score, ...,
    as --top-k writes them), or `start` where there are none."""
    end, rank = start, 2
    while end + 1 < len(columns) and added_as(columns[end], f"top{rank}_label"):
        if not added_as(columns[end + 1], f"top{rank}_score"):
            break
        end, rank = end + 2, rank + 1
    return end


def _all_free(names: Sequence[str], taken: set[str]) -> list[str]:
    """`names` prefixed alike, `attn_` and then `attn_..._2`, `_3`, until none is `taken` (compared
    as the input's names are: ignoring case and edge spaces); two of them alike in those terms (the
    labels `Billing` and `billing`) are told apart by a further number."""
    number = 1
    while any(f"attn_{name}{_numbered(number)}".strip().lower() in taken for name in names):
        number += 1
    seen = set(taken)
    prefixed = (f"attn_{name}{_numbered(number)}" for name in names)
    return [_first_free(name, name, seen) for name in prefixed]


def _first_free(first: str, base: str, taken: set[str]) -> str:
    """`first`, or else `base`_2, `base`_3, ..., the first not `taken` (compared ignoring case and
    edge spaces), which is then taken."""
    candidate, number = first, 2
    while candidate.strip().lower() in taken:
        candidate, number = f"{base}_{number}", number + 1
    taken.add(candidate.strip().lower())
    return candidate


def _numbered(number: int) -> str:
    return "" if number == 1 else f"_{number}"


def flat_row(row: dict[str, Any], columns: Collection[str], prefix: str = "") -> dict[str, Any]:
    """A row's values by column, its nested records' fields under their dotted names (`student.id`)
    as layouts.flat_columns names them; a record whose name is one of the `columns` stays whole."""
    flat: dict[str, Any] = {}
    for key, value in row.items():
        name = prefix + str(key)
        if isinstance(value, dict) and name not in columns:
            flat.update(flat_row(value, columns, f"{name}."))
        else:
            flat[name] = value
    return flat


class CsvWriter:
    """The input's columns (for plain text: index and text; a nested record's fields each a dotted
    column, `student.id`, as the source's columns name them, so eval finds them again; a list one
    cell of JSON), then `label`, `score`, one
    `prob_<label>` column per label, `reason` (why a row has no label: no text, an empty one) and
    `truncated_tokens` (the tokens past max_length the model did not read, which JSON gave alone:
    a long-document trial wanted in its spreadsheet how much of each contract was read). A name
    that clashes with an input column (ignoring case, as spreadsheets and SQL do) is prefixed
    `attn_`, and numbered as well (`attn_label_2`) while that too is taken, so every column has its
    own name. So is `label` wherever the input has a column eval could take for true labels
    (`category`, `sentiment_label`; also `label_count`, to be safe): an evaluation by a model whose
    labels the output's `prob_` columns do not name would take a `label` column for them. With
    `top_k` of 2 or more (--top-k given), the labels after the one given follow, most probable first,
    `top2_label`, `top2_score`, and so on: a shop's 396 categories made the probability columns no
    place to read them from."""

    def __init__(
        self,
        stream: IO[str],
        *,
        input_columns: Sequence[str],
        label_names: Sequence[str],
        delimiter: str = ",",
        byte_order_mark: bool = False,
        on_terminal: bool = False,
        written_columns: Sequence[str] | None = None,
        top_k: int = 0,
        label_column: str | None = None,
        text_columns: Sequence[str] = (),
    ) -> None:
        self.input_columns = list(input_columns) or ["index", "text"]
        self.labels, self.ranks = len(label_names), range(2, min(top_k, len(label_names)) + 1)
        self.named = set(self.input_columns)
        # On a terminal a person reads the rows, and an escape sequence in a text would act on the
        # terminal (clear it, retitle it, rewrite a line): each character a terminal acts on shows
        # as a space there, as the table shows it; a file or a pipe gets the texts as they are.
        self.on_terminal = on_terminal
        added = ["label", "score", *(f"prob_{label}" for label in label_names), "reason", "truncated_tokens"]
        added += [name for rank in self.ranks for name in (f"top{rank}_label", f"top{rank}_score")]
        taken = {column.strip().lower() for column in self.input_columns}
        # So is `label` beside the column the model was trained on for labels (`Theme`), which eval
        # reads its labels from too (a Mac user's trial: `Theme,label`, where `Catégorie,attn_label`).
        trained = [
            column
            for column in self.input_columns
            if label_column and name_key(column) == name_key(label_column)
        ]
        # The model's text columns are none: a translation memory's `target`, the translation read
        # with its source, was said to "may hold true labels" (a localisation trial).
        texts = {name_key(column) for column in text_columns}
        others = [column for column in self.input_columns if name_key(column) not in texts]
        self.truth_column = trained[0] if trained else detected_label_column(others)
        if self.truth_column is not None:
            taken.add("label")
        self.earlier_prediction = _laid_out_as_added(self.input_columns)
        if self.earlier_prediction:
            # A file predicted before: every column of this prediction is named apart, so that none
            # of its names (a new label's prob_tech beside another model's prob_sports) mixes the two.
            self.added = _all_free(added, taken)
        else:
            # Each as it is where free, else `attn_` prefixed, then numbered (attn_label_2).
            self.added = [
                _first_free(
                    name if name.strip().lower() not in taken else f"attn_{name}", f"attn_{name}", taken
                )
                for name in added
            ]
        self.stream, self.plain, self.delimiter = stream, not input_columns, delimiter
        self.byte_order_mark = byte_order_mark
        # The input's columns headed as its header heads them: empty cells stay empty (they were
        # written 'Unnamed: 5', the name they are kept apart by).
        headed = list(written_columns) if written_columns is not None else self.input_columns
        self.header: list[str] | None = [_cell(name) for name in [*headed, *self.added]]

    def renamed_label_note(self) -> str | None:
        """The line saying the predicted labels' column is not `label`, and why: a nightly job reading
        `label` got the input's own empty column, where the predictions were in `attn_label`, said
        nowhere but in the README (a data engineer's trial)."""
        column = self.added[0]
        if column == "label":
            return None
        if self.earlier_prediction:  # its label column holds that prediction's labels, not this one's
            why = (
                f"the input holds an earlier prediction's columns, {self.earlier_prediction[0]!r} among them"
            )
        elif self.truth_column is not None and self.truth_column.strip().lower() != "label":
            why = f"the input's {self.truth_column!r} may hold true labels"
        else:
            why = "the input has a column of that name"
        return f"note: the predicted labels are in column {column!r}, not 'label': {why}"

    def _start(self) -> None:
        """The header, with the first rows or at `finish`: input refused before any result (a wrong
        --text-column) left a csv of the header alone on standard output."""
        if self.header is None:
            return
        if self.byte_order_mark:
            self.stream.write("\ufeff")
        self._write_row(self.header)
        self.header = None

    def finish(self) -> None:
        """End the csv: its header, where no rows came (an empty input)."""
        self._start()
        self.stream.flush()

    def write(self, predictions: Sequence[Prediction]) -> None:
        self._start()
        # Every probability as the shortest decimal of its float32 value, converted together: a
        # double's 17 digits made a csv of 150 labels' probabilities about twice the size.
        labelled = [prediction for prediction in predictions if prediction.probabilities]
        following = {id(prediction): self._following(prediction) for prediction in labelled}
        numbers = float32_list_texts(
            [
                value
                for p in labelled
                for value in (p.score or 0.0, *p.probabilities, *(score for _, score in following[id(p)]))
            ]
        )
        shortened: dict[int, list[str]] = {}
        start = 0
        for prediction in labelled:
            end = start + 1 + len(prediction.probabilities) + len(following[id(prediction)])
            shortened[id(prediction)], start = numbers[start:end], end
        for prediction in predictions:
            row = (
                {"index": prediction.index, "text": prediction.text}
                if self.plain
                else flat_row(prediction.fields, self.named)
            )
            values = [_cell(row.get(column)) for column in self.input_columns]
            written = shortened.get(id(prediction), [])
            score = written[0] if written else None
            cells = written[1 : 1 + self.labels] or [""] * self.labels
            after = [label for label, _ in following.get(id(prediction), [])]
            scores = written[1 + self.labels :]
            ranked = [
                cell
                for place in range(len(self.ranks))
                for cell in ((_cell(after[place]), scores[place]) if place < len(after) else ("", ""))
            ]
            label, reason = _cell(prediction.label), _cell(prediction.reason)
            self._write_row(
                [*values, label, _cell(score), *cells, reason, str(prediction.truncated_tokens), *ranked]
            )
        self.stream.flush()

    def _following(self, prediction: Prediction) -> list[tuple[str, float]]:
        """The labels after the one given, most probable first, as the table lists them: the one given
        left out, which --threshold may make another than the most probable, and --fallback one below
        --min-score (a review: `top2_label` repeated the label, and the most probable was in none)."""
        return [item for item in prediction.top_k if item[0] != prediction.label][: len(self.ranks)]

    def _write_row(self, cells: Sequence[str]) -> None:
        # Python's csv module quotes a field holding "\n" but not one holding a lone "\r" (with
        # "\n" as the line end), which every csv reader, its own included, takes for a line break.
        special = (self.delimiter, '"', "\n", "\r")
        if self.on_terminal:
            cells = [safe_text(cell, keep="\n\t") for cell in cells]
        quoted = (
            '"' + cell.replace('"', '""') + '"' if any(mark in cell for mark in special) else cell
            for cell in cells
        )
        self.stream.write(self.delimiter.join(quoted) + "\n")


class ParquetWriter(CsvWriter):
    """The csv's columns, named as CsvWriter names them, in a parquet file, each value as the input
    held it (ids as integers, dates as timestamps; a column of mixed types as text) and each score and
    probability a float. Parquet is written whole, from every row, when `finish` is called (a file
    of row groups would need each column's type before the rows that give it)."""

    def __init__(
        self,
        stream: IO[str],
        *,
        input_columns: Sequence[str],
        label_names: Sequence[str],
        top_k: int = 0,
        label_column: str | None = None,
        text_columns: Sequence[str] = (),
    ) -> None:
        super().__init__(
            stream,
            input_columns=input_columns,
            label_names=label_names,
            top_k=top_k,
            label_column=label_column,
            text_columns=text_columns,
        )
        self.values: dict[str, list[Any]] = {column: [] for column in [*self.input_columns, *self.added]}
        # The added columns' types, given: a column of no values (no record with a reason) was of
        # Arrow's null type, so one output's schema was not the next one's.
        ranked = ["string", "float64"] * len(self.ranks)
        types = ["string", "float64", *["float64"] * self.labels, "string", "int64", *ranked]
        self.types = dict(zip(self.added, types, strict=True))
        self.label_columns = [self.added[0], *self.added[self.labels + 4 :: 2]]  # label, top2_label, ...
        self.whole_number_labels = all(WHOLE_NUMBER.fullmatch(name) for name in label_names)

    def write(self, predictions: Sequence[Prediction]) -> None:
        for prediction in predictions:
            row = (
                {"index": prediction.index, "text": prediction.text}
                if self.plain
                else flat_row(prediction.fields, self.named)
            )
            following = self._following(prediction)
            ranked: list[Any] = [
                value
                for place in range(len(self.ranks))
                for value in (following[place] if place < len(following) else (None, None))
            ]
            probabilities: list[Any] = list(prediction.probabilities) or [None] * self.labels
            added = [prediction.label, prediction.score, *probabilities, prediction.reason]
            added += [prediction.truncated_tokens, *ranked]
            for column in self.input_columns:
                self.values[column].append(row.get(column))
            for column, value in zip(self.added, added, strict=True):
                self.values[column].append(value)

    def finish(self) -> None:
        import pyarrow.parquet as parquet  # type: ignore[import-untyped]

        if self._labels_are_numbers_here():
            for column in self.label_columns:
                self.values[column] = [None if name is None else int(name) for name in self.values[column]]
                self.types[column] = "int64"
        table = _arrow_table(self.values, self.types)
        self.stream.flush()
        parquet.write_table(table, self.stream.buffer)  # type: ignore[attr-defined]
        self.stream.buffer.flush()  # type: ignore[attr-defined]

    def _labels_are_numbers_here(self) -> bool:
        """Whether the predicted labels are written as integers: where the model's labels are whole
        numbers and the input's true labels are integers (a star rating, a GLUE label), so that the
        two columns compare (`df.label == df.attn_label` was False on every row: text against
        integers, a trial). Elsewhere they are text, as the model names them."""
        truth = self.truth_column
        if truth is None or not self.whole_number_labels:
            return False
        given = [value for value in self.values[truth] if value is not None]
        return bool(given) and all(type(value) is int for value in given)


def _arrow_table(columns: dict[str, list[Any]], types: dict[str, str]) -> Any:
    """The columns as one Arrow table, each of its type in `types` (Arrow's names) or else typed from
    its values, as text where they mix types (a JSON field that is a number in one record and a word
    in another)."""
    import pyarrow

    arrays = {}
    for name, values in columns.items():
        try:
            arrays[name] = pyarrow.array(values, type=types.get(name))
        except (pyarrow.ArrowInvalid, pyarrow.ArrowTypeError, OverflowError):
            arrays[name] = pyarrow.array(
                [None if value is None else _as_cell_text(value) for value in values]
            )
    return pyarrow.table(arrays)


def _as_cell_text(value: Any) -> str:
    """A value of a mixed column as text: a record or a list as JSON, anything else as its text."""
    if isinstance(value, (dict, list)):
        return json.dumps(json_safe(value), ensure_ascii=False, default=as_text)
    return as_text(value)
