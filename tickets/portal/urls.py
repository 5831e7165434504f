"""The client portal under /portal/."""

from django.urls import path

from tickets.portal.views import new_ticket as portal_new
from tickets.portal.views import pages as portal

app_name = "portal"

urlpatterns = [
    path("", portal.dashboard, name="dashboard"),
    path("announcements/<int:pk>/dismiss/", portal.dismiss_announcement, name="dismiss_announcement"),
    path("tickets/", portal.ticket_list, name="ticket_list"),
    path("tickets/new/", portal_new.ticket_new, name="ticket_new"),
    path("tickets/new/suggestions/", portal_new.ticket_suggestions, name="ticket_suggestions"),
    path("tickets/new/opened/", portal_new.open_suggestion, name="open_suggestion"),
    path("tickets/<int:number>/", portal.ticket_detail, name="ticket_detail"),
    path("preview/tickets/<int:number>/", portal.staff_preview, name="staff_preview"),
    path("preview/contacts/<int:contact_id>/tickets/", portal.contact_preview, name="contact_preview"),
    path("preview/contacts/<int:contact_id>/tickets/<int:number>/", portal.contact_preview_ticket,
         name="contact_preview_ticket"),
    path("tickets/<int:number>/reply/", portal.ticket_reply, name="ticket_reply"),
    path("tickets/<int:number>/resolve/", portal.ticket_resolve, name="ticket_resolve"),
    path("messages/<int:pk>/", portal.message_link, name="message"),
    path("attachments/<int:pk>/", portal.attachment_download, name="attachment"),
    path("invoices/", portal.invoice_list, name="invoice_list"),
    path("invoices/<int:pk>/", portal.invoice_detail, name="invoice_detail"),
    path("invoices/<int:pk>/pdf/", portal.invoice_pdf, name="invoice_pdf"),
]
