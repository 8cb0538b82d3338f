"""Debrief, withdrawal code, and completion only once every answer and photo is stored."""

import pytest
from django.urls import reverse

from experiments.models import Participant, Photo
from experiments.participation import steps

pytestmark = pytest.mark.django_db


def at_debrief(person, photo):
    person.enters()
    person.consents()
    person.passes_camera_check()
    while person.row.step == steps.FELT:
        person.does_trial(photo)
    assert person.row.step == steps.DEBRIEF
    return person


def test_the_debrief_shows_the_text_and_the_withdrawal_code(participant, experiment, face_jpeg):
    at_debrief(participant, face_jpeg)

    page = participant.client.get(participant.here).content.decode()

    assert experiment.debrief_text in page
    assert participant.row.withdrawal_code in page
    assert participant.row.status == Participant.Status.IN_PROGRESS


def test_completion_shows_the_code_once_everything_is_stored(participant, experiment, face_jpeg):
    at_debrief(participant, face_jpeg)

    response = participant.finishes()
    page = participant.client.get(response.url).content.decode()

    assert response.url == reverse("study_done", args=[participant.code])
    assert experiment.completion_code in page
    assert participant.row.status == Participant.Status.COMPLETED and participant.row.completed_at


def test_completion_forwards_to_the_panel_once_everything_is_stored(participant, experiment, face_jpeg):
    experiment.completion_url = "https://app.prolific.com/submissions/complete?cc=C0MPL3TE"
    experiment.save()
    at_debrief(participant, face_jpeg)

    response = participant.finishes()
    page = participant.client.get(response.url).content.decode()

    assert response.url == reverse("study_done", args=[participant.code])
    assert f'href="{experiment.completion_url}" data-forward-to' in page
    assert "study/done.js" in page


def test_completion_waits_until_every_photo_is_in_storage(participant, face_jpeg):
    at_debrief(participant, face_jpeg)
    lost = Photo.objects.get(trial__participant=participant.row, trial__index=1)
    lost.file.storage.delete(lost.file.name)

    response = participant.finishes()

    assert participant.row.status != Participant.Status.COMPLETED
    assert response.url == reverse("study_capture", args=[participant.code, 2])
    assert participant.sends_photo(face_jpeg).json()["ok"]
    if participant.row.step == steps.POSE_CHECK:  # the rest of that trial, then straight back
        participant.rates_pose()
    assert participant.row.step == steps.DEBRIEF
    assert participant.finishes().url == reverse("study_done", args=[participant.code])
    assert Photo.objects.filter(trial__participant=participant.row).count() == len(participant.row.condition_order)


def test_a_photo_removed_by_the_photo_policy_still_counts_as_stored(participant, face_jpeg):
    at_debrief(participant, face_jpeg)
    for photo in Photo.objects.filter(trial__participant=participant.row):
        photo.delete_file()

    participant.finishes()

    assert participant.row.status == Participant.Status.COMPLETED


def test_a_finished_participant_stays_finished(participant, face_jpeg):
    at_debrief(participant, face_jpeg)
    participant.finishes()
    done = reverse("study_done", args=[participant.code])

    assert participant.client.get(reverse("study_felt", args=[participant.code, 1])).url == done
    assert participant.enters().url == done
    assert participant.client.post(reverse("study_debrief", args=[participant.code])).url == done
