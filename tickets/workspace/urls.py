"""The agent workspace under /staff/."""

from django.urls import path

from helpdesk.views import staff_login
from tickets.workspace.views import (
    clients,
    escalations,
    handoffs,
    home,
    kb_drafts,
    new_ticket,
    notifications,
    queue,
    search,
    tasks,
    ticket,
)

app_name = "staff"

urlpatterns = [
    path("login/", staff_login, name="login"),
    path("", home.home, name="home"),
    path("search/", search.global_search, name="search"),
    path("tickets/", queue.ticket_list, name="ticket_list"),
    path("tickets/save-view/", queue.save_default_view, name="queue_save_default"),
    path("tickets/bulk/", queue.bulk_action, name="queue_bulk"),
    path("tickets/layout/", queue.save_layout, name="queue_layout"),
    path("tickets/<int:number>/", ticket.ticket_detail, name="ticket_detail"),
    path("tickets/<int:number>/step/<str:direction>/", ticket.step, name="ticket_step"),
    path("tickets/<int:number>/reply/", ticket.reply, name="ticket_reply"),
    path("tickets/<int:number>/escalate/", ticket.escalate, name="ticket_escalate"),
    path("tickets/<int:number>/escalate/assignees/", ticket.escalation_assignees, name="ticket_escalate_assignees"),
    path("tickets/<int:number>/follow/", ticket.follow, name="ticket_follow"),
    path("tickets/<int:number>/kb-draft/", kb_drafts.kb_draft, name="ticket_kb_draft"),
    path("tickets/<int:number>/task/", ticket.create_task, name="ticket_task"),
    path("tickets/<int:number>/properties/", ticket.update_properties, name="ticket_properties"),
    path("tickets/<int:number>/pickers/", ticket.pickers, name="ticket_pickers"),
    path(
        "tickets/<int:number>/predefined/<int:reply_id>/",
        ticket.predefined_reply_text,
        name="ticket_predefined_reply",
    ),
    path("tickets/<int:number>/presence/", ticket.presence_ping, name="ticket_presence"),
    path("attachments/<int:attachment_id>/", ticket.download_attachment, name="attachment_download"),
    # Client file, tasks and manual tickets (tickets/views/{clients,tasks,new_ticket}.py)
    path("tickets/new/", new_ticket.new_ticket, name="ticket_new"),
    path("tickets/new/contacts/", new_ticket.contact_search, name="ticket_new_contacts"),
    path("clients/", clients.client_list, name="client_list"),
    path("clients/<int:pk>/", clients.client_detail, name="client_detail"),
    path("tasks/", tasks.task_list, name="task_list"),
    path("tasks/new/", tasks.task_create, name="task_create"),
    path("tasks/<int:pk>/status/", tasks.task_set_status, name="task_status"),
    path("escalations/", escalations.escalation_list, name="escalations"),
    path("escalations/<int:pk>/decide/", escalations.decide, name="escalation_decide"),
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/<int:pk>/open/", notifications.notification_open, name="notification_open"),
    path("notifications/read-all/", notifications.notification_mark_all_read, name="notifications_read_all"),
    path("profile/", notifications.profile, name="profile"),
    # Hand-offs, the order page, invoice PDFs and typed-in activity (views/handoffs.py)
    path("invoices/<int:pk>/pdf/", handoffs.invoice_pdf, name="invoice_pdf"),
    path("invoices/<int:pk>/forward/", handoffs.forward_invoice, name="invoice_forward"),
    path("orders/<int:pk>/", handoffs.order_detail, name="order_detail"),
    path("orders/<int:pk>/return/", handoffs.create_return, name="order_return"),
    path("orders/<int:pk>/notify/", handoffs.notify_orders, name="order_notify"),
    path("orders/<int:pk>/returns/<int:return_id>/status/", handoffs.return_status, name="order_return_status"),
    path("tickets/<int:number>/opportunity/", handoffs.create_opportunity, name="ticket_opportunity"),
    path("tickets/<int:number>/it-task/", handoffs.task_for_it, name="ticket_it_task"),
    path("clients/<int:pk>/activity/", handoffs.add_activity, name="client_activity_add"),
]
