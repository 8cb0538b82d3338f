"""The workspace pages a researcher lives in: list, create → launch → close, live, report."""

import re

import pytest
from django.urls import reverse

from experiments.models import Experiment

pytestmark = pytest.mark.django_db


def test_login_leads_to_the_researchers_own_list(client, researcher, experiment, foreign_experiment):
    response = client.post(reverse("login"), {"username": "researcher", "password": "research-pass-1"}, follow=True)
    assert response.request["PATH_INFO"] == reverse("workspace:experiment_list")
    assert experiment.title in response.content.decode()
    assert foreign_experiment.title not in response.content.decode()


def test_a_collaborator_sees_the_shared_experiment(client, collaborator, experiment):
    client.force_login(collaborator)
    assert experiment.title in client.get(reverse("workspace:experiment_list")).content.decode()


def new_experiment_form(**overrides):
    data = {
        "title": "Frowns", "slug": "frowns", "kind": "photo", "consent_text": "Agree?", "consent_version": 1,
        "photo_policy": "keep", "ratings_per_photo": 3, "photos_per_rater": 20, "attention_checks": 1,
        "labels_text": "happy, sad, neutral",
        "opposites_text": "happy: sad\nsad: happy\nneutral: neutral",
        "plan_natural": 1, "plan_express": 1, "plan_opposite": 2, "plan_assigned": 0,
    }
    return data | overrides


def test_from_an_empty_workspace_to_a_launched_then_closed_experiment(client, researcher, default_model):
    client.force_login(researcher)
    response = client.post(reverse("workspace:experiment_create"),
                           new_experiment_form(classifier_models=[default_model.pk]))
    assert response.status_code == 302, response.context["form"].errors
    experiment = Experiment.objects.get(slug="frowns")
    assert experiment.owner == researcher and experiment.status == "draft"
    assert experiment.labels == ["happy", "sad", "neutral"]
    assert experiment.trial_plan == {"natural": 1, "express": 1, "opposite": 2}
    assert client.get(reverse("workspace:experiment_launch", args=["frowns"])).status_code == 405
    client.post(reverse("workspace:experiment_launch", args=["frowns"]))
    experiment.refresh_from_db()
    assert experiment.status == "live" and len(experiment.config_sha256) == 64
    detail = client.get(reverse("workspace:experiment_detail", args=["frowns"]))
    assert experiment.config_sha256 in detail.content.decode()
    client.post(reverse("workspace:experiment_close", args=["frowns"]))
    experiment.refresh_from_db()
    assert experiment.status == "closed"


def test_the_form_refuses_an_opposite_map_outside_the_labels(client, researcher):
    client.force_login(researcher)
    response = client.post(reverse("workspace:experiment_create"),
                           new_experiment_form(opposites_text="happy: furious\nsad: happy\nneutral: neutral"))
    assert response.status_code == 200
    assert "furious" in str(response.context["form"].errors)


def test_editing_a_launched_experiment_makes_a_new_draft_version(client, researcher, experiment):
    client.force_login(researcher)
    original_hash = experiment.config_sha256
    form = client.get(reverse("workspace:experiment_edit", args=[experiment.slug])).context["form"]
    data = {name: field.value() for name, field in ((n, form[n]) for n in form.fields)}
    data = {k: v for k, v in data.items() if v is not None}
    data |= {"title": "Smile study, v2", "collaborators": [c.pk for c in experiment.collaborators.all()],
             "classifier_models": [m.pk for m in experiment.classifier_models.all()]}
    response = client.post(reverse("workspace:experiment_edit", args=[experiment.slug]), data)
    assert response.status_code == 302, response.context["form"].errors
    experiment.refresh_from_db()
    assert experiment.title == "Smile study" and experiment.config_sha256 == original_hash
    copy = Experiment.objects.get(slug="smile-study-v2")
    assert copy.status == "draft" and copy.owner == researcher and copy.title == "Smile study, v2"


def test_the_preview_walks_the_plan_without_storing_anything(client, researcher, experiment):
    client.force_login(researcher)
    response = client.get(reverse("workspace:experiment_preview", args=[experiment.slug]))
    assert response.status_code == 200
    assert len(response.context["steps"]) == 4
    assert experiment.participants.count() == 0


def test_the_live_page_polls_a_json_endpoint_with_a_script_file(client, researcher, study_data):
    client.force_login(researcher)
    page = client.get(reverse("workspace:live", args=[study_data.slug])).content.decode()
    assert 'src="/static/workspace/live.js"' in page
    assert "<script>" not in page and " on" + "click=" not in page  # no inline script: CSP-safe
    counts = client.get(reverse("workspace:live_json", args=[study_data.slug])).json()
    assert counts["participants"]["completed"] == 8 and counts["classifications"]["pending"] == 0
    assert 0 <= counts["headline"]["decisive_follows_target"] <= 1


def test_the_report_shows_plots_and_tables(client, researcher, study_data):
    client.force_login(researcher)
    response = client.get(reverse("workspace:report", args=[study_data.slug]))
    page = response.content.decode()
    assert response.status_code == 200 and response.context["error"] is None
    for name in ("decisive", "confusion_target", "confusion_felt", "cooccurrence", "valence"):
        assert reverse("workspace:report_plot", args=[study_data.slug, name]) in page
        svg = client.get(reverse("workspace:report_plot", args=[study_data.slug, name]))
        assert svg["Content-Type"] == "image/svg+xml" and svg.content.startswith(b"<svg")
    assert "P(pred = target)" in page


def test_the_downloaded_report_is_self_contained(client, researcher, study_data):
    client.force_login(researcher)
    response = client.get(reverse("workspace:report_download", args=[study_data.slug]))
    html = response.content.decode()
    assert response["Content-Disposition"].startswith("attachment")
    assert html.count("<svg") >= 5 and "<style>" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)  # nothing fetched from anywhere
    assert "<script" not in html and "<link" not in html and "<img" not in html


def test_the_report_is_cached_until_the_data_change(client, researcher, study_data, django_assert_max_num_queries):
    from tests.workspace.conftest import add_participants

    client.force_login(researcher)
    client.get(reverse("workspace:report", args=[study_data.slug]))
    with django_assert_max_num_queries(20):
        client.get(reverse("workspace:report", args=[study_data.slug]))
    before = client.get(reverse("workspace:report", args=[study_data.slug])).context["results"]["n_trials"]
    add_participants(study_data, 1, seed=7)
    after = client.get(reverse("workspace:report", args=[study_data.slug])).context["results"]["n_trials"]
    assert (before, after) == (32, 36)


def test_the_report_compares_observers_with_the_model_when_ratings_exist(client, researcher, study_data):
    from experiments.models import Photo, Rating

    raters = Experiment.objects.create(slug="raters", title="Raters", owner=researcher, consent_text="ok",
                                       kind=Experiment.Kind.RATING)
    people = [raters.participants.create(status="completed") for _ in range(3)]
    for photo in Photo.objects.filter(trial__participant__experiment=study_data).select_related("trial"):
        for person in people:
            Rating.objects.create(rater=person, photo=photo, label=photo.trial.target or photo.trial.felt)
    client.force_login(researcher)
    response = client.get(reverse("workspace:report", args=[study_data.slug]))
    assert response.context["error"] is None
    assert response.context["observers"]["n_ratings"] == 96
    assert "majority right" in response.content.decode()


def test_a_label_no_classifier_can_predict_is_refused_with_the_choices(client, researcher):
    from experiments.workspace.forms import ExperimentForm

    form = ExperimentForm(data={"labels_text": "happy, contempt"})
    form.is_valid()
    message = " ".join(form.errors["labels_text"])
    assert "Unknown label(s): contempt" in message and "neutral" in message


def test_a_rating_study_draws_only_on_photo_studies_its_researcher_can_see(researcher, experiment, other_researcher):
    from experiments.workspace.forms import ExperimentForm

    foreign = Experiment.objects.create(slug="foreign", title="Foreign", owner=other_researcher, consent_text="x")
    foreign.launch()
    choices = set(ExperimentForm(user=researcher).fields["source_experiments"].queryset)
    assert experiment in choices and foreign not in choices


def test_a_new_version_starts_from_the_launched_studys_plan_and_labels(client, researcher, make_experiment_for_pages):
    study = make_experiment_for_pages()
    client.force_login(researcher)

    form = client.get(reverse("workspace:experiment_edit", args=[study.slug])).context["form"]

    assert [form[f"plan_{c}"].value() for c in ("natural", "express", "opposite", "assigned")] == [3, 0, 1, 0]
    assert form["labels_text"].value() == "happy, sad"


@pytest.fixture
def make_experiment_for_pages(researcher):
    def make():
        study = Experiment.objects.create(slug="custom", title="Custom", owner=researcher, consent_text="x",
                                          labels=["happy", "sad"], opposite_map={"happy": "sad", "sad": "happy"},
                                          trial_plan={"natural": 3, "opposite": 1})
        study.launch()
        return study

    return make
