"""fastText's training format: one example a line, its label first as `__label__NAME`, then the text
(`__label__sport Arsenal win the cup`), in a .txt (or .train, .valid, .test) file. A fastText user's
data, read as a table of `text` and `label` for training and evaluation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from attncli.errors import DataError
from attncli.records import Record

LABEL_PREFIX = "__label__"
# The suffixes of fastText's files in a folder of splits (train.txt, valid.txt, test.txt). A file
# passed alone may have any suffix that is not a data file's (fastText's tutorial: cooking.train).
FASTTEXT_SUFFIXES = (".txt",)
# How much of a file's start is read to tell whether it is in fastText's format, and how many of
# its first lines, most of which open with a label.
HEAD_BYTES = 1 << 16
SAMPLED_LINES = 20


def is_fasttext_file(path: Path, *, encoding: str) -> bool:
    """Whether `path` is a text file whose first line that holds anything starts with a fastText
    label (`__label__`); a file that cannot be read is not."""
    try:
        with path.open("rb") as file:
            head = file.read(HEAD_BYTES)
    except OSError:
        return False
    text = head.decode(encoding, errors="replace").removeprefix("\ufeff")
    # Half the first lines or more: one unlabelled line at the top (a comment) does not hide the format,
    # and is then named as a line without a label.
    whole = text.splitlines()
    whole = whole[:-1] if len(head) == HEAD_BYTES and len(whole) > 1 else whole  # the last may be cut
    lines = [line for line in whole if line.strip()][:SAMPLED_LINES]
    labelled = sum(line.lstrip().startswith(LABEL_PREFIX) for line in lines)
    return labelled > 0 and 2 * labelled >= len(lines)


def fasttext_rows(path: Path, *, encoding: str) -> tuple[list[str], list[str | None]]:
    """The texts and labels of a fastText file, a row for each line that holds anything (blank lines
    hold none, as in a JSON-lines file); a line without a label has None."""
    texts: list[str] = []
    labels: list[str | None] = []
    try:
        with path.open(encoding=encoding, newline="\n") as file:
            for number, line in enumerate(file, start=1):
                line = line.rstrip("\r\n").removeprefix("\ufeff") if number == 1 else line.rstrip("\r\n")
                if not line.strip():
                    continue
                label, text = _split_line(line, number=number, path=path)
                texts.append(text)
                labels.append(label)
    except UnicodeDecodeError:
        from attncli.read_errors import decoding_error

        raise decoding_error(path, encoding) or DataError(
            f"{path} is not valid {encoding}; pass --encoding"
        ) from None
    return texts, labels


# The labels that open a line: words that begin with __label__, each followed by white space.
LEADING_LABELS = re.compile(rf"\s*((?:{LABEL_PREFIX}\S*(?:\s+|$))+)")


def is_fasttext_line(line: str) -> bool:
    """Whether a line opens with a fastText label (`__label__sport Arsenal win`)."""
    return LEADING_LABELS.match(line) is not None


def _split_line(line: str, *, number: int, path: Path) -> tuple[str | None, str]:
    """(label, text) of one line: the labels are the words at its start that begin with __label__,
    the text the rest, as written."""
    found = LEADING_LABELS.match(line)
    if found is None:
        return None, line
    labels = [word.removeprefix(LABEL_PREFIX) for word in found.group(1).split()]
    if len(labels) > 1:
        shown = " ".join(LABEL_PREFIX + label for label in labels[:3])
        raise DataError(
            f"multi-label data is not supported yet: line {number} of {path} has {len(labels)} labels "
            f"({shown}); give each text one label"
        )
    return labels[0] or None, line[found.end() :]


def load_fasttext(path: Path, *, encoding: str) -> Any:
    """A fastText file as a `datasets.Dataset` of `text` and `label` columns."""
    import datasets

    texts, labels = fasttext_rows(path, encoding=encoding)
    features = datasets.Features({"text": datasets.Value("string"), "label": datasets.Value("string")})
    return datasets.Dataset.from_dict({"text": texts, "label": labels}, features=features)


def fasttext_records(chunks: Iterator[list[Record]], path: Path) -> Iterator[list[Record]]:
    """Plain text records of a fastText file (`attn predict --file test.txt`) as rows: the text
    after the label, which is carried as the row's `label` field (it was classified as part of
    the text, `__label__sport` and all)."""
    from dataclasses import replace

    for chunk in chunks:
        rows = []
        for record in chunk:
            label, text = _split_line(record.text or "", number=record.index + 1, path=path)
            rows.append(replace(record, text=text, fields={"label": label, "text": text}))
        yield rows
