"""Researcher pages. Each one: login → get_experiment_for (404 unless yours) → one call → render."""

from __future__ import annotations

import re
from pathlib import Path

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseNotAllowed,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

import fer_conditions as conditions
from experiments.audit import log_access
from experiments.exports.files import EXPORT_NAMES, UnknownExport, export_file
from experiments.exports.tidy import default_model
from experiments.models import AccessLog, Classification, Experiment, Photo, Role

from .access import get_experiment_for, get_photo_for, role_of
from .forms import ExperimentForm
from .monitoring import status_counts
from .services import ActionRefused, close_experiment, launch_experiment

PRIVATE = "private, no-store"


def _model_for(request, experiment):
    """The classifier named by ?model=, among the experiment's own; else the default one."""
    name = request.GET.get("model")
    if not name:
        return default_model(experiment)
    return get_object_or_404(experiment.frozen_models(), name=name)


def _private(response):
    response["Cache-Control"] = PRIVATE
    return response


@login_required
def experiment_list(request):
    experiments = (
        Experiment.objects.for_researcher(request.user)
        .select_related("owner")
        .annotate(n_participants=Count("participants", distinct=True),
                  n_completed=Count("participants", filter=Q(participants__status="completed"), distinct=True))
    )
    return render(request, "workspace/experiment_list.html", {"experiments": experiments})


@login_required
def experiment_create(request):
    form = ExperimentForm(request.POST or None, user=request.user)
    if form.is_valid():
        experiment = form.save()
        messages.success(request, _("Experiment created as a draft."))
        return redirect("workspace:experiment_detail", slug=experiment.slug)
    return render(request, "workspace/experiment_form.html", {"form": form})


@login_required
def experiment_detail(request, slug):
    experiment = get_experiment_for(request.user, slug)
    role = role_of(request.user, experiment)
    return render(request, "workspace/experiment_detail.html", {
        "experiment": experiment,
        "config": experiment.effective_config(),
        "export_names": EXPORT_NAMES,
        "job_names": ("trials.csv", "trials.parquet", "photos.zip"),
        "models": experiment.frozen_models(),
        # Only the sources this researcher may open are named; launching checks the rest.
        "sources": experiment.frozen_sources().filter(pk__in=Experiment.objects.for_researcher(request.user))
        if experiment.kind == Experiment.Kind.RATING else None,
        "role": role,
        "can_edit": role in (Role.EDITOR, Role.OWNER),
        "is_owner": role == Role.OWNER,
    })


def _next_version_slug(slug: str) -> str:
    base = re.sub(r"-v\d+$", "", slug)
    number = 2
    while Experiment.objects.filter(slug=f"{base}-v{number}").exists():
        number += 1
    return f"{base}-v{number}"


@login_required
def experiment_edit(request, slug):
    """A draft is edited in place; a launched experiment is frozen, so edits become a new draft version."""
    experiment = get_experiment_for(request.user, slug, Role.EDITOR)
    frozen = experiment.status != Experiment.Status.DRAFT
    options = {"user": request.user, "owner": experiment.owner,
               "can_share": role_of(request.user, experiment) == Role.OWNER}
    if frozen:
        copy = Experiment.objects.get(pk=experiment.pk)
        copy.pk = copy.id = None
        copy.slug = _next_version_slug(experiment.slug)
        copy.status = Experiment.Status.DRAFT
        copy.config_sha256, copy.frozen_config, copy.launched_at, copy.closed_at = "", None, None, None
        copy.next_slot = 0
        collaborators = "\n".join(f"{c.user.get_username()} {c.role}"
                                   for c in experiment.collaborations.select_related("user"))
        form = ExperimentForm(request.POST or None, instance=copy, **options, initial={
            "collaborators_text": collaborators, "classifier_models": list(experiment.classifier_models.all()),
            "source_experiments": list(experiment.source_experiments.all())})
    else:
        form = ExperimentForm(request.POST or None, instance=experiment, **options)
    if form.is_valid():
        with transaction.atomic():
            saved = form.save()
        messages.success(request, _("Saved as a new draft version.") if frozen else _("Saved."))
        return redirect("workspace:experiment_detail", slug=saved.slug)
    return render(request, "workspace/experiment_form.html",
                  {"form": form, "experiment": experiment, "frozen": frozen})


@login_required
def experiment_launch(request, slug):
    experiment = get_experiment_for(request.user, slug, Role.EDITOR)  # before the method check: foreign is 404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if experiment.status == Experiment.Status.LIVE:
        messages.info(request, _("Already live."))
        return redirect("workspace:experiment_detail", slug=slug)
    try:
        experiment = launch_experiment(user=request.user, experiment=experiment)
    except ActionRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Launched. Configuration frozen: %(hash)s") % {"hash": experiment.config_sha256})
    return redirect("workspace:experiment_detail", slug=slug)


@login_required
def experiment_close(request, slug):
    experiment = get_experiment_for(request.user, slug, Role.OWNER)  # before the method check: foreign is 404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if experiment.status == Experiment.Status.LIVE:
        close_experiment(user=request.user, experiment=experiment)
        messages.success(request, _("Closed: no new participants are accepted."))
    return redirect("workspace:experiment_detail", slug=slug)


@login_required
def experiment_preview(request, slug):
    """What a participant would go through, built from the configuration; nothing is stored."""
    experiment = get_experiment_for(request.user, slug)
    config = experiment.effective_config()
    sequence = conditions.condition_sequence(config["trial_plan"], slot=0) if config["trial_plan"] else []
    assigned = iter(conditions.assigned_targets(sequence.count(conditions.ASSIGNED), labels=config["labels"], seed=0))
    example_felt = config["labels"][0] if config["labels"] else ""
    steps = [
        {"condition": c,
         "target": conditions.target_expression(c, felt=example_felt, opposite_map=config["opposite_map"],
                                                assigned=next(assigned) if c == conditions.ASSIGNED else "")}
        for c in sequence
    ]
    return render(request, "workspace/experiment_preview.html",
                  {"experiment": experiment, "steps": steps, "example_felt": example_felt})


@login_required
def live(request, slug):
    experiment = get_experiment_for(request.user, slug)
    return render(request, "workspace/live.html", {"experiment": experiment, "counts": status_counts(experiment)})


@login_required
def live_json(request, slug):
    experiment = get_experiment_for(request.user, slug)
    return _private(JsonResponse(status_counts(experiment)))


@login_required
def report(request, slug):
    from .report import report_context  # matplotlib and the statistics engine load on first use

    experiment = get_experiment_for(request.user, slug)
    context = report_context(experiment, _model_for(request, experiment))
    return render(request, "workspace/report.html", context)


# matplotlib's SVG styles its shapes with style attributes; scripts stay forbidden (and there are none).
@csp_replace({"style-src": [SELF, UNSAFE_INLINE]})
@login_required
def report_plot(request, slug, name):
    from .report import PLOTS, report_context

    experiment = get_experiment_for(request.user, slug)
    if name not in PLOTS:
        raise Http404("No such plot.")
    svg = report_context(experiment, _model_for(request, experiment))["figures"].get(name)
    if svg is None:
        raise Http404("No analysis yet.")
    return _private(HttpResponse(svg, content_type="image/svg+xml"))


@login_required
def report_download(request, slug):
    """The report as one self-contained HTML file: inline CSS and SVG, no scripts, no external requests."""
    from .report import report_context

    experiment = get_experiment_for(request.user, slug)
    context = report_context(experiment, _model_for(request, experiment), inline=True)
    context["inline_css"] = Path(finders.find("workspace/report.css")).read_text()
    log_access(request, AccessLog.Action.EXPORT, experiment=experiment, detail="report.html")
    html = render_to_string("workspace/report_standalone.html", context, request=request)
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{experiment.slug}-report.html"'
    return _private(response)


@login_required
def export(request, slug, name):
    experiment = get_experiment_for(request.user, slug)
    try:
        export = export_file(experiment, name, model=_model_for(request, experiment),
                             external_ids=request.GET.get("external_ids") == "1")
    except UnknownExport:
        raise Http404("No such export.") from None
    log_access(request, AccessLog.Action.EXPORT, experiment=experiment, detail=name)
    return export.response()


def _job_for(request, slug, job_id):
    """A job of an experiment the user may see (through get_experiment_for), else 404."""
    from .jobs import file_of, get_job, save_job

    experiment = get_experiment_for(request.user, slug)
    job = get_job(job_id)
    if not job or job["experiment"] != experiment.slug:
        raise Http404("No such job.")
    if job["status"] == "done" and file_of(job) is None:  # withdrawn from, or past its day
        job = save_job(job_id, status="expired", file=None,
                       error=_("This file was deleted (a participant withdrew, or it was a day old). Start the "
                               "export again."))
    return experiment, job


@login_required
def export_job_start(request, slug, name):
    from .jobs import start_export_job

    experiment = get_experiment_for(request.user, slug)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if name not in EXPORT_NAMES:
        raise Http404("No such export.")
    job_id = start_export_job(experiment=experiment, name=name, user_id=request.user.pk)
    return redirect("workspace:export_job", slug=slug, job_id=job_id)


@login_required
def export_job(request, slug, job_id):
    experiment, job = _job_for(request, slug, job_id)
    return render(request, "workspace/export_job.html", {"experiment": experiment, "job": job, "job_id": job_id})


@login_required
def export_job_status(request, slug, job_id):
    _, job = _job_for(request, slug, job_id)
    return _private(JsonResponse({k: job[k] for k in ("name", "status", "done", "total", "error")}))


@login_required
def export_job_download(request, slug, job_id):
    experiment, job = _job_for(request, slug, job_id)
    if job["status"] != "done":
        raise Http404("Not ready.")
    log_access(request, AccessLog.Action.EXPORT, experiment=experiment, detail=f"{job['name']} (background job)")
    response = FileResponse(open(job["file"], "rb"), as_attachment=True,
                            filename=f"{experiment.slug}-{job['name']}")
    return _private(response)


@login_required
def photo_list(request, slug):
    experiment = get_experiment_for(request.user, slug)
    photos = (
        Photo.objects.present().filter(trial__participant__experiment=experiment)
        .select_related("trial")
        .prefetch_related(Prefetch("classifications", queryset=Classification.objects.select_related("model")))
        .order_by("trial__participant_id", "trial__index")
    )
    condition, status = request.GET.get("condition", ""), request.GET.get("status", "")
    if condition in conditions.CONDITIONS:
        photos = photos.filter(trial__condition=condition)
    if status in Classification.Status.values:
        photos = photos.filter(classifications__status=status).distinct()
    page = Paginator(photos, 48).get_page(request.GET.get("page"))
    return render(request, "workspace/photo_list.html", {
        "experiment": experiment, "page": page, "conditions": conditions.CONDITIONS,
        "statuses": Classification.Status.choices, "condition": condition, "status": status,
    })


@login_required
def photo(request, slug, photo_id):
    """The image itself, only to someone who may see the experiment; never cached, never a public URL.

    With PHOTO_X_ACCEL_PREFIX set (e.g. "/_protected_photos/", an nginx `internal` location aliased to
    PHOTO_ROOT), nginx sends the file after this check; otherwise Django streams it from the storage.
    """
    experiment, photo = get_photo_for(request.user, slug, photo_id)
    log_access(request, AccessLog.Action.PHOTO_VIEW, experiment=experiment, detail=f"photo {photo.pk}")
    prefix = getattr(settings, "PHOTO_X_ACCEL_PREFIX", "")
    if prefix:
        response = HttpResponse(content_type="image/jpeg")
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + photo.file.name.lstrip("/")
    else:
        response = FileResponse(photo.file.open("rb"), content_type="image/jpeg")
    response["Content-Disposition"] = f'inline; filename="photo-{photo.pk}.jpg"'
    response["X-Content-Type-Options"] = "nosniff"
    return _private(response)
