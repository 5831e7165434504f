"""Celery tasks of the surveys app: thin, take ids, call one service."""

from celery import shared_task

from surveys import services


@shared_task(
    name="surveys.send_invitation",
    autoretry_for=(OSError,),
    retry_backoff=60,
    max_retries=6,
    time_limit=120,
    soft_time_limit=100,
    acks_late=True,
)
def send_invitation(invitation_id: int) -> bool:
    """Send one survey invitation (a fresh link is made at sending)."""
    return services.send_invitation(invitation_id=invitation_id)
