"""Roles on shared experiments, and related-object fields that follow the acting researcher.

The attack: a collaborator on X points X, a rating study, at a photo study Z of X's owner that the
collaborator cannot open, launches X, takes it as a rater and so sees Z's photos.
"""

import pytest
from django.urls import reverse

from experiments.models import Collaboration, Experiment, Participant, RatingItem, Role
from tests.flow.conftest import make_experiment  # noqa: F401 (a fixture)
from tests.ratings.conftest import Rater, photo_participant  # noqa: F401  (a fixture)
from tests.workspace.test_pages import new_experiment_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def owners_private_study(make_experiment, photo_participant):  # noqa: F811 (fixtures)
    """Z: a live photo study of the researcher's, with rateable photos, shared with nobody."""
    study = make_experiment("private-z")
    photo_participant(of=study, trials=2)
    return study


@pytest.fixture
def shared_draft(collaborator, make_experiment):  # noqa: F811
    """X: a draft of the researcher's on which `collaborator` is an editor."""
    draft = make_experiment("shared-x", launch=False)
    Collaboration.objects.create(experiment=draft, user=collaborator, role=Role.EDITOR)
    return draft


def edit_form(client, experiment, **changes):
    form = client.get(reverse("workspace:experiment_edit", args=[experiment.slug])).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {k: v for k, v in data.items() if v is not None}
    return data | changes


def test_a_collaborator_cannot_point_a_rating_study_at_photos_they_cannot_open(
    client, collaborator, shared_draft, owners_private_study
):
    client.force_login(collaborator)
    page = client.get(reverse("workspace:experiment_edit", args=[shared_draft.slug])).content.decode()
    assert owners_private_study.slug not in page  # not offered

    response = client.post(reverse("workspace:experiment_edit", args=[shared_draft.slug]), edit_form(
        client, shared_draft, kind="rating", source_experiments=[owners_private_study.pk]))

    assert response.status_code == 200 and "source_experiments" in response.context["form"].errors  # not accepted
    assert not shared_draft.source_experiments.exists()


def test_launching_rechecks_the_sources_against_whoever_launches(
    client, collaborator, shared_draft, owners_private_study, experiment
):
    """Sources the owner attached that the editor cannot open block the editor's launch; nobody rates them."""
    Experiment.objects.filter(pk=shared_draft.pk).update(kind=Experiment.Kind.RATING)
    shared_draft.source_experiments.add(owners_private_study)
    client.force_login(collaborator)

    client.post(reverse("workspace:experiment_edit", args=[shared_draft.slug]),
                edit_form(client, shared_draft, title="Renamed by the editor"))
    response = client.post(reverse("workspace:experiment_launch", args=[shared_draft.slug]), follow=True)

    shared_draft.refresh_from_db()
    assert list(shared_draft.source_experiments.all()) == [owners_private_study]  # kept, not offered
    assert shared_draft.status == Experiment.Status.DRAFT and not shared_draft.config_sha256
    assert "cannot open" in response.content.decode()
    rater = Rater(client.__class__(), shared_draft)
    assert rater.enters().status_code == 404  # a draft: nobody takes it
    assert not RatingItem.objects.exists()


def test_the_owner_may_launch_a_rating_study_of_their_own_photos(client, researcher, shared_draft,
                                                                  owners_private_study):
    Experiment.objects.filter(pk=shared_draft.pk).update(kind=Experiment.Kind.RATING)
    shared_draft.source_experiments.add(owners_private_study)
    client.force_login(researcher)

    client.post(reverse("workspace:experiment_launch", args=[shared_draft.slug]))

    shared_draft.refresh_from_db()
    assert shared_draft.status == Experiment.Status.LIVE
    assert shared_draft.frozen_config["source_experiments"] == [owners_private_study.slug]


def test_collaborators_are_typed_by_name_or_email_and_must_exist(client, researcher, other_researcher):
    client.force_login(researcher)
    page = client.get(reverse("workspace:experiment_create")).content.decode()
    assert "other_researcher" not in page  # accounts are never listed

    refused = client.post(reverse("workspace:experiment_create"),
                          new_experiment_form(collaborators_text="nobody-here editor"))
    other_researcher.email = "other@example.org"
    other_researcher.save()
    accepted = client.post(reverse("workspace:experiment_create"),
                           new_experiment_form(collaborators_text="OTHER@example.org viewer"))

    assert refused.status_code == 200 and "No account called: nobody-here" in refused.content.decode()
    assert accepted.status_code == 302
    sharing = Collaboration.objects.get(experiment__slug="frowns")
    assert (sharing.user, sharing.role) == (other_researcher, Role.VIEWER)


def test_only_the_owner_shares_and_a_viewer_edits_nothing(client, collaborator, viewer, experiment):
    client.force_login(collaborator)
    editor_form = client.get(reverse("workspace:experiment_edit", args=[experiment.slug])).context["form"]
    client.force_login(viewer)

    assert "collaborators_text" not in editor_form.fields
    assert client.get(reverse("workspace:experiment_edit", args=[experiment.slug])).status_code == 403
    assert client.post(reverse("workspace:experiment_close", args=[experiment.slug])).status_code == 403
    assert client.get(reverse("workspace:report", args=[experiment.slug])).status_code == 200
    assert client.get(reverse("workspace:export", args=[experiment.slug, "trials.csv"])).status_code == 200


def test_closing_a_live_study_is_the_owners(client, collaborator, researcher, experiment):
    client.force_login(collaborator)
    assert client.post(reverse("workspace:experiment_close", args=[experiment.slug])).status_code == 403
    experiment.refresh_from_db()
    assert experiment.status == Experiment.Status.LIVE

    client.force_login(researcher)
    client.post(reverse("workspace:experiment_close", args=[experiment.slug]))
    experiment.refresh_from_db()
    assert experiment.status == Experiment.Status.CLOSED


def test_an_editor_may_not_reopen_a_closed_study(client, collaborator, experiment):
    experiment.close()
    client.force_login(collaborator)

    response = client.post(reverse("workspace:experiment_launch", args=[experiment.slug]), follow=True)

    experiment.refresh_from_db()
    assert experiment.status == Experiment.Status.CLOSED
    assert "Only the owner can reopen" in response.content.decode()
    assert not Participant.objects.exists()
