"""Trials: felt report, instruction, capture, pose check, and the server deciding the step."""

import re

import pytest
from django.urls import reverse

from experiments.models import Classification, Photo
from experiments.participation import steps

pytestmark = pytest.mark.django_db

EXPECTED_TARGET = {  # felt "happy" in each condition (default opposite map: happy -> sad)
    "natural": "",
    "express": "happy",
    "opposite": "sad",
}


@pytest.mark.parametrize("condition", ["natural", "express", "opposite", "assigned"])
def test_a_full_run_in_each_condition(condition, make_experiment, participant_of, face_jpeg):
    experiment = make_experiment(f"only-{condition}", trial_plan={condition: 2}, completion_code="DONE-1")
    person = participant_of(experiment)

    response = person.takes_whole_study(face_jpeg, felt="happy")

    assert response.url == reverse("study_done", args=[person.code])
    trials = list(person.row.trials.order_by("index"))
    assert [t.condition for t in trials] == [condition, condition]
    for trial in trials:
        assert (trial.felt, trial.intensity, trial.valence, trial.arousal) == ("happy", 5, 7, 4)
        expected = trial.assigned_expression if condition == "assigned" else EXPECTED_TARGET[condition]
        assert trial.target == expected
        assert trial.pose_rating == (None if condition == "natural" else 5)
        assert trial.photo.file and trial.photo.source == Photo.Source.WEBCAM
        assert trial.started_at <= trial.felt_reported_at <= trial.photo_submitted_at <= trial.completed_at
    assert Classification.objects.filter(photo__trial__participant=person.row).count() == 2
    assert person.row.status == "completed"
    assert b"DONE-1" in person.client.get(response.url).content


@pytest.mark.parametrize(
    ("condition", "felt", "named"),
    [("opposite", "happy", "Sad"), ("express", "angry", "Angry"), ("assigned", "happy", None)],
)
def test_the_instruction_names_the_expression_to_show(condition, felt, named, make_experiment, participant_of):
    person = participant_of(make_experiment(f"say-{condition}", trial_plan={condition: 1}))
    person.enters()
    person.consents()
    person.passes_camera_check()
    person.reports_feeling(felt=felt)

    page = person.client.get(person.here).content.decode()

    trial = person.row.trials.get()
    named = named or trial.assigned_expression.capitalize().replace("Fear", "Afraid").replace(
        "Disgust", "Disgusted"
    ).replace("Surprise", "Surprised")
    assert f"<strong>{named}</strong>" in page


def test_none_of_these_is_stored_as_no_label(participant):
    participant.enters()
    participant.consents()
    participant.passes_camera_check()

    participant.reports_feeling(felt="none")

    assert participant.row.trials.get(index=0).felt == ""
    assert participant.row.step == steps.INSTRUCTION


def test_an_incomplete_felt_report_is_shown_again_with_errors(participant):
    participant.enters()
    participant.consents()
    participant.passes_camera_check()

    response = participant.client.post(participant.here, {"felt": "happy", "intensity": 9})

    assert response.status_code == 400
    assert b"Please answer every question" in response.content
    assert participant.row.step == steps.FELT


def test_every_request_for_another_step_goes_to_the_current_one(participant):
    participant.enters()
    participant.consents()
    here = participant.here  # the camera check
    code = participant.code

    for url in [
        reverse("study_consent", args=[code]),
        reverse("study_felt", args=[code, 1]),
        reverse("study_capture", args=[code, 1]),
        reverse("study_felt", args=[code, 99]),
        reverse("study_debrief", args=[code]),
        reverse("study_done", args=[code]),
    ]:
        assert participant.client.get(url).url == here, url
        assert participant.client.post(url, {"felt": "sad"}).url == here, url
    assert participant.row.step == steps.CAMERA


def test_reload_and_back_change_nothing(participant, face_jpeg):
    participant.enters()
    participant.consents()
    participant.passes_camera_check()
    first_felt = participant.here
    participant.reports_feeling(felt="sad")
    participant.is_ready()

    assert participant.client.get(participant.here).status_code == 200  # reload
    back = participant.client.post(first_felt, {"felt": "happy", "intensity": 1, "valence": 1, "arousal": 1})
    consent_again = participant.client.post(
        reverse("study_consent", args=[participant.code]), {"photos_for_research": "on", "agree": "1"}
    )

    assert back.url == consent_again.url == participant.here
    assert participant.row.trials.get(index=0).felt == "sad"
    assert participant.row.trials.count() == len(participant.row.condition_order)
    assert participant.row.slot == 0


def test_pages_are_not_cached_so_back_asks_the_server(participant):
    participant.enters()

    response = participant.client.get(participant.here)

    assert "no-store" in response["Cache-Control"]


def test_every_step_records_a_server_time(participant, face_jpeg):
    participant.takes_whole_study(face_jpeg)

    times = participant.row.step_times
    for key in ["consent", "camera", "trial1.felt", "trial1.instruction", "trial1.capture", "debrief", "done"]:
        assert key in times, key
    posed = [t.index + 1 for t in participant.row.trials.all() if t.condition != "natural"]
    assert f"trial{posed[0]}.pose_check" in times


def test_the_model_label_is_never_shown_without_feedback(participant, face_jpeg, django_capture_on_commit_callbacks):
    participant.walks_to_capture()
    with django_capture_on_commit_callbacks(execute=True):
        participant.sends_photo(face_jpeg)

    page = participant.client.get(participant.here).content.decode()

    assert steps.FEEDBACK not in participant.row.step_times
    assert "computer" not in page.lower()


def test_feedback_is_a_step_when_the_experiment_shows_it(
    make_experiment, participant_of, face_jpeg, django_capture_on_commit_callbacks
):
    person = participant_of(make_experiment("feedback", trial_plan={"natural": 1}, show_feedback=True))
    person.walks_to_capture()
    with django_capture_on_commit_callbacks(execute=True):
        person.sends_photo(face_jpeg)

    assert person.row.step == steps.FEEDBACK
    page = person.client.get(person.here).content.decode()
    assert "What the computer saw" in page
    person.client.post(person.here)
    assert person.row.step == steps.DEBRIEF


def test_study_pages_carry_a_strict_csp_and_no_inline_script(participant, face_jpeg):
    participant.enters()
    seen = []
    while participant.row.step not in (steps.DONE,):
        response = participant.client.get(participant.here)
        html = response.content.decode()
        seen.append(participant.row.step)
        assert "script-src 'self'" in response["Content-Security-Policy"]
        assert "camera=(self)" in response["Permissions-Policy"]
        for script in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in script or "application/json" in script, script
        assert not re.search(r"\son[a-z]+\s*=", html), "inline event handler"
        assert "style=" not in html
        {
            steps.CONSENT: participant.consents,
            steps.CAMERA: participant.passes_camera_check,
            steps.FELT: participant.reports_feeling,
            steps.INSTRUCTION: participant.is_ready,
            steps.CAPTURE: lambda: participant.sends_photo(face_jpeg),
            steps.POSE_CHECK: participant.rates_pose,
            steps.DEBRIEF: participant.finishes,
        }[participant.row.step]()
    assert {
        steps.CONSENT,
        steps.CAMERA,
        steps.FELT,
        steps.INSTRUCTION,
        steps.CAPTURE,
        steps.POSE_CHECK,
        steps.DEBRIEF,
    } <= set(seen)


def test_the_pose_check_can_be_skipped(make_experiment, participant_of, face_jpeg):
    person = participant_of(make_experiment("skip-check", trial_plan={"express": 1}))
    person.walks_to_capture()
    person.sends_photo(face_jpeg)
    assert person.row.step == steps.POSE_CHECK

    person.client.post(person.here, {"skip": "1"})

    assert person.row.step == steps.DEBRIEF
    assert person.row.trials.get().pose_rating is None


def test_a_natural_trial_has_no_pose_check(make_experiment, participant_of, face_jpeg):
    person = participant_of(make_experiment("natural-only", trial_plan={"natural": 1}))
    person.walks_to_capture()

    person.sends_photo(face_jpeg)

    assert person.row.step == steps.DEBRIEF
