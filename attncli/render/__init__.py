"""Everything people see: functions that turn result dataclasses into rich renderables, a module
per view. The only package that imports rich; it runs no torch and prints nothing itself."""

from attncli.labels import label_list
from attncli.render.consoles import html_page, svg_page
from attncli.render.evaluation import render_eval
from attncli.render.heat import HeatScale, heat_styles
from attncli.render.info import render_info
from attncli.render.inspection import render_inspection
from attncli.render.prediction import (
    PredictionLayout,
    distinct_labels,
    prediction_layout,
    render_prediction_header,
    render_prediction_row,
)
from attncli.render.text import ATTN_THEME, format_probability, identity_of
from attncli.render.training import missed_labels_warning, render_train_summary, summary_warnings

__all__ = [
    "ATTN_THEME",
    "HeatScale",
    "PredictionLayout",
    "distinct_labels",
    "format_probability",
    "heat_styles",
    "identity_of",
    "label_list",
    "missed_labels_warning",
    "summary_warnings",
    "prediction_layout",
    "render_eval",
    "render_info",
    "render_inspection",
    "render_prediction_header",
    "render_prediction_row",
    "render_train_summary",
    "html_page",
    "svg_page",
]
