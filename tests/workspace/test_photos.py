"""Photos are served only through the access-checked view, never cached, never by a public path."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def photo_url(photo):
    return reverse("workspace:photo", args=[photo.trial.participant.experiment.slug, photo.pk])


def test_a_collaborator_gets_the_photo_privately(client, collaborator, own_photo, face_jpeg):
    client.force_login(collaborator)
    response = client.get(photo_url(own_photo))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == face_jpeg


def test_it_never_exposes_the_file_path(client, researcher, own_photo):
    client.force_login(researcher)
    response = client.get(photo_url(own_photo))
    stored_name = own_photo.file.name
    for header, value in response.items():
        assert stored_name not in value and own_photo.file.path not in value, header
    page = client.get(reverse("workspace:photo_list", args=[own_photo.trial.participant.experiment.slug]))
    assert page.status_code == 200
    assert stored_name.encode() not in page.content
    assert photo_url(own_photo).encode() in page.content


def test_another_researcher_gets_404_even_with_the_right_photo_id(client, other_researcher, own_photo):
    client.force_login(other_researcher)
    assert client.get(photo_url(own_photo)).status_code == 404


def test_a_photo_cannot_be_reached_through_a_different_experiment(client, other_researcher, own_photo,
                                                                  foreign_experiment):
    client.force_login(other_researcher)  # owns foreign_experiment, tries its slug with our photo id
    url = reverse("workspace:photo", args=[foreign_experiment.slug, own_photo.pk])
    assert client.get(url).status_code == 404


def test_anonymous_is_sent_to_login(client, own_photo):
    response = client.get(photo_url(own_photo))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_deleted_photo_is_gone(client, researcher, own_photo):
    own_photo.delete_file()
    client.force_login(researcher)
    assert client.get(photo_url(own_photo)).status_code == 404


def test_with_an_x_accel_prefix_nginx_sends_the_file(client, researcher, own_photo, settings):
    settings.PHOTO_X_ACCEL_PREFIX = "/_protected_photos/"
    client.force_login(researcher)
    response = client.get(photo_url(own_photo))
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == "/_protected_photos/" + own_photo.file.name
    assert response["Cache-Control"] == "private, no-store"
    assert response.content == b""


def test_the_photo_browser_filters_by_condition(client, researcher, study_data):
    client.force_login(researcher)
    url = reverse("workspace:photo_list", args=[study_data.slug])
    response = client.get(url, {"condition": "opposite", "status": "done"})
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 8
    assert all(p.trial.condition == "opposite" for p in response.context["page"])


def test_every_photo_view_and_export_is_in_the_access_log(client, researcher, experiment, own_photo):
    from experiments.models import AccessLog

    client.force_login(researcher)
    assert client.get(reverse("workspace:photo", args=[experiment.slug, own_photo.pk])).status_code == 200
    response = client.get(reverse("workspace:export", args=[experiment.slug, "trials.csv"]))
    b"".join(response.streaming_content)
    entries = list(AccessLog.objects.order_by("at").values_list("user__username", "action", "detail"))
    assert entries == [("researcher", "photo_view", f"photo {own_photo.pk}"), ("researcher", "export", "trials.csv")]
    assert AccessLog.objects.filter(experiment=experiment).count() == 2
