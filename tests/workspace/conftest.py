"""Workspace personas and a small study with data: participants, trials, photos and classifications."""

import random

import pytest
from django.core.files.base import ContentFile

from experiments.models import Classification, Experiment, Participant, Photo, Trial

LABELS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_superuser("admin", "admin@example.org", "admin-pass-1")


@pytest.fixture
def viewer(django_user_model, experiment):
    """A collaborator on the researcher's experiment who may read, report and export, nothing more."""
    from experiments.models import Collaboration, Role

    user = django_user_model.objects.create_user("viewer", "viewer@example.org", password="research-pass-4")
    Collaboration.objects.create(experiment=experiment, user=user, role=Role.VIEWER)
    return user


@pytest.fixture
def foreign_experiment(other_researcher, default_model):
    """Someone else's live study: nobody but other_researcher (and admins) may see it."""
    experiment = Experiment.objects.create(
        slug="foreign-study", title="Foreign study", owner=other_researcher, consent_text="Foreign consent.",
        trial_plan={"natural": 1, "express": 1, "opposite": 1, "assigned": 1},
    )
    experiment.classifier_models.add(default_model)
    experiment.launch()
    return experiment


def add_participants(experiment, n, *, trials_per=4, seed=0, with_photos=False, photo_bytes=b"",
                     publication=False, model=None):
    """n completed participants with classified trials; the model mostly follows the posed face."""
    rng = random.Random(seed)
    model = model or experiment.classifier_models.first()
    conditions = ["natural", "express", "opposite", "assigned"]
    created = []
    for p in range(n):
        participant = Participant.objects.create(
            experiment=experiment, status=Participant.Status.COMPLETED, external_id=f"PROLIFIC{seed}-{p}",
            source=Participant.Source.PROLIFIC, photos_for_research=True, photos_for_publication=publication,
        )
        for index in range(trials_per):
            condition = conditions[index % 4]
            felt = rng.choice(LABELS)
            target = {"natural": "", "express": felt, "opposite": experiment.opposite_map.get(felt, ""),
                      "assigned": rng.choice(LABELS)}[condition]
            trial = Trial.objects.create(
                participant=participant, index=index, condition=condition, felt=felt, target=target,
                intensity=rng.randint(1, 7), valence=rng.randint(1, 9), arousal=rng.randint(1, 9),
            )
            photo = Photo(trial=trial, sha256="0" * 64, size_bytes=len(photo_bytes) or 1, width=640, height=480)
            if with_photos:
                photo.file.save("photo.jpg", ContentFile(photo_bytes), save=False)
            photo.save()
            predicted = (target or felt) if rng.random() < 0.7 else rng.choice(LABELS)
            probabilities = {label: 0.02 for label in LABELS} | {predicted: 0.88}
            Classification.objects.create(
                photo=photo, model=model, status=Classification.Status.DONE, probabilities=probabilities,
                top_label=predicted, face_box=[100, 80, 200, 200], face_score=0.9, n_faces=1,
                model_sha256=model.sha256,
            )
        created.append(participant)
    return created


@pytest.fixture
def study_data(experiment, face_jpeg):
    """Eight participants in the researcher's study; half agreed to share their photos."""
    add_participants(experiment, 4, seed=1, with_photos=True, photo_bytes=face_jpeg, publication=True)
    add_participants(experiment, 4, seed=2, with_photos=True, photo_bytes=face_jpeg, publication=False)
    return experiment


@pytest.fixture
def own_photo(study_data):
    return Photo.objects.filter(trial__participant__experiment=study_data).first()


def finished_job(experiment, user, capture, name="trials.csv"):
    """A background export that has run (Celery is eager in tests)."""
    from experiments.workspace.jobs import start_export_job

    with capture(execute=True):
        return start_export_job(experiment=experiment, name=name, user_id=user.pk)


@pytest.fixture
def foreign_photo(foreign_experiment, face_jpeg):
    add_participants(foreign_experiment, 1, seed=9, with_photos=True, photo_bytes=face_jpeg)
    return Photo.objects.filter(trial__participant__experiment=foreign_experiment).first()
