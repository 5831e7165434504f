"""Every write to a ticket. Views, commands, webhooks and tasks call these; nothing else saves.

Each service runs in one transaction, records TicketEvents and keeps the timestamps true:
- first_response_at is set by the first public staff reply only (never notes or automatic mail);
- a customer reply to a closed ticket reopens it;
- SLA dues are recomputed when priority, status or department change; a status that pauses
  the SLA stops the clock and leaving it resumes with the time that was left.
Side effects (email, notifications, automation) run after commit through tickets.hooks and
tickets.channels.
"""

# The services are split by area; callers use them as `services.open_ticket(...)`.
from tickets.services.changes import (  # noqa: F401
    assign,
    change_department,
    change_priority,
    change_service,
    change_status,
    close_ticket,
    escalate,
    merge_tickets,
    note_history,
    record_history,
    set_custom_values,
)
from tickets.services.close_guards import (  # noqa: F401
    check_can_close,
    close_blocker,
    close_blockers,
    register_close_guard,
)
from tickets.services.common import (  # noqa: F401
    MIN_ESCALATION_NOTE,
    NewAttachment,
    add_attachments,
    check_attachment,
    closed_status,
    default_priority,
    default_status,
    recompute_sla,
    refresh_sla,
    status_by_slug,
)
from tickets.services.config import (  # noqa: F401
    check_status_deletable,
    count_predefined_reply_use,
    delete_status,
    save_queue_default,
    save_queue_layout,
)
from tickets.services.conversation import (  # noqa: F401
    add_reply,
    open_ticket,
)
from tickets.services.escalation_review import (  # noqa: F401
    approve_escalation,
    send_back_escalation,
)
from tickets.services.escalations import (  # noqa: F401
    follow_ticket,
    unfollow_ticket,
)
from tickets.services.handoffs import (  # noqa: F401
    create_delivery_return,
    create_opportunity,
    forward_invoice,
    handoff_department,
    may_handle_returns,
    notify_order_management,
    sales_staff,
    set_delivery_return_status,
    task_for_it,
)
from tickets.services.tasks import (  # noqa: F401
    TASK_EDITABLE_FIELDS,
    create_task,
    set_task_status,
    update_task,
)
