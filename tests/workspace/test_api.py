"""The token API: works with a token, refuses without one, and 404s someone else's experiment."""

import json

import pytest
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(researcher):
    return Token.objects.create(user=researcher).key


def test_it_lists_only_your_experiments_with_a_token(client, token, study_data, foreign_experiment):
    response = client.get("/api/experiments/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
    assert [e["slug"] for e in response.json()] == [study_data.slug]
    assert response.json()[0]["config_sha256"] == study_data.config_sha256


def test_it_refuses_without_a_token(client, study_data):
    assert client.get("/api/experiments/").status_code == 401
    assert client.get(f"/api/experiments/{study_data.slug}/status/").status_code == 401
    assert client.get("/api/experiments/", HTTP_AUTHORIZATION="Token not-a-token").status_code == 401


def test_status_counts(client, token, study_data):
    response = client.get(f"/api/experiments/{study_data.slug}/status/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
    counts = response.json()
    assert counts["participants"]["completed"] == 8
    assert counts["trials"]["total"] == 32
    assert counts["classifications"]["done"] == 32


def test_exports_stream_through_the_api(client, token, study_data):
    response = client.get(f"/api/experiments/{study_data.slug}/exports/trials.csv/",
                          HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    assert body.splitlines()[0].startswith("participant_id,trial_index,condition,felt,target,predicted")
    codebook = client.get(f"/api/experiments/{study_data.slug}/exports/codebook.json/",
                          HTTP_AUTHORIZATION=f"Token {token}")
    assert json.loads(codebook.content)["resources"][0]["name"] == "trials"


def test_a_foreign_experiment_is_404(client, token, foreign_experiment):
    for path in ("", "status/", "exports/trials.csv/"):
        response = client.get(f"/api/experiments/{foreign_experiment.slug}/{path}", HTTP_AUTHORIZATION=f"Token {token}")
        assert response.status_code == 404, path


def test_the_openapi_schema_describes_the_api(client, token):
    response = client.get("/api/schema/?format=json", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert "/api/experiments/{slug}/status/" in schema["paths"]
    assert "/api/experiments/{slug}/exports/{name}/" in schema["paths"]
