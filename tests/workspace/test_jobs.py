"""Long exports run in Celery and report progress; only people who may see the experiment get the file."""

import pytest
from django.urls import reverse

from experiments.workspace.jobs import get_job

pytestmark = pytest.mark.django_db


def test_a_background_export_reports_progress_and_serves_the_same_file(
    client, researcher, study_data, django_capture_on_commit_callbacks
):
    client.force_login(researcher)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("workspace:export_job_start", args=[study_data.slug, "trials.csv"]))
    assert response.status_code == 302
    job_id = response["Location"].rstrip("/").split("/")[-1]
    page = client.get(response["Location"]).content.decode()
    assert "<progress" in page and 'src="/static/workspace/job.js"' in page
    status = client.get(reverse("workspace:export_job_status", args=[study_data.slug, job_id])).json()
    assert status == {"name": "trials.csv", "status": "done", "done": 32, "total": 32, "error": None}
    download = client.get(reverse("workspace:export_job_download", args=[study_data.slug, job_id]))
    assert download["Cache-Control"] == "private, no-store"
    direct = client.get(reverse("workspace:export", args=[study_data.slug, "trials.csv"]))
    assert b"".join(download.streaming_content) == b"".join(direct.streaming_content)
    assert get_job(job_id)["file"] not in page


def test_a_job_is_404_through_someone_elses_experiment(
    client, other_researcher, researcher, study_data, foreign_experiment, django_capture_on_commit_callbacks
):
    from tests.workspace.conftest import finished_job

    job_id = finished_job(study_data, researcher, django_capture_on_commit_callbacks)
    client.force_login(other_researcher)
    for slug in (study_data.slug, foreign_experiment.slug):
        for name in ("export_job", "export_job_status", "export_job_download"):
            assert client.get(reverse(f"workspace:{name}", args=[slug, job_id])).status_code == 404


def test_built_files_expire_with_their_job(private_export_folder):
    import os
    import time

    from experiments.workspace.jobs import JOB_SECONDS, remove_expired_files

    (private_export_folder / "7").mkdir(parents=True)
    old, fresh = private_export_folder / "7" / "old.zip", private_export_folder / "7" / "fresh.zip"
    old.write_bytes(b"x")
    fresh.write_bytes(b"x")
    past = time.time() - JOB_SECONDS - 60
    os.utime(old, (past, past))
    assert remove_expired_files() == 1
    assert not old.exists() and fresh.exists()
