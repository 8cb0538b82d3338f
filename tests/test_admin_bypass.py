"""No admin path bypasses the frozen study or leaves a photo behind; no built export outlives a withdrawal."""

import time

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from experiments.models import Experiment, Participant, Photo, Role
from experiments.workspace import jobs
from tests.ratings.conftest import Rater, make_rating_study, photo_participant, rating_study  # noqa: F401 (fixtures)
from tests.workspace.conftest import finished_job, study_data  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:experiments_experiment_changelist"


def change_url(obj):
    return reverse(f"admin:experiments_{obj._meta.model_name}_change", args=[obj.pk])


def test_status_cannot_be_set_in_the_admin_form(admin_client, researcher):
    draft = Experiment.objects.create(slug="draft", title="Draft", owner=researcher, consent_text="ok")
    page = admin_client.get(change_url(draft)).content.decode()

    admin_client.post(change_url(draft), {"title": "Draft", "slug": "draft", "kind": "photo", "status": "live",
                                          "consent_text": "ok", "consent_version": 1, "photo_policy": "keep",
                                          "labels": '["happy", "sad"]', "trial_plan": '{"natural": 1}',
                                          "opposite_map": "{}", "ratings_per_photo": 3, "photos_per_rater": 20,
                                          "attention_checks": 1, "collaborations-TOTAL_FORMS": 0,
                                          "collaborations-INITIAL_FORMS": 0})

    draft.refresh_from_db()
    assert 'name="status"' not in page
    assert draft.status == Experiment.Status.DRAFT and not draft.config_sha256


def test_a_live_rating_studys_frozen_settings_are_read_only_in_admin(admin_client, rating_study):  # noqa: F811
    page = admin_client.get(change_url(rating_study)).content.decode()

    for name in ("photos_per_rater", "attention_checks", "source_experiments", "ratings_per_photo", "labels"):
        assert f'name="{name}"' not in page, name
    assert 'name="title"' in page


def test_the_source_studies_are_part_of_the_hash(make_rating_study, experiment, researcher):  # noqa: F811
    other = Experiment.objects.create(slug="other-photos", title="Other", owner=researcher, consent_text="x")
    other.launch()
    first = make_rating_study(slug="rate-a")
    second = make_rating_study(slug="rate-b", launch=False)
    second.source_experiments.set([other])
    second.launch()

    assert first.frozen_config["source_experiments"] == [experiment.slug]
    assert second.frozen_config["source_experiments"] == [other.slug]
    assert Experiment.hash_config({**first.frozen_config, "slug": "x"}) != \
        Experiment.hash_config({**second.frozen_config, "slug": "x"})


def test_a_study_frozen_before_a_key_existed_reads_its_documented_default(rating_study, photo_participant):  # noqa: F811 (fixtures)
    for _ in range(4):
        photo_participant()
    frozen = {k: v for k, v in rating_study.frozen_config.items()
              if k not in ("photos_per_rater", "attention_checks", "ask_felt_guess", "source_experiments")}
    Experiment.objects.filter(pk=rating_study.pk).update(frozen_config=frozen, photos_per_rater=1)
    rater = Rater(Client(), rating_study)

    rater.takes_rating_study()

    kinds = list(rater.row.rating_items.values_list("kind", flat=True))
    assert kinds.count("photo") == 4  # the default 20 (more than there are), not the field edited to 1
    assert kinds.count("instruction_check") == 1


def test_the_admin_launch_action_refuses_sources_that_are_not_launched_photo_studies(admin_client, researcher):
    draft_source = Experiment.objects.create(slug="unlaunched", title="U", owner=researcher, consent_text="x")
    study = Experiment.objects.create(slug="rates-a-draft", title="R", owner=researcher, consent_text="x",
                                      kind=Experiment.Kind.RATING)
    study.source_experiments.add(draft_source)

    response = admin_client.post(reverse(CHANGELIST), {"action": "launch", "_selected_action": [study.pk]},
                                 follow=True)

    study.refresh_from_db()
    assert study.status == Experiment.Status.DRAFT
    assert "unlaunched" in response.content.decode()


def test_deleting_a_participant_in_admin_deletes_their_photo_files(admin_client, study_data, private_photo_storage):  # noqa: F811,E501
    participant = study_data.participants.first()
    files = [private_photo_storage / p.file.name for p in Photo.objects.filter(trial__participant=participant)]
    assert files and all(path.exists() for path in files)

    admin_client.post(reverse("admin:experiments_participant_delete", args=[participant.pk]), {"post": "yes"})

    assert not Participant.objects.filter(pk=participant.pk).exists()
    assert not any(path.exists() for path in files)


def test_deleting_an_experiment_in_admin_deletes_its_photos_and_built_exports(
    admin_client, researcher, study_data, private_photo_storage, django_capture_on_commit_callbacks  # noqa: F811
):
    job_id = finished_job(study_data, researcher, django_capture_on_commit_callbacks, name="photos.zip")
    built = jobs.file_of(jobs.get_job(job_id))
    photos = Photo.objects.filter(trial__participant__experiment=study_data)
    files = [private_photo_storage / p.file.name for p in photos]
    assert built and files

    admin_client.post(reverse(CHANGELIST), {"action": "delete_selected", "_selected_action": [study_data.pk],
                                            "post": "yes"})

    assert not Experiment.objects.filter(pk=study_data.pk).exists()
    assert not built.exists() and not any(path.exists() for path in files)


def test_withdrawal_deletes_built_exports_that_hold_the_participant(
    client, researcher, experiment, face_jpeg, django_capture_on_commit_callbacks
):
    from tests.flow.conftest import StudyParticipant

    person = StudyParticipant(Client(), experiment)
    person.takes_whole_study(face_jpeg)
    Participant.objects.filter(pk=person.row.pk).update(photos_for_publication=True)
    job_id = finished_job(experiment, researcher, django_capture_on_commit_callbacks, name="photos.zip")
    built = jobs.file_of(jobs.get_job(job_id))
    assert built and built.stat().st_size > 1000

    with django_capture_on_commit_callbacks(execute=True):
        person.client.post(reverse("study_withdraw"), {"withdrawal_code": person.row.withdrawal_code})

    assert not built.exists()
    client.force_login(researcher)
    status = client.get(reverse("workspace:export_job_status", args=[experiment.slug, job_id])).json()
    assert status["status"] == "expired" and "Start the export again" in status["error"]
    assert client.get(reverse("workspace:export_job_download", args=[experiment.slug, job_id])).status_code == 404


def test_a_build_that_a_withdrawal_overtakes_is_built_again(
    monkeypatch, researcher, study_data, django_capture_on_commit_callbacks  # noqa: F811
):
    from experiments.workspace import tasks

    builds = []
    real = tasks.export_file

    def overtaken(experiment, name):
        export = real(experiment, name)
        builds.append(name)
        if len(builds) == 1:  # someone withdraws while the first build is being written
            jobs.invalidate_exports([experiment.pk])
            time.sleep(0.01)
        return export

    monkeypatch.setattr(tasks, "export_file", overtaken)
    job_id = finished_job(study_data, researcher, django_capture_on_commit_callbacks)

    job = jobs.get_job(job_id)
    assert len(builds) == 2 and job["status"] == "done" and jobs.file_of(job)


def test_beat_removes_expired_export_files(settings, private_export_folder):
    import os

    from experiments.workspace.tasks import remove_expired_exports

    folder = private_export_folder / "3"
    folder.mkdir(parents=True)
    old = folder / "old-photos.zip"
    old.write_bytes(b"photos")
    past = time.time() - jobs.JOB_SECONDS - 60
    os.utime(old, (past, past))

    assert remove_expired_exports.delay().get() == 1
    assert not old.exists()
    assert any(entry["task"] == "experiments.workspace.tasks.remove_expired_exports"
               for entry in settings.CELERY_BEAT_SCHEDULE.values())


def test_audit_storage_covers_the_export_folder(private_export_folder, experiment, capsys):
    stray = private_export_folder / str(experiment.pk) / "AAAAAAAAAAAAAAAAAAAAAA-smile-study-photos.zip"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"left behind")

    with pytest.raises(CommandError):
        call_command("audit_storage")
    call_command("audit_storage", "--delete-orphans")

    assert "export file without a live job" in capsys.readouterr().out
    assert not stray.exists()


def test_view_on_site_names_nothing_to_staff_without_permission(client, django_user_model, make_experiment_row):
    staff = django_user_model.objects.create_user("helpdesk", password="helpdesk-pass-1", is_staff=True)
    draft = make_experiment_row()
    client.force_login(staff)
    content_type = ContentType.objects.get_for_model(Experiment)

    response = client.get(reverse("admin_view_on_site", args=[content_type.pk, draft.pk]))

    assert response.status_code == 404 and draft.slug not in response.get("Location", "")


def test_view_on_site_still_works_for_admins(admin_client, make_experiment_row):
    draft = make_experiment_row()
    content_type = ContentType.objects.get_for_model(Experiment)

    response = admin_client.get(reverse("admin_view_on_site", args=[content_type.pk, draft.pk]))

    assert response.status_code == 302 and response["Location"].endswith(f"/s/{draft.slug}/")


@pytest.fixture
def make_experiment_row(researcher):
    return lambda: Experiment.objects.create(slug="unannounced", title="Unannounced", owner=researcher,
                                             consent_text="x")


def test_collaborator_roles_are_editable_in_admin(admin_client, experiment, collaborator):
    page = admin_client.get(change_url(experiment)).content.decode()
    assert "collaborations-0-role" in page
    assert experiment.collaborations.get(user=collaborator).role == Role.EDITOR
