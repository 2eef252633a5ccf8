"""fastText's training format: one example a line, its label first as `__label__NAME`, then the text
(`__label__sport Arsenal win the cup`), or the text first and its label last, as fastText reads it
too, in a .txt (or .train, .valid, .test) file. A fastText user's data, read as a table of `text` and
`label` for training and evaluation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from attncli.errors import DataError
from attncli.records import Record

LABEL_PREFIX = "__label__"
# The first bytes of a fastText model (.bin): its magic number, as a little-endian int32.
FASTTEXT_MAGIC = (793712314).to_bytes(4, "little")
# The suffixes of fastText's files in a folder of splits (train.txt, valid.txt, test.txt). A file
# passed alone may have any suffix that is not a data file's (fastText's tutorial: cooking.train).
FASTTEXT_SUFFIXES = (".txt",)
# A line that opens with a label that has a name, or ends with one.
LABELLED_LINE = re.compile(rf"\s*{LABEL_PREFIX}\S")
LABELLED_END = re.compile(rf"(?:^|\s){LABEL_PREFIX}\S+\s*$")
# How much of a file's start is read to tell whether it is in fastText's format, and how many of
# its first lines, most of which open with a label.
HEAD_BYTES = 1 << 16
SAMPLED_LINES = 20


def is_fasttext_file(path: Path, *, encoding: str) -> bool:
    """Whether `path` is a text file in fastText's format (`mostly_labelled` of its first lines);
    read in `encoding`, or as its byte-order mark says; a file that cannot be read is not."""
    from attncli.encodings import encoding_marked_by

    try:
        with path.open("rb") as file:
            head = file.read(HEAD_BYTES)
    except OSError:
        return False
    try:
        text = head.decode(encoding_marked_by(head, encoding), errors="replace").removeprefix("\ufeff")
    except LookupError:
        return False
    whole = text.splitlines()
    whole = whole[:-1] if len(head) == HEAD_BYTES and len(whole) > 1 else whole  # the last may be cut
    return mostly_labelled(whole)


def mostly_labelled(lines: list[str]) -> bool:
    """Whether half of the first lines that hold anything, or more, open or end with a fastText
    label: one unlabelled line at the top (a comment) does not hide the format, and is then named as
    a line without a label."""
    sampled = [line for line in lines if line.strip()][:SAMPLED_LINES]
    # A label has a name: prose that opens with the word itself ("__label__ is fastText's prefix") is none.
    labelled = sum(
        LABELLED_LINE.match(line) is not None or LABELLED_END.search(line) is not None for line in sampled
    )
    return labelled > 0 and 2 * labelled >= len(sampled)


def fasttext_rows(path: Path, *, encoding: str) -> tuple[list[str], list[str | None]]:
    """The texts and labels of a fastText file, a row for each line that holds anything (blank lines
    hold none, as in a JSON-lines file); a line without a label has None."""
    texts: list[str] = []
    labels: list[str | None] = []
    lines = 0
    try:
        with path.open(encoding=encoding, newline="\n") as file:
            for number, line in enumerate(file, start=1):
                line = line.rstrip("\r\n").removeprefix("\ufeff") if number == 1 else line.rstrip("\r\n")
                lines = number
                if not line.strip():
                    continue
                labels_read, text = split_labels(line, number=number, path=path, several=False)
                texts.append(text)
                labels.append(labels_read[0] if labels_read else None)
    except UnicodeDecodeError:
        from attncli.read_errors import decoding_error

        raise decoding_error(path, encoding) or DataError(
            f"{path} is not valid {encoding}; pass --encoding"
        ) from None
    # One line in all, holding labelled lines after carriage returns: classic Mac OS's line ends.
    if lines == 1 and len(texts) == 1 and re.search(rf"\r\s*{LABEL_PREFIX}", texts[0]):
        raise DataError(
            f"{path} ends its lines with a carriage return alone (as classic Mac OS wrote them), so it "
            f"reads as one line; convert them to line feeds first (tr '\\r' '\\n' < {path.name} > "
            f"{path.stem}-lf{path.suffix})"
        )
    return texts, labels


# The labels that open a line: words that begin with __label__, each followed by white space; and
# those that end it, each after white space (`Arsenal win the cup __label__sport`: a trial's file of
# them was refused as "cannot read .txt files", where fastText reads it).
LEADING_LABELS = re.compile(rf"\s*((?:{LABEL_PREFIX}\S*(?:\s+|$))+)")
TRAILING_LABELS = re.compile(rf"(?:\s+{LABEL_PREFIX}\S*)+\s*$")


def split_labels(line: str, *, number: int, path: Path, several: bool) -> tuple[list[str], str]:
    """(labels, text) of one line: the labels are the words at its start that begin with __label__
    (an empty name is none), or else those at its end, the text the rest, as written; more than one
    label is refused unless `several` (prediction only carries them along)."""
    if (leading := LEADING_LABELS.match(line)) is not None:
        words, text = leading.group(1), line[leading.end() :]
    elif (trailing := TRAILING_LABELS.search(line)) is not None:
        words, text = trailing.group(0), line[: trailing.start()]
    else:
        return [], line
    labels = [word.removeprefix(LABEL_PREFIX) for word in words.split()]
    if len(labels) > 1 and not several:
        shown = " ".join(LABEL_PREFIX + label for label in labels[:3])
        raise DataError(
            f"multi-label data is not supported yet: line {number} of {path} has {len(labels)} labels "
            f"({shown}); give each text one label"
        )
    return [label for label in labels if label], text


def load_fasttext(path: Path, *, encoding: str) -> Any:
    """A fastText file as a `datasets.Dataset` of `text` and `label` columns."""
    import datasets

    texts, labels = fasttext_rows(path, encoding=encoding)
    features = datasets.Features({"text": datasets.Value("string"), "label": datasets.Value("string")})
    return datasets.Dataset.from_dict({"text": texts, "label": labels}, features=features)


def fasttext_records(chunks: Iterator[list[Record]], path: Path) -> Iterator[list[Record]]:
    """Plain text records of a fastText file (`attn predict --file test.txt`) as rows: the text
    after the labels, which are carried as the row's `label` field (they were classified as part of
    the text, `__label__sport` and all)."""
    from dataclasses import replace

    for chunk in chunks:
        rows = []
        for record in chunk:
            labels, text = split_labels(record.text or "", number=record.index + 1, path=path, several=True)
            # Several labels (fastText's multi-label files) are carried along as written, space apart.
            label = " ".join(labels) or None
            rows.append(replace(record, text=text, fields={"label": label, "text": text}))
        yield rows
