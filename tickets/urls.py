"""The agent workspace under /staff/."""

from django.urls import path

from helpdesk.views import staff_login
from tickets.views import clients, new_ticket, tasks, workspace

app_name = "staff"

urlpatterns = [
    path("login/", staff_login, name="login"),
    path("", workspace.home, name="home"),
    path("tickets/", workspace.ticket_list, name="ticket_list"),
    path("tickets/<int:number>/", workspace.ticket_detail, name="ticket_detail"),
    # Client file, tasks and manual tickets (tickets/views/{clients,tasks,new_ticket}.py)
    path("tickets/new/", new_ticket.new_ticket, name="ticket_new"),
    path("tickets/new/contacts/", new_ticket.contact_search, name="ticket_new_contacts"),
    path("clients/", clients.client_list, name="client_list"),
    path("clients/<int:pk>/", clients.client_detail, name="client_detail"),
    path("tasks/", tasks.task_list, name="task_list"),
    path("tasks/new/", tasks.task_create, name="task_create"),
    path("tasks/<int:pk>/status/", tasks.task_set_status, name="task_status"),
]
