"""The `participant` persona: someone taking the study through the front door (the Django test client)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from experiments.models import Participant
from experiments.participation import steps


class StudyParticipant:
    """Drives the study like a browser would; every step goes to the URL the server redirected to."""

    def __init__(self, client, experiment):
        self.client = client
        self.experiment = experiment
        self.code = None

    @property
    def row(self) -> Participant:
        return Participant.objects.get(public_code=self.code)

    @property
    def here(self) -> str:
        """The URL of the step the server says they are on."""
        return steps.url_for(self.row)

    def enters(self, **query):
        response = self.client.get(reverse("study_entry", args=[self.experiment.slug]), query)
        if response.status_code == 302 and response.url.startswith("/p/"):
            self.code = response.url.split("/")[2]
        return response

    def consents(self, rating=False, publication=False):
        data = {"photos_for_research": "on", "agree": "1"}
        if rating:
            data["photos_for_rating"] = "on"
        if publication:
            data["photos_for_publication"] = "on"
        return self.client.post(self.here, data)

    def declines(self):
        return self.client.post(self.here, {"decline": "1"})

    def passes_camera_check(self):
        return self.client.post(self.here)

    def reports_feeling(self, felt="happy", intensity=5, valence=7, arousal=4):
        return self.client.post(
            self.here, {"felt": felt, "intensity": intensity, "valence": valence, "arousal": arousal}
        )

    def is_ready(self):
        return self.client.post(self.here)

    def walks_to_capture(self):
        """Enter, consent, pass the camera check, report a feeling and get ready: on the first photo step."""
        self.enters()
        self.consents()
        self.passes_camera_check()
        self.reports_feeling()
        self.is_ready()
        assert self.row.step == steps.CAPTURE, self.row.step
        return self

    def sends_photo(self, data: bytes, *, as_fetch=True, url=None, name="snapshot.jpg", **timings):
        fields = {
            "photo": SimpleUploadedFile(name, data, content_type="image/jpeg"),
            "source": "webcam" if as_fetch else "upload",
            "countdown_started_ms": 1_700_000_000_000,
            "captured_ms": 1_700_000_003_100,
            **timings,
        }
        headers = {"Accept": "application/json"} if as_fetch else {}
        return self.client.post(url or self.here, fields, headers=headers)

    def rates_pose(self, rating=5):
        return self.client.post(self.here, {"pose_rating": rating})

    def finishes(self):
        return self.client.post(self.here)

    def does_trial(self, photo: bytes, felt="happy"):
        assert self.row.step == steps.FELT, self.row.step
        self.reports_feeling(felt=felt)
        self.is_ready()
        response = self.sends_photo(photo)
        assert response.status_code == 200, response.content
        if self.row.step == steps.POSE_CHECK:
            self.rates_pose()
        if self.row.step == steps.FEEDBACK:
            self.client.post(self.here)

    def takes_whole_study(self, photo: bytes, felt="happy", **entry_query):
        self.enters(**entry_query)
        self.consents()
        self.passes_camera_check()
        while self.row.step == steps.FELT:
            self.does_trial(photo, felt=felt)
        assert self.row.step == steps.DEBRIEF
        return self.finishes()


@pytest.fixture
def participant(client, experiment):
    return StudyParticipant(client, experiment)


@pytest.fixture
def another_participant(experiment, django_db_blocker):
    from django.test import Client

    return StudyParticipant(Client(), experiment)


@pytest.fixture
def at_capture(participant):
    """A participant standing on the first trial's photo step."""
    return participant.walks_to_capture()


@pytest.fixture
def text_file() -> bytes:
    return b"Dear diary, this is not a photo at all.\n" * 20


@pytest.fixture
def make_experiment(researcher, default_model):
    """A live photo study with its own plan; `launch=False` leaves it a draft."""
    from experiments.models import Experiment

    def make(slug="study", launch=True, **fields):
        fields.setdefault("title", slug.replace("-", " ").title())
        fields.setdefault("consent_text", "You agree to take part.")
        experiment = Experiment.objects.create(slug=slug, owner=researcher, **fields)
        experiment.classifier_models.add(default_model)
        if launch:
            experiment.launch()
        return experiment

    return make


@pytest.fixture
def make_participants(experiment):
    """`n` participants of `experiment`, each in their own browser, consented in arrival order."""
    from django.test import Client

    def make(n):
        people = [StudyParticipant(Client(), experiment) for _ in range(n)]
        for person in people:
            person.enters()
            person.consents()
        return people

    return make


@pytest.fixture
def participant_of():
    """A participant, in a browser of their own, of any experiment."""
    from django.test import Client

    return lambda experiment: StudyParticipant(Client(), experiment)
