"""The Django admin is the manager's configuration console: name it so, and link back to the workspace."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("Helpdesk configuration")
admin.site.site_title = _("Helpdesk configuration")
admin.site.index_title = _("Statuses, priorities, departments, people and everything managers set up")
admin.site.site_url = "/staff/"
# The console's pages are wide tables; the app index is one click away.
admin.site.enable_nav_sidebar = False
