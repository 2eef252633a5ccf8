"""What every view shares: the theme, tables that wrap, text made safe for a terminal, and
percentages, probabilities and label lists as people read them."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any

from rich.console import OverflowMethod
from rich.table import Table
from rich.theme import Theme

from attncli.calibration import CALIBRATION_STATES, GRID_HIGH, GRID_LOW
from attncli.streams import safe_text


class WrappingTable(Table):
    """rich's Table whose cells wrap instead of ending in "…" where the terminal is narrow
    (COLUMNS=40 in a CI job): a number cut short reads as another number. A cell that should be cut
    (a long text) says so itself, with a Text of its own overflow."""

    def add_column(self, *args: Any, overflow: OverflowMethod = "fold", **kwargs: Any) -> None:
        super().add_column(*args, overflow=overflow, **kwargs)


ATTN_THEME = Theme(
    {
        # Bold in the terminal's own colour, which its theme makes readable: cyan and green were
        # 2-3.5:1 against a white background, and a headline figure was green at 9.7% accuracy too.
        "attn.label": "bold",
        "attn.score": "none",
        "attn.figure": "bold",
        "attn.muted": "dim",
        "attn.heading": "bold",
        "attn.bad": "bold red",
    }
)


def as_percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def format_probability(value: float) -> str:
    """A probability as a percentage with as many decimals as it takes not to round to 100% or 0%
    when it is neither (0.99994 is "99.99%", 0.999996 "99.9996%"), up to four. Under 1% its first
    digit is shown, rounded there: 0.0054% is "0.005%" beside 0.0037% as "0.004%" (the first
    non-zero decimal rounded 0.0054% up to "0.01%", nearly twice it)."""
    percent = 100 * value
    if 0 < percent < 1:
        decimals = min(4, -math.floor(math.log10(percent)))
        shown = f"{percent:.{decimals}f}"
        if decimals > 1 and float(shown) == 10.0 ** (1 - decimals):  # 0.0999% rounds to 0.1%, not "0.10%"
            shown = f"{percent:.{decimals - 1}f}"
        return f"{shown}%" if float(shown) > 0 else "<0.0001%"
    for decimals in (1, 2, 3, 4):
        shown = f"{100 * value:.{decimals}f}"
        if (value >= 1 or float(shown) < 100) and (value <= 0 or float(shown) > 0):
            return f"{shown}%"
    return ">99.9999%" if value > 0.5 else "<0.0001%"


def id_column(columns: Iterable[str]) -> str | None:
    """The column that holds the rows' ids, if any: `id`, `uuid`, `guid` or a product's `sku`, `asin`
    or `isbn` (any case), else `file` or
    `filename` (a document's, as predict names the files of a folder it reads), else the first whose
    name ends in `_id`, `-id` or ` id` (`ticket_id`) and is not a label's (`label_id`, `class_id`),
    else the first named a number in English or another language (`Ticket-Nr`, `Ticket No.`, `Ticket
    #`, `Número`), else a web page's address (`url`, `link`, `permalink`: a scraper's rows are keyed
    so). Shown beside a row's number, which a quoted text spanning lines makes hard to find by."""
    names = {column: column.strip().lower() for column in columns}
    exact = [column for column, name in names.items() if name in ROW_KEY_NAMES]
    exact += [column for column, name in names.items() if name in ("file", "filename")]
    suffixed = [
        column
        for column, name in names.items()
        if name.endswith(("_id", "-id", " id")) and not name.startswith(LABEL_ID_PREFIXES)
    ]
    numbered = [
        column
        for column, name in names.items()
        if NUMBER_NAME.search(name)
        and not name.startswith(LABEL_ID_PREFIXES)
        and not NOT_ROW_NUMBERS.intersection(re.findall(r"[^\W_]+", name))
    ]
    addresses = [column for column, name in names.items() if name in ADDRESS_NAMES]
    return next(iter(exact + suffixed + numbered + addresses), None)


# Names of a column of keys, each naming one row (a shop's export keys its products by `sku`).
ROW_KEY_NAMES = ("id", "uuid", "guid", "sku", "asin", "isbn")
# Names of a column of web addresses, which key scraped pages.
ADDRESS_NAMES = ("url", "link", "permalink")


# A name that ends in a word for "number" (a German export's Ticket-Nr; nothing ends in `_id` there).
NUMBER_NAME = re.compile(r"(?:^|[\s_.-])(?:nr|no|nº|n°|num|number|nummer|numero|número|numéro|#)\.?$|^#$")


# Columns ending in "_id" (or a number's name) that number the classes, not the rows.
LABEL_ID_PREFIXES = (
    *("label", "class", "category", "target", "intent", "topic"),
    *("kategorie", "klasse", "categoria", "categoría", "clase", "classe", "etiqueta"),
)
# Words of a column named a number that numbers something else than the row (yes_no, phone_no).
NOT_ROW_NUMBERS = frozenset({"yes", "phone", "telefon", "tel", "version", "page", "seite", "line", "zeile"})


def shown_value(value: Any) -> str:
    """A cell as a line of text: nothing for a missing one (not "None"); a nested value as JSON, as
    predict's JSON and csv write it (not Python's `{'a': 1}`)."""
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return safe_text(json.dumps(value, ensure_ascii=False, default=str))
    return safe_text(str(value))


def identity_of(fields: dict[str, Any]) -> str | None:
    """ "ticket_id T0042" for a row whose columns name its id and hold one, else None."""
    column = id_column(fields)
    if column is None or fields[column] in (None, ""):
        return None
    return f"{safe_text(column)} {shown_value(fields[column])}"


def calibration_note(temperature: float, state: str, *, refitted: bool = False) -> str:
    """Why a temperature is what it is: fitted (before the refit, for refitted weights), left at 1
    (which a fit of 1 would look like), or at an end of the search, where the best fit may lie
    further out."""
    if state != "fitted":
        return f" ({CALIBRATION_STATES.get(state, state)})"
    before = ", before the refit" if refitted else ""
    if math.isclose(temperature, GRID_LOW) or math.isclose(temperature, GRID_HIGH):
        end, confidence = ("lowest", "under") if temperature < 1 else ("highest", "over")
        return (
            f" (the {end} searched: the model was {confidence}-confident on the validation split{before}, "
            "perhaps more than this corrects)"
        )
    return f" (fitted on the validation split{before})"


def refit_description(refit: dict[str, Any]) -> str:
    """What the refit after early stopping did (metrics.json's "refit"), in words: the training
    summary's line and `attn info`'s row."""
    epochs, seconds = refit.get("epochs"), refit.get("seconds")
    took = f" ({seconds:.1f} s)" if isinstance(seconds, (int, float)) else ""
    return (
        f"{epochs} epoch{'s' * (epochs != 1)} on all {refit.get('train_size', 0):,} training texts, the "
        f"{refit.get('held_out_rows', 0):,} validation rows included{took}, from epoch "
        f"{refit.get('from_epoch')}; validation scores and temperature are from before it"
    )
