"""Withdrawal: answers, photo files and classifications deleted; a stub says so; no way back in."""

import pytest
from django.urls import reverse

from experiments.models import Classification, Participant, Photo, Trial
from experiments.participation import steps

pytestmark = pytest.mark.django_db


@pytest.fixture
def finished(participant, face_jpeg):
    participant.takes_whole_study(face_jpeg, PROLIFIC_PID="5f1a")
    assert participant.row.status == Participant.Status.COMPLETED
    return participant


def test_withdrawal_deletes_answers_photos_files_and_classifications(finished, client, private_photo_storage):
    files = [p.file.name for p in Photo.objects.filter(trial__participant=finished.row)]
    assert files and all((private_photo_storage / name).exists() for name in files)

    response = client.post(reverse("study_withdraw"), {"withdrawal_code": finished.row.withdrawal_code.lower()})

    assert response.status_code == 200 and b"have been deleted" in response.content
    assert not any((private_photo_storage / name).exists() for name in files)
    assert not Trial.objects.exists() and not Photo.objects.exists() and not Classification.objects.exists()
    stub = finished.row
    assert stub.status == Participant.Status.WITHDRAWN and stub.withdrawn_at
    assert (stub.external_id, stub.step_times, stub.condition_order, stub.consented_at) == ("", {}, [], None)


def test_a_withdrawn_participant_cannot_continue(finished, client):
    client.post(reverse("study_withdraw"), {"withdrawal_code": finished.row.withdrawal_code})
    withdrawn = reverse("study_withdrawn", args=[finished.code])

    assert finished.client.get(reverse("study_resume", args=[finished.code])).url == withdrawn
    assert finished.client.get(reverse("study_done", args=[finished.code])).url == withdrawn
    assert finished.enters().url == withdrawn
    assert b"deleted" in finished.client.get(withdrawn).content


def test_an_unknown_withdrawal_code_is_refused_and_nothing_is_deleted(finished, client):
    response = client.post(reverse("study_withdraw"), {"withdrawal_code": "AAAA-BBBB-CCCC"})

    assert response.status_code == 400
    assert b"could not find this code" in response.content
    assert finished.row.status == Participant.Status.COMPLETED and Photo.objects.exists()


def test_the_withdrawal_page_has_a_labelled_code_field(client):
    page = client.get(reverse("study_withdraw")).content.decode()

    assert '<label for="id_withdrawal_code">' in page and 'id="id_withdrawal_code"' in page


def test_stopping_during_the_study_deletes_what_was_given(participant, face_jpeg, private_photo_storage):
    participant.enters()
    participant.consents()
    participant.passes_camera_check()
    participant.does_trial(face_jpeg)
    name = Photo.objects.get().file.name

    participant.client.post(reverse("study_stop", args=[participant.code]))

    assert participant.row.status == Participant.Status.WITHDRAWN
    assert not (private_photo_storage / name).exists() and not Trial.objects.exists()
    assert participant.client.get(reverse("study_felt", args=[participant.code, 2])).url == reverse(
        "study_withdrawn", args=[participant.code]
    )


def test_the_stop_link_is_on_every_trial_page(participant):
    participant.enters()
    participant.consents()

    page = participant.client.get(participant.here).content.decode()

    assert reverse("study_stop", args=[participant.code]) in page
    assert participant.row.step == steps.CAMERA
