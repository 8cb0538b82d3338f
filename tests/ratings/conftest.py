"""Personas of the rating study: photo participants (made directly, with their photos classified) and
`rater`s, who take the rating study through the front door like `participant` takes the photo study."""

import io

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from experiments.models import Classification, Experiment, Participant, Photo, RatingItem, Trial
from experiments.participation import steps
from tests.flow.conftest import StudyParticipant


def small_jpeg(shade: int = 128) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (shade, shade, shade)).save(buffer, "JPEG")
    return buffer.getvalue()


class Rater(StudyParticipant):
    """A rater in a browser of their own: every answer goes to the URL the server redirected to."""

    @property
    def item(self) -> RatingItem:
        row = self.row
        return row.rating_items.select_related("photo").get(index=row.trial_pointer)

    def answer(self, item: RatingItem, label="happy", felt_guess="sad", confidence=5, **extra) -> dict:
        if item.kind == RatingItem.Kind.INSTRUCTION_CHECK:
            return {"label": item.expected_label, **extra}
        return {"label": label, "felt_guess": felt_guess, "confidence": confidence, **extra}

    def rates(self, label="happy", felt_guess="sad", confidence=5, **extra):
        return self.client.post(self.here, self.answer(self.item, label, felt_guess, confidence, **extra))

    def takes_rating_study(self, choose=lambda item: "happy", **entry_query):
        self.enters(**entry_query)
        self.consents()
        while self.row.step == steps.RATE:
            item = self.item
            response = self.client.post(self.here, self.answer(item, label=choose(item), felt_guess=choose(item)))
            assert response.status_code == 302, response.content
        assert self.row.step == steps.DEBRIEF, self.row.step
        return self.finishes()


@pytest.fixture
def photo_participant(experiment, default_model):
    """make(...) -> a photo participant of `experiment` with `trials` photographed, classified trials."""
    jpeg = small_jpeg()

    def make(*, of=None, rating=True, external_id="", trials=1, status=Participant.Status.COMPLETED,
             classification=Classification.Status.DONE, felt="happy", target="sad", predicted="sad"):
        now = timezone.now()
        person = Participant.objects.create(
            experiment=of or experiment, external_id=external_id, status=status, step=steps.DONE,
            photos_for_research=True, photos_for_rating=rating, consented_at=now, consent_version=1,
            condition_order=["opposite"] * trials,
        )
        for index in range(trials):
            trial = Trial.objects.create(participant=person, index=index, condition="opposite", felt=felt,
                                         target=target, felt_reported_at=now, completed_at=now)
            photo = Photo(trial=trial, sha256="0" * 64, size_bytes=len(jpeg), width=32, height=32)
            photo.file.save("photo.jpg", ContentFile(jpeg), save=False)
            photo.save()
            done = classification == Classification.Status.DONE
            Classification.objects.create(
                photo=photo, model=default_model, status=classification, top_label=predicted if done else "",
                probabilities={predicted: 0.9} if done else {}, n_faces=1 if done else 0,
            )
        return person

    return make


@pytest.fixture
def make_rating_study(researcher, experiment):
    """A live rating study of `experiment`'s photos."""

    def make(slug="rate-faces", ratings_per_photo=2, photos_per_rater=3, attention_checks=1, launch=True, **fields):
        study = Experiment.objects.create(
            slug=slug, title="Rate faces", kind=Experiment.Kind.RATING, owner=researcher,
            consent_text="You will rate faces.", debrief_text="Thank you for rating.", completion_code="R4TED",
            ratings_per_photo=ratings_per_photo, photos_per_rater=photos_per_rater,
            attention_checks=attention_checks, **fields,
        )
        study.source_experiments.add(experiment)
        if launch:
            study.launch()
        return study

    return make


@pytest.fixture
def rating_study(make_rating_study):
    return make_rating_study()


@pytest.fixture
def rater_of():
    """A rater, in a browser of their own, of a rating study."""
    return lambda study: Rater(Client(), study)


@pytest.fixture
def rater(rating_study, rater_of):
    return rater_of(rating_study)


def assigned_photos(rater: Rater) -> list[int]:
    return list(rater.row.rating_items.filter(photo__isnull=False).values_list("photo_id", flat=True))
