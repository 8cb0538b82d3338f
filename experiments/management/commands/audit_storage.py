"""Reports photo files that no row owns and photo rows whose file is missing."""

from django.core.management.base import BaseCommand, CommandError

from experiments.models import private_photo_storage
from experiments.retention import audit_storage


class Command(BaseCommand):
    help = "Compare the private photo storage with the database, both ways."

    def add_arguments(self, parser):
        parser.add_argument("--delete-orphans", action="store_true",
                            help="delete files that no photo row owns (rows without files are only reported)")

    def handle(self, *args, delete_orphans: bool, **options):
        report = audit_storage()
        for name in report["files_without_rows"]:
            self.stdout.write(f"file without row: {name}")
            if delete_orphans:
                private_photo_storage.delete(name)
        for entry in report["rows_without_files"]:
            self.stdout.write(f"row without file: {entry}")
        orphans, missing = len(report["files_without_rows"]), len(report["rows_without_files"])
        self.stdout.write(f"{orphans} files without rows{' (deleted)' if delete_orphans and orphans else ''}, "
                          f"{missing} rows without files")
        if missing or (orphans and not delete_orphans):
            raise CommandError("storage and database disagree")
