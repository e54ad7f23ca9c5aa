"""Photos uploaded ahead of a report (POST /api/v1/photos) and never attached to a case are deleted with their files
after GRIDGOV_PHOTO_UNATTACHED_HOURS — hourly by `gridgov worker` (an hourly outbox job) or by `gridgov photos_prune`;
an attached photo never is. A submission that fails after saving photo files leaves none behind."""

import datetime as dt
import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from gridgov.common.models import AuditLog, OutboxMessage
from gridgov.events.models import Event, Photo
from gridgov.events.services import PHOTO_PRUNE, photo_prune_unattached
from gridgov.events.tests.conftest import jpeg, point_in

pytestmark = pytest.mark.django_db


def age(photo_id: int, hours: float) -> None:
    Photo.objects.filter(pk=photo_id).update(uploaded_at=timezone.now() - dt.timedelta(hours=hours))


def files_of(photo_id: int) -> list[str]:
    photo = Photo.objects.get(pk=photo_id)
    return [photo.file, photo.thumbnail]


def stored(names) -> list[bool]:
    return [default_storage.exists(name) for name in names]


@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    """Run what a commit would run (the files are deleted after the rows' transaction commits)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def photos(as_user, upload, grid_a, settings):
    """Four photos of worker_a, all with real files on the local disk: attached to a report two days ago, still
    unattached two days and 25 hours after the upload, and unattached but fresh (an hour)."""
    settings.GRIDGOV_PHOTO_UNATTACHED_HOURS = 24
    client = as_user("worker_a")
    ids = {name: upload(client, color) for name, color in (("attached", (10, 10, 10)), ("old", (20, 20, 20)),
                                                           ("day", (30, 30, 30)), ("fresh", (40, 40, 40)))}
    lon, lat = point_in(grid_a)
    report = client.post("/api/v1/events", {"category": "0301", "description": "垃圾堆积", "lon": lon, "lat": lat,
                                            "photos": [ids["attached"]]}, content_type="application/json")
    assert report.status_code == 201, report.content
    for name, hours in (("attached", 48), ("old", 48), ("day", 25), ("fresh", 1)):
        age(ids[name], hours)
    files = {name: files_of(pk) for name, pk in ids.items()}
    assert all(all(stored(names)) for names in files.values())
    return ids, files


def test_unattached_photos_past_the_grace_period_go_with_their_files(photos, commits):
    ids, files = photos
    with commits():
        pruned = photo_prune_unattached()
    assert pruned.deleted >= 2
    assert not Photo.objects.filter(pk__in=[ids["old"], ids["day"]]).exists()
    assert stored(files["old"] + files["day"]) == [False] * 4  # photo and thumbnail
    assert Photo.objects.get(pk=ids["attached"]).event_id is not None  # attached: never deleted, however old
    assert Photo.objects.filter(pk=ids["fresh"], event__isnull=True).exists()  # within the grace period
    assert stored(files["attached"] + files["fresh"]) == [True] * 4
    audit = AuditLog.objects.filter(action="photo.prune").latest("id")
    assert audit.detail["deleted"] == pruned.deleted and audit.detail["older_than_hours"] == 24
    assert photo_prune_unattached().deleted == 0  # nothing left to do
    assert AuditLog.objects.filter(action="photo.prune").count() == 1


def test_the_grace_period_is_the_setting(photos, settings):
    ids, files = photos
    settings.GRIDGOV_PHOTO_UNATTACHED_HOURS = 72
    photo_prune_unattached()
    assert Photo.objects.filter(pk__in=[ids["old"], ids["day"], ids["fresh"]]).count() == 3
    settings.GRIDGOV_PHOTO_UNATTACHED_HOURS = 26
    photo_prune_unattached()
    assert set(Photo.objects.filter(pk__in=ids.values()).values_list("id", flat=True)) == {
        ids["attached"], ids["day"], ids["fresh"]}


def test_a_photo_attached_while_the_batch_runs_is_kept_with_its_files(photos, monkeypatch, commits):
    """The batch deletes only rows still unattached inside its transaction, and only their files."""
    ids, files = photos
    case = Event.objects.filter(photos__pk=ids["attached"]).get()
    real_delete = Photo.objects.filter(pk=0).delete.__func__

    def attach_then_delete(queryset):
        Photo.objects.filter(pk=ids["old"]).update(event=case)  # a report names it a moment before the delete
        return real_delete(queryset)

    monkeypatch.setattr(type(Photo.objects.filter(pk=0)), "delete", attach_then_delete)
    with commits():
        photo_prune_unattached()
    assert Photo.objects.get(pk=ids["old"]).event_id == case.pk and stored(files["old"]) == [True, True]
    assert not Photo.objects.filter(pk=ids["day"]).exists() and stored(files["day"]) == [False, False]


def test_the_worker_queues_the_job_hourly_and_delivers_it(photos, commits):
    ids, files = photos
    OutboxMessage.objects.filter(delivered_at__isnull=True).update(delivered_at=timezone.now())  # only ours is due
    out = io.StringIO()
    with commits():
        call_command("worker", "--once", "--worker-id", "w", stdout=out)
    assert "worker w: queued 1 hourly jobs" in out.getvalue()
    message = OutboxMessage.objects.get(topic=PHOTO_PRUNE)
    assert message.delivered_at is not None and message.dedupe_key.startswith(f"{PHOTO_PRUNE}:")
    assert not Photo.objects.filter(pk__in=[ids["old"], ids["day"]]).exists()
    assert stored(files["old"]) == [False, False] and stored(files["fresh"]) == [True, True]
    out = io.StringIO()
    call_command("worker", "--once", "--worker-id", "w2", stdout=out)  # the same hour: not queued again
    assert "hourly jobs" not in out.getvalue() and OutboxMessage.objects.filter(topic=PHOTO_PRUNE).count() == 1


def test_the_command_counts_deletes_and_takes_hours(photos):
    ids, _files = photos
    out = io.StringIO()
    call_command("photos_prune", "--dry-run", stdout=out)
    assert "would delete" in out.getvalue()
    assert Photo.objects.filter(pk__in=[ids["old"], ids["day"]]).count() == 2
    call_command("photos_prune", "--hours", "30", stdout=out)
    assert set(Photo.objects.filter(pk__in=ids.values()).values_list("id", flat=True)) == {
        ids["attached"], ids["day"], ids["fresh"]}
    with pytest.raises(CommandError):
        call_command("photos_prune", "--hours", "-1", stdout=io.StringIO())


def photo_files() -> set[str]:
    found = set()
    folders = ["photos"]
    while folders:
        folder = folders.pop()
        if not default_storage.exists(folder):
            continue
        subfolders, names = default_storage.listdir(folder)
        folders += [f"{folder}/{sub}" for sub in subfolders]
        found |= {f"{folder}/{name}" for name in names}
    return found


def test_a_citizen_report_that_fails_after_saving_photos_leaves_no_file(grid_a, monkeypatch):
    from gridgov.events import citizen

    real_store, calls = citizen.photo_store, []

    def store_then_fail(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return real_store(**kwargs)

    monkeypatch.setattr(citizen, "photo_store", store_then_fail)
    before, events = photo_files(), Event.objects.count()
    photos = [SimpleUploadedFile(f"p{n}.jpg", jpeg((n * 60, 0, 0)), "image/jpeg") for n in range(2)]
    with pytest.raises(RuntimeError):
        Client(raise_request_exception=True).post(f"/q/{grid_a.code}/", {
            "category": "E101", "description": "楼下垃圾桶满了没人清", "photos": photos})
    assert len(calls) == 2 and Event.objects.count() == events
    assert photo_files() == before  # the first photo's file and thumbnail went with the rolled-back report


def test_a_photo_whose_row_cannot_be_written_leaves_no_file(monkeypatch, user):
    from gridgov.common.images import process_image
    from gridgov.events import services

    before = photo_files()

    def fail(**kwargs):
        raise RuntimeError("no row")

    monkeypatch.setattr(services.Photo.objects, "create", fail)
    with pytest.raises(RuntimeError):
        services.photo_store(image=process_image(jpeg()), uploaded_by=user("worker_a"))
    assert photo_files() == before
