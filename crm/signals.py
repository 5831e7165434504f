"""Signals crm sends so other apps can follow its records without crm importing them."""

from django.dispatch import Signal

# Sent by crm.services.set_return_status inside its transaction, after the status is saved:
# sender=DeliveryReturn, delivery_return=..., status=..., actor=... (a User or None).
return_status_changed = Signal()
