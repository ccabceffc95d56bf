# Failure streaks (auto-disable), recovery jobs, and the in-flight index the claim uses for concurrency caps.

import django.db.models.deletion
from django.db import migrations, models

import deliveries.models


class Migration(migrations.Migration):

    dependencies = [
        ('deliveries', '0001_initial'),
        ('eventhub', '0001_initial'),
        ('subscriptions', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='FailureStreak',
            fields=[
                ('subscription', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='failure_streak', serialize=False, to='subscriptions.eventsubscription')),
                ('failing_since', models.DateTimeField(blank=True, null=True)),
            ],
        ),
        migrations.CreateModel(
            name='RecoveryJob',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('token', models.CharField(default=deliveries.models.recovery_job_token, editable=False, max_length=40, unique=True)),
                ('kind', models.CharField(choices=[('recover', 'Recover'), ('replay_missing', 'Replay Missing')], max_length=20)),
                ('begin', models.DateTimeField()),
                ('end', models.DateTimeField()),
                ('status', models.CharField(choices=[('QUEUED', 'Queued'), ('RUNNING', 'Running'), ('DONE', 'Done'), ('FAILED', 'Failed')], default='QUEUED', max_length=10)),
                ('messages', models.PositiveIntegerField(default=0, help_text='Messages put back on schedule or created.')),
                ('error', models.CharField(blank=True, default='', max_length=500)),
                ('created', models.DateTimeField()),
                ('started_at', models.DateTimeField(blank=True, null=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('account', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='eventhub.account')),
                ('subscription', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='recovery_jobs', to='subscriptions.eventsubscription')),
            ],
            options={
                'ordering': ['-created', '-id'],
                'indexes': [models.Index(fields=['subscription', 'kind', 'status'], name='recovery_job_active')],
            },
        ),
        migrations.AddIndex(
            model_name='message',
            index=models.Index(condition=models.Q(('status', 'SENDING')), fields=['subscription', 'lease_expires_at'], name='message_in_flight'),
        ),
    ]
