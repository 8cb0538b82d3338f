"""Walk every URL of the site, resolved from the URL conf, as every persona, and check who gets what.

A new view is covered automatically: its pattern shows up here, and an unknown URL parameter or
namespace fails the walk until someone says what it should be filled with and who may see it.
Collaborators walk with their role: `viewer` reads, reports and exports; `collaborator` (an editor)
also edits and launches drafts; closing is the owner's (`researcher`). A persona that may see the
experiment but lacks the role gets 403; one that may not see it gets 404.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from experiments.models import Participant, Role
from tests.workspace.conftest import finished_job

PERSONAS = ["anonymous", "participant", "other_researcher", "viewer", "collaborator", "researcher", "admin"]
RESEARCHERS_OF_OWN = {"researcher", "collaborator", "viewer", "admin"}  # may see the researcher's experiment
RESEARCHERS_OF_FOREIGN = {"other_researcher", "admin"}  # may see other_researcher's experiment
ROLE_OF_OWN = {"researcher": Role.OWNER, "admin": Role.OWNER, "collaborator": Role.EDITOR, "viewer": Role.VIEWER}
ROLE_OF_FOREIGN = {"other_researcher": Role.OWNER, "admin": Role.OWNER}
RANK = {Role.VIEWER: 1, Role.EDITOR: 2, Role.OWNER: 3}
# Workspace views that need more than the viewer's role; every other one is a viewer's.
ROLE_NEEDED = {
    "workspace:experiment_edit": Role.EDITOR,
    "workspace:experiment_launch": Role.EDITOR,
    "workspace:experiment_close": Role.OWNER,
}
PUBLIC_NAMES = {
    # Django auth (accounts/): public by nature, or redirect to login themselves.
    "login", "logout", "password_change", "password_change_done", "password_reset", "password_reset_done",
    "password_reset_confirm", "password_reset_complete",
    "healthz",  # liveness probe for the load balancer
}


def site_patterns(patterns=None, prefix="", namespace=""):
    """(full name or None, regex text, kwargs names) of every pattern, resolvers flattened."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, [namespace, entry.namespace]))
            yield from site_patterns(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = ":".join(filter(None, [namespace, entry.name])) if entry.name else None
            names = set(getattr(entry.pattern, "converters", {})) | set(entry.pattern.regex.groupindex)
            yield name, namespace, prefix + str(entry.pattern), sorted(names)


def fill(name, param, *, variant, objects):
    """The value of URL parameter `param` for the own or the foreign variant of a pattern."""
    experiment = objects[f"{variant}_experiment"]
    values = {
        "slug": experiment.slug,
        "photo_id": objects[f"{variant}_photo"].pk,
        "job_id": objects[f"{variant}_job"],
        "code": objects[f"{variant}_participant"].public_code,
        "number": 0,
        "format": "json",
        "uidb64": "MQ",
        "token": "set-password",
        # admin
        "app_label": "experiments",
        "model_name": "experiment",
        "object_id": experiment.pk,
        "content_type_id": 1,
        "id": objects["researcher"].pk,
    }
    if param == "name":
        return "decisive" if name.endswith("report_plot") else "trials.csv"
    if param not in values:
        pytest.fail(f"{name}: no value for URL parameter {param!r}; teach the walk what to put there")
    return values[param]


def client_for(persona, client, objects):
    if persona == "participant":
        client.get(reverse("study_entry", args=[objects["own_experiment"].slug]))  # a participant's session
    elif persona != "anonymous":
        client.force_login(objects[persona])
    return client


def check(persona, name, namespace, variant, response, objects):
    """None when `persona` got what they should, else a description of what went wrong."""
    status = response.status_code
    if status >= 500:
        return f"server error {status}"
    signed_in = persona not in ("anonymous", "participant")
    if namespace == "workspace":
        if not signed_in:
            location = response.get("Location", "")
            return None if status == 302 and location.startswith(reverse("login")) else f"{status} {location}"
        allowed = persona in (RESEARCHERS_OF_OWN if variant == "own" else RESEARCHERS_OF_FOREIGN)
        if "slug" not in objects["params"]:
            return None if status in (200, 302, 405) else f"refused ({status})"
        if not allowed:
            return None if status == 404 else f"foreign experiment answered {status}, not 404"
        role = (ROLE_OF_OWN if variant == "own" else ROLE_OF_FOREIGN)[persona]
        if RANK[role] < RANK[ROLE_NEEDED.get(name, Role.VIEWER)]:
            return None if status == 403 else f"a {role} answered {status}, not 403"
        return None if status in (200, 302, 405) else f"refused ({status})"
    if namespace == "api":
        if not signed_in:
            return None if status in (401, 403) else f"anonymous API answered {status}"
        allowed = persona in (RESEARCHERS_OF_OWN if variant == "own" else RESEARCHERS_OF_FOREIGN)
        if "slug" not in objects["params"]:
            allowed = True
        if allowed:
            return None if status in (200, 405) else f"refused ({status})"
        return None if status == 404 else f"foreign experiment answered {status}, not 404"
    if namespace == "admin" or name == "admin_view_on_site":
        if persona == "admin":
            # 403: the admin deliberately refuses to add or edit what participants gave.
            return None if status in (200, 302, 403, 404, 405) else f"admin got {status}"
        if name in ("admin:login", "admin:logout"):
            return None
        location = response.get("Location", "")
        return None if status == 302 and "/admin/login/" in location else f"non-staff got {status} {location}"
    if namespace == "" and (name in PUBLIC_NAMES or (name or "").startswith("study_")):
        body = b"".join(response.streaming_content) if response.streaming else response.content
        for secret in objects["secrets"]:
            if secret.encode() in body:
                return f"public page leaks {secret!r}"
        return None
    return f"unknown area {namespace!r}: say who may see {name}"


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_every_url_answers_each_persona_as_it_should(
    persona, client, researcher, other_researcher, collaborator, viewer, admin_user, study_data, own_photo,
    foreign_experiment, foreign_photo, django_capture_on_commit_callbacks,
):
    objects = {
        "researcher": researcher, "other_researcher": other_researcher, "collaborator": collaborator,
        "viewer": viewer, "admin": admin_user, "own_experiment": study_data, "foreign_experiment": foreign_experiment,
        "own_photo": own_photo, "foreign_photo": foreign_photo,
        "own_participant": Participant.objects.create(experiment=study_data),
        "foreign_participant": Participant.objects.create(experiment=foreign_experiment),
        "own_job": finished_job(study_data, researcher, django_capture_on_commit_callbacks),
        "foreign_job": finished_job(foreign_experiment, other_researcher, django_capture_on_commit_callbacks),
    }
    objects["secrets"] = [
        study_data.config_sha256, foreign_experiment.config_sha256, f"/workspace/{study_data.slug}/",
        f"/workspace/{foreign_experiment.slug}/", "PROLIFIC1-", "PROLIFIC9-", researcher.password,
        f"/photos/{own_photo.pk}.jpg", own_photo.file.name,
    ]
    client = client_for(persona, client, objects)
    failures, walked = [], 0
    for name, namespace, route, params in site_patterns():
        if name is None:
            assert namespace == "admin" or route.startswith("^static"), f"unnamed URL pattern {route}"
            continue
        for variant in ("own", "foreign") if params else ("own",):
            objects["params"] = params
            kwargs = {p: fill(name, p, variant=variant, objects=objects) for p in params}
            url = reverse(name, kwargs=kwargs)
            methods = ("get", "post") if namespace == "workspace" else ("get",)
            for method in methods:
                walked += 1
                try:
                    response = getattr(client, method)(url)
                except Exception as error:  # the test client re-raises what would be a 500
                    failures.append((name, f"{persona} {method.upper()} {url}: raised {error!r}"))
                    continue
                if problem := check(persona, name, namespace, variant, response, objects):
                    failures.append((name, f"{persona} {method.upper()} {url} ({name}, {variant}): {problem}"))
    assert walked > 40
    assert not failures, "\n".join(text for _, text in failures)


# Every form field that points at another object, and a value of it only someone else may choose.
RELATED_FIELDS = {
    "source_experiments": lambda objects: [objects["foreign_experiment"].pk],
    "collaborators_text": lambda objects: "nobody-by-this-name editor",
}


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["researcher", "collaborator", "viewer", "other_researcher", "admin"])
@pytest.mark.parametrize("field", sorted(RELATED_FIELDS))
def test_related_object_fields_accept_only_what_the_acting_user_may_open(
    persona, field, client, researcher, other_researcher, collaborator, viewer, admin_user, experiment,
    foreign_experiment,
):
    """Create and edit, as each persona, pointing a related field at what they may not choose."""
    from experiments.models import Collaboration, Experiment
    from tests.workspace.test_pages import new_experiment_form

    users = {"researcher": researcher, "collaborator": collaborator, "viewer": viewer,
             "other_researcher": other_researcher, "admin": admin_user}
    objects = {"foreign_experiment": experiment if persona == "other_researcher" else foreign_experiment}
    if persona == "admin":  # an admin may open everything: point at a study that is not a launched photo study
        objects["foreign_experiment"] = Experiment.objects.create(slug="a-draft", title="D", owner=other_researcher,
                                                                  consent_text="x")
    draft = Experiment.objects.create(slug="walk-draft", title="Walk draft", owner=researcher, consent_text="x",
                                      kind=Experiment.Kind.RATING)
    Collaboration.objects.create(experiment=draft, user=collaborator)
    Collaboration.objects.create(experiment=draft, user=viewer, role="viewer")
    client.force_login(users[persona])
    hostile = {field: RELATED_FIELDS[field](objects), "kind": "rating"}

    created = client.post(reverse("workspace:experiment_create"), new_experiment_form(slug="walk-new", **hostile))
    edited = client.post(reverse("workspace:experiment_edit", args=[draft.slug]),
                         new_experiment_form(slug=draft.slug, **hostile))

    assert created.status_code == 200 and field in created.context["form"].errors
    assert not Experiment.objects.filter(slug="walk-new").exists()
    if persona in ("other_researcher",):
        assert edited.status_code == 404
    elif persona == "viewer":
        assert edited.status_code == 403
    elif field == "collaborators_text" and persona == "collaborator":  # an editor is not offered sharing
        assert edited.status_code == 302
    else:
        assert edited.status_code == 200 and field in edited.context["form"].errors
    assert not draft.source_experiments.exists()
    assert set(draft.collaborators.values_list("username", flat=True)) == {"collaborator", "viewer"}
