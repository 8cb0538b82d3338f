"""Personas and shared fixtures. Every test gets its own private photo folder."""

import io
import os

import pytest
from django.core.files.storage import storages

REQUIRE_SERVICES = os.environ.get("FER_REQUIRE_SERVICES") == "1"
pytest_plugins = ["tests.browser_fixtures"]


@pytest.fixture(autouse=True)
def private_photo_storage(settings, tmp_path):
    """Photos of each test go to a temporary folder, never the developer's."""
    photos = settings.STORAGES["photos"]
    settings.STORAGES = {
        **settings.STORAGES,
        "photos": {**photos, "OPTIONS": {**photos["OPTIONS"], "location": str(tmp_path / "photos")}},
    }
    reset_photo_storage()
    yield tmp_path / "photos"
    reset_photo_storage()


@pytest.fixture(autouse=True)
def private_export_folder(settings, tmp_path):
    """Background exports of each test go to a temporary folder."""
    settings.EXPORT_ROOT = tmp_path / "exports"
    return settings.EXPORT_ROOT


def reset_photo_storage():
    from django.utils.functional import empty

    from experiments.models import private_photo_storage

    storages._storages.pop("photos", None)  # the handler caches backends; drop it with the settings change
    private_photo_storage._wrapped = empty


@pytest.fixture(autouse=True)
def empty_cache():
    """Row ids repeat between tests, so nothing cached by one test may be read by the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def eager_celery(request):
    """Tasks run in-process unless a test asks for the real worker (the `services` marker)."""
    from fer_study.celery import app

    eager = "services" not in request.keywords
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = eager
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def researcher(django_user_model):
    return django_user_model.objects.create_user("researcher", password="research-pass-1")


@pytest.fixture
def other_researcher(django_user_model):
    return django_user_model.objects.create_user("other_researcher", password="research-pass-2")


@pytest.fixture
def collaborator(django_user_model):
    return django_user_model.objects.create_user("collaborator", password="research-pass-3")


@pytest.fixture
def default_model(db):
    from experiments.classifiers import register_default_model

    return register_default_model()


@pytest.fixture
def experiment(researcher, collaborator, default_model):
    """A live photo study with every condition, owned by `researcher`, shared with `collaborator`."""
    from experiments.models import Experiment

    experiment = Experiment.objects.create(
        slug="smile-study",
        title="Smile study",
        owner=researcher,
        consent_text="You agree to take part.",
        debrief_text="Thank you. We studied whether faces show feelings.",
        completion_code="C0MPL3TE",
        trial_plan={"natural": 1, "express": 1, "opposite": 1, "assigned": 1},
    )
    experiment.collaborators.add(collaborator)
    experiment.classifier_models.add(default_model)
    experiment.launch()
    return experiment


def jpeg_bytes(image=None, size=(640, 480), quality=90) -> bytes:
    """A JPEG as a browser would send it; defaults to scikit-image's astronaut, a real face."""
    from PIL import Image

    if image is None:
        from skimage import data

        image = Image.fromarray(data.astronaut()).resize((size[0], size[0]))
        image = image.crop((0, 0, size[0], size[1]))
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


@pytest.fixture
def face_jpeg() -> bytes:
    return jpeg_bytes()


def _redis_reachable(url: str) -> bool:
    import redis

    try:
        return redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError:
        return False


def pytest_runtest_setup(item):
    """`services` tests need PostgreSQL and Redis. Locally they are skipped, saying how to run them;
    under FER_REQUIRE_SERVICES=1 (CI) a missing service fails the test instead."""
    if "services" not in item.keywords:
        return
    from django.conf import settings

    problems = []
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        problems.append("DATABASE_URL does not name a PostgreSQL database")
    if not settings.CELERY_BROKER_URL:
        problems.append("CELERY_BROKER_URL is not set")
    elif not _redis_reachable(settings.CELERY_BROKER_URL):
        problems.append(f"Redis at {settings.CELERY_BROKER_URL} does not answer")
    if problems:
        message = "; ".join(problems) + " (set DATABASE_URL=postgres://... and CELERY_BROKER_URL=redis://...)"
        if REQUIRE_SERVICES:
            pytest.fail("FER_REQUIRE_SERVICES=1 but " + message, pytrace=False)
        pytest.skip("needs PostgreSQL and Redis: " + message)
