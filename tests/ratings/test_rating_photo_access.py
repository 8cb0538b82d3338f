"""The rater's photo link: the current item's photo, to that rater, for a few minutes, never cached."""

import time
from unittest import mock

import pytest
from django.urls import reverse

from experiments.models import RatingItem
from experiments.ratings import photo_access

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_a_photo(photo_participant, make_rating_study, rater_of):
    """Two raters of a study of four photos (k=2), each on their first item, a photo."""
    for _ in range(4):
        photo_participant()
    study = make_rating_study(slug="access", ratings_per_photo=2, photos_per_rater=2, attention_checks=0)
    raters = [rater_of(study) for _ in range(2)]
    for rater in raters:
        rater.enters()
        rater.consents()
    return raters


def photo_url_on_page(rater) -> str:
    content = rater.client.get(rater.here).content.decode()
    start = content.index(f"/p/{rater.code}/image/")
    return content[start : content.index('"', start)]


def test_the_rater_sees_the_photo_of_their_current_item(on_a_photo):
    rater = on_a_photo[0]
    url = photo_url_on_page(rater)
    response = rater.client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store"
    assert "filename" not in response.get("Content-Disposition", "")
    body = b"".join(response.streaming_content)
    assert body == rater.item.photo.file.open("rb").read()
    assert rater.item.photo.file.name not in url  # the URL names no storage path


def test_another_rater_cannot_open_it(on_a_photo):
    first, second = on_a_photo
    token = photo_url_on_page(first).rstrip("/").rsplit("/", 1)[1]
    for client in (second.client, first.client):
        borrowed = reverse("study_rating_photo", kwargs={"code": second.code, "token": token})
        assert client.get(borrowed).status_code == 404


def test_a_token_for_another_photo_is_refused(on_a_photo):
    rater = on_a_photo[0]
    later = rater.row.rating_items.exclude(index=rater.row.trial_pointer).filter(photo__isnull=False).first()
    url = photo_access.photo_url(rater.code, later.photo_id)
    assert rater.client.get(url).status_code == 404


def test_the_link_dies_once_the_rater_moves_on(on_a_photo):
    rater = on_a_photo[0]
    url = photo_url_on_page(rater)
    rater.rates()
    assert rater.client.get(url).status_code == 404


def test_an_expired_link_is_refused(on_a_photo):
    rater = on_a_photo[0]
    item = rater.item
    past = time.time() - photo_access.MAX_AGE_SECONDS - 5
    with mock.patch("django.core.signing.time.time", return_value=past):
        old = photo_access.photo_url(rater.code, item.photo_id)
    assert rater.client.get(old).status_code == 404
    assert rater.client.get(photo_access.photo_url(rater.code, item.photo_id)).status_code == 200


def test_a_tampered_token_is_refused(on_a_photo):
    rater = on_a_photo[0]
    url = photo_url_on_page(rater)
    assert rater.client.get(url[:-3] + "xx/").status_code == 404


def test_an_attention_check_has_no_photo_link(photo_participant, make_rating_study, rater_of):
    photo_participant()
    study = make_rating_study(slug="check-only", photos_per_rater=1, attention_checks=1)
    rater = rater_of(study)
    rater.enters()
    rater.consents()
    rater.rates()  # the photo; the check comes after it
    assert rater.item.kind == RatingItem.Kind.INSTRUCTION_CHECK
    page = rater.client.get(rater.here)
    assert b"/image/" not in page.content and b"data-attention-check" in page.content


def test_a_token_naming_no_photo_opens_nothing_on_an_attention_check(photo_participant, make_rating_study,
                                                                     rater_of):
    photo_participant()
    rater = rater_of(make_rating_study(slug="check-token", photos_per_rater=1, attention_checks=1))
    rater.enters()
    rater.consents()
    rater.rates()
    assert rater.item.kind == RatingItem.Kind.INSTRUCTION_CHECK
    assert rater.client.get(photo_access.photo_url(rater.code, None)).status_code == 404
