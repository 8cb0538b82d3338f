"""Researchers' pages and API answers: never cached, and a NUL byte in what they send is a 400, not a 500."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_nul_byte_in_a_researchers_query_or_form_is_a_400(client, researcher, study_data):
    client.force_login(researcher)

    model = client.get(reverse("workspace:report", args=[study_data.slug]), {"model": "mini\x00"})
    page = client.get(reverse("workspace:photo_list", args=[study_data.slug]), {"condition": "\x00", "page": "1"})
    api = client.get(f"/api/experiments/{study_data.slug}/exports/trials.csv", {"model": "\x00"})
    withdraw = client.post(reverse("study_withdraw"), {"withdrawal_code": "ABCD\x00"})

    assert [r.status_code for r in (model, page, api, withdraw)] == [400, 400, 400, 400]
    assert "NUL" in api.json()["error"]



def test_researcher_pages_and_api_answers_are_never_cached(client, researcher, study_data):
    client.force_login(researcher)
    pages = [
        client.get(reverse("workspace:experiment_list")),
        client.get(reverse("workspace:experiment_detail", args=[study_data.slug])),
        client.get(reverse("workspace:report", args=[study_data.slug])),
        client.get("/api/experiments/"),
        client.get(f"/api/experiments/{study_data.slug}/status/"),
    ]

    assert [page.status_code for page in pages] == [200] * 5
    assert all(page["Cache-Control"] == "private, no-store" for page in pages)
