"""Names that live in the database (statuses, their portal labels, priorities, departments,
services, custom fields), shown in the reader's language.

The seed migrations and the demo seed write English names. They are listed below so
makemessages collects them (context "label", so a name never borrows the translation of a
button or a heading that happens to be spelt the same); `label(name)` looks a name up in the
active language's catalogue and returns it as typed when there is no translation, so a status a
manager renamed or created reads exactly as the manager wrote it. Every page, fragment, form
and text built in Python shows these names through `label` (the `label` filter in Django
templates and in the Jinja2 fragments). Stored texts (history notes, notification texts) keep
the words they were written with.
"""

from django import forms, template
from django.utils.translation import pgettext, pgettext_lazy

CONTEXT = "label"

# Never read: here for makemessages. Keep in step with tickets/migrations/0002_seed_configuration.py,
# 0014_escalations_portal_labels.py and tickets/demo/seed.py.
SEEDED = (
    # statuses
    pgettext_lazy("label", "New"),
    pgettext_lazy("label", "In Progress"),
    pgettext_lazy("label", "Answered"),
    pgettext_lazy("label", "On Hold"),
    pgettext_lazy("label", "Escalated"),
    pgettext_lazy("label", "Closed"),
    # portal labels (and the default one of a status without a label)
    pgettext_lazy("label", "Received"),
    pgettext_lazy("label", "In progress"),
    pgettext_lazy("label", "Awaiting your reply"),
    # priorities
    pgettext_lazy("label", "Urgent"),
    pgettext_lazy("label", "High"),
    pgettext_lazy("label", "Medium"),
    pgettext_lazy("label", "Low"),
    # services
    pgettext_lazy("label", "Account & Access"),
    pgettext_lazy("label", "Billing"),
    pgettext_lazy("label", "Orders & Delivery"),
    pgettext_lazy("label", "Bug / Technical Error"),
    pgettext_lazy("label", "Feature Request"),
    pgettext_lazy("label", "Onboarding"),
    pgettext_lazy("label", "Contracts"),
    pgettext_lazy("label", "Other"),
    # departments (demo seed)
    pgettext_lazy("label", "General Support"),
    pgettext_lazy("label", "Technical Support"),
    pgettext_lazy("label", "Orders"),
    # custom fields (demo seed)
    pgettext_lazy("label", "Contract / order number"),
    pgettext_lazy("label", "Version / affected module"),
    pgettext_lazy("label", "Customer tier"),
    pgettext_lazy("label", "Origin channel"),
)


def label(name: object) -> str:
    """Return a database-named label in the active language, or as typed when untranslated."""
    if not name:
        return "" if name is None else str(name)
    return pgettext(CONTEXT, str(name))


class LabelledChoiceField(forms.ModelChoiceField):
    """A select of statuses, priorities, departments or services, its options through `label`."""

    def label_from_instance(self, obj: object) -> str:
        return label(str(obj))


register = template.Library()
register.filter("label", label)
