"""kill -9 of a real `manage.py worker` in the middle of an import, then a second worker: no row lost or doubled, the
import ends with the right counts and its progress never goes back (SQLite file / PostgreSQL database).

The suite imports GRIDGOV_TEST_KILL_ROWS rows (6,000 by default, about 20 s here); the 100,000-row run is
`python -m bench import-kill` (docs/reliability.md)."""

import os
import signal
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count

from gridgov.common.models import OutboxMessage
from gridgov.common.tests.worker_process import start_worker, stop
from gridgov.registry.idcard import id_hash
from gridgov.registry.imports import import_job_create
from gridgov.registry.models import ImportJob, Person
from gridgov.registry.tests.import_helpers import people_file

N_ROWS = int(os.environ.get("GRIDGOV_TEST_KILL_ROWS", "6000"))
CHUNK = 300
LEASE = 2.0


@pytest.fixture
def committed_demo(transactional_db):
    from gridgov.demo import demo_build
    from gridgov.regions.index import geo_index
    from gridgov.regions.models import Region

    if not Region.objects.exists():
        demo_build(scale="small", history=False)  # rebuilt after every flush: without the months of cases
    geo_index.invalidate()


def _wait(condition, *, timeout: float, what: str, log, samples: list, job_id: int):
    ends = time.monotonic() + timeout
    while time.monotonic() < ends:
        job = ImportJob.objects.get(pk=job_id)
        samples.append(job.processed_rows)
        if condition(job):
            return job
        time.sleep(0.02)
    raise AssertionError(f"{what} within {timeout} s; last progress {samples[-1:]}; worker log:\n"
                         f"{log.read_text()[-3000:]}")


def test_kill_9_of_the_worker_mid_import_loses_no_row_and_doubles_none(committed_demo, tmp_path, settings):
    from gridgov.accounts.models import User

    media = tmp_path / "media"
    settings.MEDIA_ROOT = media
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    env = {"GRIDGOV_MEDIA_ROOT": str(media), "GRIDGOV_MEDIA_STORAGE": "local",
           "GRIDGOV_IMPORT_CHUNK_ROWS": str(CHUNK), "GRIDGOV_LOG_LEVEL": "WARNING"}
    uploader = User.objects.get(username="worker_a")
    data, valid, bad = people_file(uploader.grids.get().code, N_ROWS)
    people_before = Person.objects.count()

    job = import_job_create(actor=uploader, kind="people", mode="valid_rows",
                            upload=SimpleUploadedFile("people.xlsx", data))
    time.sleep(1)  # committed: nothing in this (web) process starts it …
    assert ImportJob.objects.get(pk=job.pk).status == "queued"

    log = tmp_path / "workers.log"
    samples: list[int] = []
    doomed = start_worker("doomed", log=log, lease=LEASE, env=env)  # … the worker does
    try:
        _wait(lambda j: j.processed_rows >= 3 * CHUNK, timeout=90, what="three chunks committed",
                        log=log, samples=samples, job_id=job.pk)
        os.kill(doomed.pid, signal.SIGKILL)
        assert doomed.wait(timeout=10) == -signal.SIGKILL
    finally:
        stop(doomed, signal.SIGKILL)
    at_kill = ImportJob.objects.get(pk=job.pk)
    assert at_kill.status == "running" and at_kill.processed_rows < N_ROWS, "killed too late to prove anything"
    # the checkpoint was committed with its rows: exactly the rows it counts are in the table
    assert Person.objects.count() - people_before == at_kill.created_rows > 0
    message = OutboxMessage.objects.get(topic="registry.import")
    assert message.claimed_by == "doomed" and message.delivered_at is None

    survivor = start_worker("survivor", log=log, lease=LEASE, env=env)
    try:
        done = _wait(lambda j: j.status != "running", timeout=60 + N_ROWS / 250, what="the import finished",
                     log=log, samples=samples, job_id=job.pk)
    finally:
        stop(survivor)

    assert (done.status, done.total_rows, done.processed_rows) == ("done", N_ROWS, N_ROWS), done.message
    assert (done.created_rows, done.updated_rows, done.unchanged_rows, done.error_rows) == (len(valid), 0, 0, bad)
    new = Person.objects.filter(created_by=uploader)
    assert Person.objects.count() - people_before == len(valid)  # none lost …
    assert not new.values("id_hash").annotate(n=Count("id")).filter(n__gt=1).exists()  # … none doubled
    expected = {id_hash("resident_id", number) for number in valid}
    assert expected <= set(new.values_list("id_hash", flat=True))
    assert samples == sorted(samples)  # the progress bar never went back, across the kill
    message.refresh_from_db()
    assert message.delivered_at is not None and message.attempts == 1  # the kill cost no attempt
    assert "worker survivor: claimed 1, delivered 1" in log.read_text()
