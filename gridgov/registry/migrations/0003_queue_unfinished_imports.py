"""Imports used to start in a thread of the web process; they now run in `gridgov worker`, from an outbox message
written with the job. Give every unfinished job its message (the job resumes from its checkpoint), and clear
``finished_at``, which held the old thread's lease while a job was running."""

from django.db import migrations
from django.utils import timezone

TOPIC = "registry.import"


def queue_unfinished(apps, schema_editor):
    ImportJob = apps.get_model("registry", "ImportJob")
    OutboxMessage = apps.get_model("common", "OutboxMessage")
    unfinished = ImportJob.objects.filter(status__in=["queued", "running"])
    unfinished.filter(status="running").update(finished_at=None)
    now = timezone.now()
    OutboxMessage.objects.bulk_create([
        OutboxMessage(topic=TOPIC, payload={"job_id": job_id}, dedupe_key=f"{TOPIC}:{job_id}", available_at=now)
        for job_id in unfinished.order_by("id").values_list("id", flat=True)], ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("registry", "0002_seed_tags"), ("common", "0003_outboxmessage")]
    operations = [migrations.RunPython(queue_unfinished, migrations.RunPython.noop)]
