"""The breakdown tables (one per dimension) and their CSV form.

A row is the ticket figures of one group joined with its survey figures; `share` is the group's
part of the tickets created (the service-category table tells what to fix in the product) and
`bar` its length in the SVG chart relative to the largest group.
"""

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from io import BytesIO, StringIO
from typing import Any

from tickets.labels import label
from tickets.reports import cards, kpis, sources
from tickets.reports.filters import DIMENSIONS, NAMED, ReportFilters
from tickets.reports.queries import dimension_labels

TABLES = ["department", "agent", "service", "priority", "channel", "tier"]


@dataclass
class Row:
    key: Any
    label: str
    t: kpis.TicketFigures
    s: sources.SurveyFigures | None
    share: float
    bar: float
    sla_target: float | None = None

    @property
    def sla_met(self) -> bool | None:
        if self.sla_target is None or self.t.sla_pct is None:
            return None
        return self.t.sla_pct >= self.sla_target


def breakdown(filters: ReportFilters, dimension: str, figure_set: kpis.FigureSet | None = None) -> list[Row]:
    """Return the rows of one breakdown table, largest group first."""
    figures = (figure_set or kpis.figure_set(filters)).by[dimension]
    surveys = sources.survey_figures(filters, dimension)
    keys = list(dict.fromkeys([*figures, *surveys]))
    labels = dimension_labels(dimension, keys)
    total = sum(f.created for f in figures.values()) or 1
    largest = max((f.created for f in figures.values()), default=0) or 1
    rows = []
    for key in keys:
        t = figures.get(key, kpis.TicketFigures())
        name = labels.get(key, "—") if key is not None else "—"
        shown = label(name) if dimension in NAMED else name
        rows.append(Row(key=key, label=shown, t=t, s=surveys.get(key), share=100 * t.created / total,
                        bar=100 * t.created / largest,
                        sla_target=cards.sla_target(name) if dimension == "priority" else None))
    rows.sort(key=lambda r: (-r.t.created, r.label))
    return rows


HEADER = ["created", "share_pct", "answered", "first_response_avg_hours", "closed", "resolution_avg_hours",
          "fcr", "fcr_pct", "sla_due", "sla_met", "sla_pct", "survey_ratings", "csat_average", "csat_pct",
          "nps_answers", "nps", "first_response_avg_business_hours", "resolution_avg_business_hours"]


def _n(value: float | None, digits: int = 2) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 3600


def row_values(row: Row) -> list[Any]:
    t, s = row.t, row.s or sources.SurveyFigures()
    hours = _hours
    return [t.created, _n(row.share, 1), t.answered, _n(hours(t.frt_seconds)), t.closed,
            _n(hours(t.resolution_seconds)), t.fcr, _n(t.fcr_pct, 1), t.sla_total, t.sla_met, _n(t.sla_pct, 1),
            s.rated, _n(s.average), _n(s.csat_pct, 1), s.nps_answers, _n(s.nps, 1),
            _n(hours(t.frt_business_seconds)), _n(hours(t.resolution_business_seconds))]


def breakdown_table(dimension: str, rows: Iterable[Row]) -> list[list[Any]]:
    """The header and rows of a breakdown export (the CSV and the XLSX carry the same)."""
    return [[dimension, *HEADER], *([row.label, *row_values(row)] for row in rows)]


def cards_table(items: Iterable[cards.Card]) -> list[list[Any]]:
    header = ["kpi", "value", "previous_period", "formula", "target", "meets_target", "basis", "business_hours"]
    return [header, *([c.label, c.display, c.previous_display, c.formula, c.target,
                       "" if c.met is None else ("yes" if c.met else "no"), c.basis, c.business] for c in items)]


def to_csv(table: list[list[Any]]) -> str:
    out = StringIO()
    csv.writer(out).writerows(table)
    return out.getvalue()


def _cell(value: Any) -> Any:
    """A CSV value as a spreadsheet cell: numbers as numbers (so they sum), "" as empty."""
    if value == "" or value is None:
        return None
    if isinstance(value, str):
        try:
            return float(value) if "." in value else int(value)
        except ValueError:
            return value
    return value


def to_xlsx(table: list[list[Any]], title: str) -> bytes:
    """The same rows as the CSV in one worksheet (openpyxl, write-only: streams, little memory).
    Text is always stored as text: a label such as "=HYPERLINK(...)" never becomes a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])

    def cell(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        out = WriteOnlyCell(sheet, value=value)
        out.data_type = "s"
        return out

    for n, row in enumerate(table):
        sheet.append([cell(v if n == 0 else _cell(v)) for v in row])
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def breakdown_csv(dimension: str, rows: Iterable[Row]) -> str:
    return to_csv(breakdown_table(dimension, rows))


def cards_csv(items: Iterable[cards.Card]) -> str:
    return to_csv(cards_table(items))


def dimension_names() -> list[str]:
    return [d for d in TABLES if d in DIMENSIONS]
