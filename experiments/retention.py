"""Photo policy and storage hygiene: photos are kept only as long as the experiment says."""

import logging
import time
from datetime import timedelta
from pathlib import Path

from django.db.models import Q
from django.utils import timezone

from .models import Classification, Experiment, Photo, private_photo_storage

JOB_ID_LENGTH = 22  # secrets.token_urlsafe(16), the prefix of every built export's file name
log = logging.getLogger(__name__)


def expired_photos(now=None):
    """Photos past their experiment's keep-N-days limit, and classified photos under 'delete once classified'."""
    now = now or timezone.now()
    expired = Q(pk__in=[])
    for experiment in Experiment.objects.filter(kind=Experiment.Kind.PHOTO):
        config = experiment.effective_config()  # the policy participants consented to, frozen at launch
        mine = Q(trial__participant__experiment_id=experiment.pk)
        if config["photo_policy"] == Experiment.PhotoPolicy.DELETE_AFTER_CLASSIFICATION:
            expired |= mine & ~Q(classifications__status=Classification.Status.PENDING)
        elif config["photo_policy"] == Experiment.PhotoPolicy.KEEP_DAYS:
            expired |= mine & Q(created_at__lt=now - timedelta(days=config["photo_retention_days"]))
    return Photo.objects.present().exclude(file="").filter(expired).distinct()


def enforce_photo_policies(now=None) -> int:
    """Delete the files of expired photos (rows stay, marked deleted); returns how many."""
    ids = [photo.pk for photo in expired_photos(now)]
    for photo in Photo.objects.filter(pk__in=ids):
        photo.delete_file()
    return len(ids)


def stored_files(storage=private_photo_storage, folder="") -> set[str]:
    directories, files = storage.listdir(folder)
    names = {f"{folder}/{name}".lstrip("/") for name in files}
    for directory in directories:
        names |= stored_files(storage, f"{folder}/{directory}".lstrip("/"))
    return names


def orphan_export_files(now: float | None = None) -> list[Path]:
    """Built export files that nothing will hand out or remove: past their day, of a job the cache no
    longer knows (its file name starts with the job id), or of an experiment that is gone."""
    from .workspace.jobs import JOB_SECONDS, export_root, get_job

    now = now or time.time()
    root = export_root()
    experiments = {str(pk) for pk in Experiment.objects.values_list("pk", flat=True)}
    orphans = []
    for path in sorted(root.rglob("*")) if root.is_dir() else ():
        if not path.is_file():
            continue
        job = get_job(path.name[:JOB_ID_LENGTH])
        if (now - path.stat().st_mtime > JOB_SECONDS or path.parent.name not in experiments
                or not job or job.get("file") != str(path)):
            orphans.append(path)
    return orphans


def audit_storage() -> dict[str, list[str]]:
    """Files without a row (to delete) and rows whose file is gone (data lost), both ways; and export
    files that should no longer exist."""
    try:
        on_disk = stored_files()
    except FileNotFoundError:
        on_disk = set()
    expected = dict(Photo.objects.present().exclude(file="").values_list("file", "pk"))
    return {
        "files_without_rows": sorted(on_disk - set(expected)),
        "rows_without_files": sorted(f"photo {expected[name]}: {name}" for name in set(expected) - on_disk),
        "orphan_exports": [str(path) for path in orphan_export_files()],
    }


def delete_orphan_photo_files(*, older_than: int) -> int:
    """Delete files that no photo row owns and that are older than `older_than` seconds: a file is written
    just before its row's transaction, so a younger one may still be on its way to a row."""
    cutoff = timezone.now() - timedelta(seconds=older_than)
    deleted = 0
    for name in audit_storage()["files_without_rows"]:
        try:
            if private_photo_storage.get_modified_time(name) < cutoff:
                private_photo_storage.delete(name)
                deleted += 1
        except FileNotFoundError:
            continue  # deleted meanwhile
    if deleted:
        log.warning("deleted %d photo files that no row owned", deleted)
    return deleted
