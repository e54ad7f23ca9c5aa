"""Storing and serving processed photos (``gridgov.common.images.process_image``), for any app that keeps them:
server-generated names in the default storage (local disk or a private S3 bucket), served only by access-checked
views as bytes that never execute."""

import contextlib
import contextvars
import logging

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404

from gridgov.common.images import ProcessedImage, image_filename

log = logging.getLogger("gridgov.photos")
# the files saved inside each ``photo_files_guard`` open in this thread or task (innermost last)
_guards: contextvars.ContextVar[tuple[list[str], ...]] = contextvars.ContextVar("gridgov_photo_guards", default=())


def photo_files_save(image: ProcessedImage) -> tuple[str, str]:
    """Save a processed image and its thumbnail under fresh server-generated names; returns (file, thumbnail)."""
    name = image_filename(image.sha256)
    stored = default_storage.save(name, ContentFile(image.content))
    thumb = default_storage.save(name.replace(".jpg", ".thumb.jpg"), ContentFile(image.thumbnail))
    for saved in _guards.get():
        saved += [stored, thumb]
    return stored, thumb


def photo_files_delete(names) -> int:
    """Delete stored photo files (a missing one is no error); returns how many names were given. A storage that
    fails is logged and skipped: a leftover file costs space, never correctness."""
    count = 0
    for name in names:
        if not name:
            continue
        count += 1
        try:
            default_storage.delete(name)
        except OSError as exc:
            log.warning("photo file %s could not be deleted: %s", name, type(exc).__name__)
    return count


@contextlib.contextmanager
def photo_files_guard():
    """Around a submission that saves photo files and then writes their rows: if it fails (the transaction rolls
    back, nothing refers to the files), the files it saved are deleted rather than left behind."""
    saved: list[str] = []
    token = _guards.set((*_guards.get(), saved))
    try:
        yield saved
    except BaseException:
        photo_files_delete(saved)
        raise
    finally:
        _guards.reset(token)


def photo_files_keep(image: ProcessedImage, name: str) -> tuple[str, str]:
    """Seed data (the demo's few photos, shared by many cases): store a processed image and its thumbnail under a
    fixed name, unless a file of that name is already there (every build of the demo reuses the same files)."""
    thumb = name.replace(".jpg", ".thumb.jpg")
    for path, content in ((name, image.content), (thumb, image.thumbnail)):
        if not default_storage.exists(path):
            default_storage.save(path, ContentFile(content))
    return name, thumb


def photo_response(name: str, *, cache: str = "private, max-age=3600") -> FileResponse:
    """Stream a stored photo (the caller has checked access): never a redirect to the storage, never executable."""
    try:
        stored = default_storage.open(name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(stored, content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = cache
    return response
