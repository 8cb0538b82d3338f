"""fer_stats is Django-free: these tests replace the project's autouse Django fixtures."""

import pytest


@pytest.fixture(autouse=True)
def private_photo_storage():
    yield None


@pytest.fixture(autouse=True)
def eager_celery():
    yield
