"""Reports photo files that no row owns, photo rows whose file is missing, and export files that should be gone."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from experiments.models import private_photo_storage
from experiments.retention import audit_storage


class Command(BaseCommand):
    help = "Compare the private photo storage with the database, both ways, and check the export folder."

    def add_arguments(self, parser):
        parser.add_argument("--delete-orphans", action="store_true",
                            help="delete files that no photo row owns and orphan export files "
                                 "(rows without files are only reported)")

    def handle(self, *args, delete_orphans: bool, **options):
        report = audit_storage()
        for name in report["files_without_rows"]:
            self.stdout.write(f"file without row: {name}")
            if delete_orphans:
                private_photo_storage.delete(name)
        for path in report["orphan_exports"]:
            self.stdout.write(f"export file without a live job: {path}")
            if delete_orphans:
                Path(path).unlink(missing_ok=True)
        for entry in report["rows_without_files"]:
            self.stdout.write(f"row without file: {entry}")
        orphans = len(report["files_without_rows"]) + len(report["orphan_exports"])
        missing = len(report["rows_without_files"])
        self.stdout.write(f"{len(report['files_without_rows'])} files without rows, "
                          f"{len(report['orphan_exports'])} orphan export files"
                          f"{' (deleted)' if delete_orphans and orphans else ''}, {missing} rows without files")
        if missing or (orphans and not delete_orphans):
            raise CommandError("storage and database disagree")
