"""A streamed ZIP of the photos whose participants allow it.

Which consent allows a ZIP: `photos_for_publication` ("my photos may be shared or published"). A ZIP is a
copy outside the platform: once downloaded, withdrawal can no longer delete it and the experiment's
retention policy no longer applies. Consent to research use alone (`photos_for_research`) covers looking
at photos in the access-checked browser, not taking copies away, so it is not enough here.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator

from experiments.models import Experiment, Participant, Photo

from .columns import participant_code

MANIFEST = ["file", "participant_id", "trial_index", "condition", "target", "felt", "sha256"]


def shareable_photos(experiment: Experiment):
    return (
        Photo.objects.present()
        .filter(trial__participant__experiment=experiment, trial__participant__photos_for_publication=True)
        .exclude(trial__participant__status=Participant.Status.WITHDRAWN)
        .exclude(file="")
        .select_related("trial")
        .order_by("trial__participant_id", "trial__index")
    )


class _Sink(io.RawIOBase):
    """An unseekable write-only stream whose bytes are drained after each file: zipfile streams then."""

    def __init__(self):
        self.chunks: list[bytes] = []

    def writable(self):
        return True

    def write(self, data):
        self.chunks.append(bytes(data))
        return len(data)

    def drain(self) -> bytes:
        data, self.chunks = b"".join(self.chunks), []
        return data


def photo_zip_chunks(experiment: Experiment) -> Iterator[bytes]:
    sink = _Sink()
    manifest = io.StringIO()
    writer = csv.writer(manifest)
    writer.writerow(MANIFEST)
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED) as archive:
        for photo in shareable_photos(experiment).iterator(chunk_size=200):
            trial = photo.trial
            name = f"photos/{participant_code(trial.participant_id)}_{trial.index:02d}_{trial.condition}.jpg"
            with photo.file.open("rb") as source, archive.open(name, "w") as target:
                while block := source.read(256 * 1024):
                    target.write(block)
                    yield sink.drain()
            writer.writerow([name, participant_code(trial.participant_id), trial.index, trial.condition,
                             trial.target, trial.felt, photo.sha256])
        archive.writestr("manifest.csv", manifest.getvalue())
        archive.writestr("README.txt", (
            f"Photos of experiment {experiment.slug} (config sha256 {experiment.config_sha256}).\n"
            "Only participants who consented to their photos being shared (photos_for_publication) are included.\n"
            "These are biometric personal data: store them securely and delete them when no longer needed.\n"
        ))
    yield sink.drain()
