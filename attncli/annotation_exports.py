"""Exports of annotation tools whose rows are not one text and its label, recognised so that they are
not trained or scored on as if they were: Prodigy's binary answers (a row whose `answer` is "reject"
says its label is NOT the text's) and Label Studio's full JSON export (each task's label deep in a
list of annotations)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from attncli.errors import DataError

PRODIGY_ANSWERS = frozenset({"accept", "reject", "ignore"})
# Rows read to count Prodigy's answers: enough for any export a person annotated.
ANSWER_SAMPLE = 100_000


def refuse_rejected_answers(dataset: Any, *, label: str | None, where: str) -> None:
    """Refuse a Prodigy export whose `answer` column rejects or ignores some rows: their label is the
    one proposed and turned down, and training on it teaches the opposite (a trial's model scored
    52% on texts it would have learnt perfectly). Exports of accepted rows alone pass."""
    if "answer" not in dataset.column_names or label in (None, "answer"):
        return
    sample = dataset.select(range(min(len(dataset), ANSWER_SAMPLE)))["answer"]
    answers = Counter(value.strip().lower() for value in sample if isinstance(value, str))
    if not answers or set(answers) - PRODIGY_ANSWERS or sum(answers.values()) != len(sample):
        return
    rejected, skipped = answers["reject"], answers["ignore"]
    if not rejected and not skipped:
        return
    told = " and ".join(
        f"{verb} {count:,}" for verb, count in (("rejects", rejected), ("skips", skipped)) if count
    )
    raise DataError(
        f"{where} looks like a Prodigy export: its column 'answer' {told} of {len(sample):,} rows, "
        f"whose {label!r} is a label turned down or not decided, not the text's; keep the accepted rows "
        f"(jq -c 'select(.answer == \"accept\")' for JSON lines) and pass that file"
    )


def export_hint(columns: list[str]) -> str | None:
    """What to do with a table with no label column found that is an annotation tool's export: Label
    Studio's full JSON export (`data` and `annotations` columns), whose labels lie in a list of
    annotations that no column or dotted path reaches, or Prodigy's choice answers (`accept`, a list
    of the options chosen, beside `answer`); None for other tables."""
    if {"data", "annotations"} <= set(columns):
        return (
            "it looks like Label Studio's full JSON export, whose labels lie in each task's list of "
            "annotations; export the project as JSON-MIN or CSV instead, which hold each text and its "
            "choice in a row (the choice's column named as your Choices tag: --label-column NAME)"
        )
    if {"accept", "answer"} <= set(columns):
        return (
            "it looks like a Prodigy export of choices, whose 'accept' lists the options chosen; keep the "
            'texts of one option with it as their label (jq -c \'select(.answer == "accept" and '
            "(.accept | length) == 1) | {text, label: .accept[0]}') and pass that file"
        )
    return None
