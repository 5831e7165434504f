"""Outbound delivery bookkeeping for the backstop sweep (tickets.outbound.sweep): attempts, the
last attempt's time, and a partial index on the pending deliveries."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0021_automation_run_held'),
    ]

    operations = [
        migrations.AddField(
            model_name='ticketmessage',
            name='delivery_attempted_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='ticketmessage',
            name='delivery_attempts',
            field=models.PositiveSmallIntegerField(default=0, editable=False),
        ),
        migrations.AddIndex(
            model_name='ticketmessage',
            index=models.Index(condition=models.Q(('delivery_status', 'pending')), fields=['created_at'], name='tkm_pending_delivery'),
        ),
    ]
