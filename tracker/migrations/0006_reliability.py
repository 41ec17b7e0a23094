# Issue 12 (reliability and operations): leases and claim tokens on the outbox, an outbox
# for confirmations and health alerts, heartbeats, the shared mail circuit, delivery counts.
from __future__ import annotations

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tracker", "0005_security")]

    operations = [
        migrations.CreateModel(
            name='DeliveryCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=40, unique=True)),
                ('value', models.BigIntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name='Heartbeat',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('role', models.CharField(choices=[('worker', 'Worker'), ('beat', 'Beat')], max_length=8)),
                ('process', models.CharField(help_text='Host name and process id.', max_length=200)),
                ('seen_at', models.DateTimeField()),
            ],
            options={
                'ordering': ['role', '-seen_at'],
            },
        ),
        migrations.CreateModel(
            name='MailCircuit',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(default='smtp', max_length=40, unique=True)),
                ('opened_at', models.DateTimeField(blank=True, null=True)),
                ('probe_at', models.DateTimeField(blank=True, null=True)),
                ('last_error', models.TextField(blank=True)),
            ],
        ),
        migrations.CreateModel(
            name='OutboxEmail',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('due_at', models.DateTimeField()),
                ('state', models.CharField(choices=[('pending', 'Pending'), ('sending', 'Sending'), ('sent', 'Sent'), ('failed', 'Failed'), ('void', 'Void'), ('superseded', 'Superseded')], default='pending', max_length=12)),
                ('attempts', models.PositiveIntegerField(default=0)),
                ('last_error', models.TextField(blank=True)),
                ('retry_at', models.DateTimeField(blank=True, help_text='After a failed attempt: not before this time.', null=True)),
                ('claimed_at', models.DateTimeField(blank=True, help_text='When the latest sender claimed the row.', null=True)),
                ('leased_until', models.DateTimeField(blank=True, help_text='A sending row whose lease has passed is released to pending.', null=True)),
                ('claim_token', models.CharField(blank=True, help_text="The latest claim's id.", max_length=32)),
                ('sent_at', models.DateTimeField(blank=True, null=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('kind', models.CharField(choices=[('confirmation', 'Confirmation'), ('health_alert', 'Health Alert')], max_length=12)),
                ('recipient', models.EmailField(max_length=254)),
                ('sequence', models.PositiveSmallIntegerField(default=0, help_text='For confirmations: 0 for the first, 1 for the first resend, …')),
            ],
            options={
                'verbose_name': 'outbox email',
                'ordering': ['due_at', 'id'],
            },
        ),
        migrations.AddField(
            model_name='reminder',
            name='claim_token',
            field=models.CharField(blank=True, help_text="The latest claim's id.", max_length=32),
        ),
        migrations.AddField(
            model_name='reminder',
            name='leased_until',
            field=models.DateTimeField(blank=True, help_text='A sending row whose lease has passed is released to pending.', null=True),
        ),
        migrations.AddField(
            model_name='reminder',
            name='retry_at',
            field=models.DateTimeField(blank=True, help_text='After a failed attempt: not before this time.', null=True),
        ),
        migrations.AlterField(
            model_name='reminder',
            name='claimed_at',
            field=models.DateTimeField(blank=True, help_text='When the latest sender claimed the row.', null=True),
        ),
        migrations.AddIndex(
            model_name='reminder',
            index=models.Index(condition=models.Q(('state', 'sending')), fields=['leased_until'], name='reminder_sending_lease'),
        ),
        migrations.AddConstraint(
            model_name='heartbeat',
            constraint=models.UniqueConstraint(fields=('role', 'process'), name='heartbeat_one_per_process'),
        ),
        migrations.AddField(
            model_name='outboxemail',
            name='status_change',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='alert_emails', to='tracker.statuschange'),
        ),
        migrations.AddField(
            model_name='outboxemail',
            name='subscription',
            field=models.ForeignKey(blank=True, help_text='The subscription to confirm, or the subscriber an alert goes to.', null=True, on_delete=django.db.models.deletion.CASCADE, related_name='outbox_emails', to='tracker.subscription'),
        ),
        migrations.AddIndex(
            model_name='outboxemail',
            index=models.Index(condition=models.Q(('state', 'pending')), fields=['due_at'], name='outboxemail_pending_due'),
        ),
        migrations.AddIndex(
            model_name='outboxemail',
            index=models.Index(condition=models.Q(('state', 'sending')), fields=['leased_until'], name='outboxemail_sending_lease'),
        ),
        migrations.AddConstraint(
            model_name='outboxemail',
            constraint=models.UniqueConstraint(condition=models.Q(('kind', 'confirmation')), fields=('subscription', 'sequence'), name='outboxemail_confirmation_once_per_sequence'),
        ),
        migrations.AddConstraint(
            model_name='outboxemail',
            constraint=models.UniqueConstraint(condition=models.Q(('kind', 'health_alert')), fields=('status_change', 'recipient'), name='outboxemail_alert_once_per_recipient'),
        ),
        migrations.AddConstraint(
            model_name='outboxemail',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind', 'confirmation'), ('subscription__isnull', False)), models.Q(('kind', 'health_alert'), ('status_change__isnull', False)), _connector='OR'), name='outboxemail_names_its_cause'),
        ),
    ]
