"""Every report table downloads as XLSX beside the CSV: the same columns and the same values
(read back with openpyxl), over the generated month with known answers."""

import csv
import io

import pytest
from openpyxl import load_workbook

from tests.tickets.reports.builder import build_month
from tests.tickets.reports.test_kpis import NOVEMBER, manager_client  # noqa: F401 (fixture)
from tickets.reports.views import CSV_TABLES, XLSX

pytestmark = pytest.mark.django_db


def same(text: str, cell: object) -> bool:
    """A CSV field and the spreadsheet cell hold the same value (numbers as numbers)."""
    if cell is None:
        return text == ""
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return abs(float(text) - cell) < 1e-9
    return text == str(cell)


def test_every_table_downloads_as_xlsx_with_the_csv_values(manager_client):  # noqa: F811
    month = build_month()
    for table in CSV_TABLES:
        got_csv = manager_client.get("/staff/reports/", {**NOVEMBER, "table": table, "format": "csv"})
        got_xlsx = manager_client.get("/staff/reports/", {**NOVEMBER, "table": table, "format": "xlsx"})
        assert got_xlsx.status_code == 200 and got_xlsx["Content-Type"] == XLSX
        assert got_xlsx["Content-Disposition"].endswith('.xlsx"')
        rows = list(csv.reader(io.StringIO(got_csv.content.decode())))
        sheet = load_workbook(io.BytesIO(got_xlsx.content), read_only=True).active
        width = len(rows[0])  # read-only sheets drop trailing empty cells: pad them back
        cells = [list(r) + [None] * (width - len(r)) for r in sheet.iter_rows(values_only=True)]
        assert len(cells) == len(rows) > 1, table
        assert [str(c) for c in cells[0]] == rows[0], table  # the same columns
        for text_row, cell_row in zip(rows[1:], cells[1:], strict=True):
            assert len(cell_row) == len(text_row)
            assert all(same(t, c) for t, c in zip(text_row, cell_row, strict=True)), (table, text_row, cell_row)
        if table not in ("kpis", "sla"):  # numbers stay numbers: the column sums to the known total
            created = cells[0].index("created")
            assert sum(r[created] for r in cells[1:]) == month.total.created


def test_a_label_that_looks_like_a_formula_stays_text(manager_client):  # noqa: F811
    """A service named "=1+1" is the text "=1+1" in the spreadsheet, not a formula."""
    from tickets.models import Service

    month = build_month()
    Service.objects.filter(name="Billing").update(name="=1+1")
    response = manager_client.get("/staff/reports/", {**NOVEMBER, "table": "service", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    labels = [row[0].value for row in sheet.iter_rows(min_row=2)]
    assert "=1+1" in labels
    assert all(row[0].data_type == "s" for row in sheet.iter_rows(min_row=2))
    assert month.total.created
