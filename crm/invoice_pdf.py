"""The invoice document as a PDF (reportlab): what the portal's "download invoice" and the
WhatsApp "invoice issued" template promise. Pure rendering: the caller passes the invoice."""

from io import BytesIO

from django.conf import settings
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from crm.models import Invoice


def _text(value: object) -> str:
    """Escape text for reportlab's mini markup."""
    return str(value or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_invoice_pdf(*, invoice: Invoice) -> bytes:
    """Return the PDF of an invoice: seller, client, number, dates, amount and status."""
    buffer = BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=20 * mm,
                            title=f"{_('Invoice')} {invoice.number}", author=getattr(settings, "SITE_NAME", ""))
    styles = getSampleStyleSheet()
    client = invoice.client
    story = [
        Paragraph(_text(getattr(settings, "SITE_NAME", "Helpdesk")), styles["Title"]),
        Paragraph(f"{_text(_('Invoice'))} {_text(invoice.number)}", styles["Heading1"]),
        Spacer(1, 6 * mm),
        Paragraph(f"<b>{_text(_('Billed to'))}</b><br/>{_text(client.name)}<br/>"
                  f"{_text(client.address).replace(chr(10), '<br/>')}"
                  + (f"<br/>{_text(_('VAT number'))}: {_text(client.vat_number)}" if client.vat_number else ""),
                  styles["Normal"]),
        Spacer(1, 8 * mm),
    ]
    rows = [
        [_("Issued"), invoice.issued_on.isoformat()],
        [_("Due"), invoice.due_on.isoformat()],
        [_("Status"), invoice.display_status],
        [_("Amount"), f"{invoice.amount:,.2f} {invoice.currency}"],
    ]
    if invoice.paid_on:
        rows.insert(2, [_("Paid"), invoice.paid_on.isoformat()])
    table = Table(rows, colWidths=[50 * mm, 100 * mm])
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
        ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
    ]))
    story.append(table)
    doc.build(story)
    return buffer.getvalue()
