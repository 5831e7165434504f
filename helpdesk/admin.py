"""The Django admin is the manager's configuration console: name it so, and link back to the workspace."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("Helpdesk configuration")
admin.site.site_title = _("Helpdesk configuration")
admin.site.index_title = _("Statuses, priorities, departments, people and everything managers set up")
admin.site.site_url = "/staff/"
# The console's pages are wide tables; the app index is one click away.
admin.site.enable_nav_sidebar = False


# The index groups the tables the way a manager thinks of them, not by code module; link tables
# and logs sit last under "Records and technical tables". Apps that plug in later (WhatsApp,
# surveys) get their own group by app label.
ADMIN_GROUPS: list[tuple[str, str, list[str]]] = [
    ("tickets", _("Tickets"), ["tickets.Ticket", "tickets.TicketStatus", "tickets.Priority", "tickets.Service",
                               "tickets.Department", "tickets.CustomField", "tickets.PredefinedReply",
                               "tickets.Task"]),
    ("email", _("Email"), ["tickets.DepartmentMailbox", "tickets.InboundEmail", "tickets.SpamFilter"]),
    ("sla", _("SLA"), ["tickets.BusinessCalendar", "tickets.SLAPolicy"]),
    ("automation", _("Automation"), ["tickets.AutomationRule", "tickets.AutomationRun"]),
    ("kb", _("Knowledge base"), ["kb.*"]),
    ("clients", _("Clients"), ["crm.Client", "crm.Contact", "crm.Contract", "crm.Invoice", "crm.Order",
                               "crm.DeliveryNote", "crm.Opportunity", "crm.Lead", "crm.Activity",
                               "crm.Announcement"]),
    ("whatsapp", _("WhatsApp"), ["whatsapp.*"]),
    ("surveys", _("Surveys"), ["surveys.*"]),
    ("appointments", _("Callbacks"), ["appointments.*"]),
    ("people", _("Staff and sign-in"), ["crm.User", "crm.StaffProfile", "auth.*"]),
]
TECHNICAL_GROUP = ("technical", _("Records and technical tables"))


def _group_of(app_label: str, object_name: str) -> str:
    for key, _name, members in ADMIN_GROUPS:
        if f"{app_label}.{object_name}" in members or f"{app_label}.*" in members:
            return key
    return TECHNICAL_GROUP[0]


def grouped_app_list(request: object, app_label: str | None = None) -> list[dict]:
    """Return the admin index's sections: the manager's groups, then the technical tables."""
    if app_label:
        return _app_list(request, app_label)
    app_dict = admin.site._build_app_dict(request)
    sections: dict[str, dict] = {
        key: {"name": name, "app_label": key, "app_url": f"#{key}", "has_module_perms": True, "models": []}
        for key, name, _members in [*ADMIN_GROUPS, (*TECHNICAL_GROUP, [])]
    }
    for label, app in app_dict.items():
        for model in app["models"]:
            sections[_group_of(label, model["object_name"])]["models"].append(model)
    order = {key: members for key, _n, members in ADMIN_GROUPS}
    result = []
    for key, section in sections.items():
        if not section["models"]:
            continue
        wanted = order.get(key, [])
        section["models"].sort(key=lambda m: (
            wanted.index(f"{m['model']._meta.app_label}.{m['object_name']}")
            if f"{m['model']._meta.app_label}.{m['object_name']}" in wanted else len(wanted),
            str(m["name"]),
        ))
        result.append(section)
    return result


_app_list = admin.site.get_app_list
admin.site.get_app_list = grouped_app_list
