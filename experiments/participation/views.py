"""Participant pages. Each view: the step check (decorator) → form → one service call → redirect.

Pages are never cached, so back and reload ask the server again and land on the current step. The
Content-Security-Policy comes from settings; nothing here is inline, so the strict policy holds.

Who is who: the public code in /p/<code>/ is the participant's credential. Opening any page under it
(the personal link first of all, shown on every page to bookmark) binds it to the browser's session;
only a session that holds the participant may POST answers, a photo or `stop`. A panel id
(PROLIFIC_PID, pid) is only an identifier: it resumes the participant its session already holds, and
anywhere else starts a new participant exactly as an unknown id would (`services.enroll`).
"""

from functools import wraps

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from ..models import Classification, Experiment, Participant, RatingItem
from ..photos import PhotoRejected
from ..ratings import abandoned, photo_access
from ..ratings import services as rating_services
from . import services, steps
from .forms import (
    CaptureForm,
    ConsentForm,
    FeltForm,
    PoseCheckForm,
    RatingConsentForm,
    RatingForm,
    WithdrawForm,
    label_name,
)
from .steps import Position

# Recruitment panels: (source, participant id, study id, session id) query parameters.
PANELS = (
    (Participant.Source.PROLIFIC, "PROLIFIC_PID", "STUDY_ID", "SESSION_ID"),
    (Participant.Source.GENERIC, "pid", "study_id", "session_id"),
)


def wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def session_key(experiment: Experiment) -> str:
    return f"study:{experiment.slug}"


def remember(request: HttpRequest, participant: Participant) -> None:
    """The Django session remembers the participant per study, so the entry link resumes."""
    request.session[session_key(participant.experiment)] = participant.public_code


def holds(request: HttpRequest, participant: Participant) -> bool:
    return request.session.get(session_key(participant.experiment)) == participant.public_code


def not_holding(request: HttpRequest, participant: Participant) -> HttpResponse:
    """A POST for a participant this browser never opened: nothing changes."""
    message = _("This browser has not opened this study's personal link. Open your personal link to continue.")
    if wants_json(request):
        return JsonResponse({"ok": False, "error": message, "next": steps.url_for(participant)}, status=403)
    return render(request, "study/not_holding.html", {"message": message, "link": steps.url_for(participant)},
                  status=403)


def elsewhere(request: HttpRequest, participant: Participant, asked: Position) -> HttpResponse:
    """The answer to a request for a step the participant is not on: go to the one they are on."""
    url = steps.url_for(participant)
    if wants_json(request):
        if steps.is_behind(participant, asked):  # a retry of something already stored
            return JsonResponse({"ok": True, "next": url})
        return JsonResponse({"ok": False, "next": url, "error": _("This page was out of date.")}, status=409)
    return redirect(url)


def study_step(step_name: str):
    """Resolve the participant from the URL and let the request through only on their current step."""

    def decorator(view):
        @wraps(view)
        @never_cache
        def wrapper(request, code: str, number: int | None = None):
            participant = get_object_or_404(Participant.objects.select_related("experiment"), public_code=code)
            if request.method == "POST" and not holds(request, participant):
                return not_holding(request, participant)
            remember(request, participant)
            asked = Position(step_name, None if number is None else number - 1)
            if steps.current_position(participant) != asked:
                return elsewhere(request, participant, asked)
            try:
                if abandoned.is_released(participant, asked):  # away too long: their photos went to others
                    arrived = abandoned.continue_after_release(participant=participant,
                                                               own_codes=codes_in_session(request))
                    return redirect(steps.url_for(participant, arrived))
                trial = steps.items_of(participant).get(index=asked.index) if asked.index is not None else None
                return view(request, participant, trial)
            except services.OutOfStep as exc:  # another request moved the pointer meanwhile
                return elsewhere(request, exc.participant, asked)

        return require_http_methods(["GET", "POST"])(wrapper)

    return decorator


def page(request, template: str, participant: Participant, trial=None, status: int = 200, **context):
    experiment = participant.experiment
    context.update(
        personal_link=request.build_absolute_uri(reverse("study_resume", args=[participant.public_code])),
        participant=participant,
        experiment=experiment,
        config=experiment.effective_config(),
        trial=trial,
        trial_count=len(participant.condition_order),
        target_name=label_name(trial.target) if trial and trial.target else "",
        felt_name=label_name(trial.felt) if trial and trial.felt else "",
    )
    return render(request, template, context, status=status)


def recruitment(query) -> dict:
    for source, id_param, study_param, session_param in PANELS:
        external_id = query.get(id_param, "").strip()[:128]
        if external_id:
            return {
                "source": source,
                "external_id": external_id,
                "external_study_id": query.get(study_param, "").strip()[:128],
                "external_session_id": query.get(session_param, "").strip()[:128],
            }
    return {}


def not_open(request, experiment: Experiment | None) -> HttpResponse:
    """A study that takes no one. A draft, or no such study, look alike (404) to all but its researchers."""
    if experiment is not None and experiment.status == Experiment.Status.DRAFT:
        if not Experiment.objects.for_researcher(request.user).filter(pk=experiment.pk).exists():
            experiment = None
    status = 404 if experiment is None or experiment.status == Experiment.Status.DRAFT else 200
    return render(request, "study/not_open.html", {"experiment": experiment}, status=status)


def same_panel_id(participant: Participant, panel: dict) -> bool:
    return not panel or panel["external_id"] in (participant.external_id, participant.repeated_external_id)


@never_cache
@require_http_methods(["GET"])
def entry(request, slug: str):
    """The study link: resume the participant this browser holds, or admit a new one to a live study."""
    experiment = Experiment.objects.filter(slug=slug).first()
    if experiment is None:
        return not_open(request, None)
    panel = recruitment(request.GET)
    code = request.session.get(session_key(experiment))
    participant = experiment.participants.filter(public_code=code).first() if code else None
    if participant is None or not same_panel_id(participant, panel):
        try:
            participant = services.enroll(experiment=experiment, **panel)
        except services.NotAdmitting:
            return not_open(request, experiment)
    remember(request, participant)
    return redirect(steps.url_for(participant))


@never_cache
@require_http_methods(["GET"])
def resume(request, code: str):
    """The participant's own link: lands on whatever step they are on."""
    participant = get_object_or_404(Participant.objects.select_related("experiment"), public_code=code)
    remember(request, participant)
    return redirect(steps.url_for(participant))


def codes_in_session(request: HttpRequest) -> list[str]:
    """Public codes of every study this browser took part in (see `remember`)."""
    return [code for key, code in request.session.items() if key.startswith("study:")]


@study_step(steps.CONSENT)
def consent(request, participant, trial):
    rater = steps.is_rater(participant)
    form = (RatingConsentForm if rater else ConsentForm)(request.POST or None)
    if request.method == "POST":
        if "decline" in request.POST:
            services.decline(participant=participant)
            return redirect(steps.url_for(participant, Position(steps.DECLINED)))
        if form.is_valid():
            participant = services.consent(
                participant=participant,
                photos_for_rating=form.cleaned_data.get("photos_for_rating", False),
                photos_for_publication=form.cleaned_data.get("photos_for_publication", False),
                own_codes=codes_in_session(request),
            )
            return redirect(steps.url_for(participant))
    return page(request, "study/rating/consent.html" if rater else "study/consent.html", participant, form=form)


@study_step(steps.DECLINED)
def declined(request, participant, trial):
    return page(request, "study/declined.html", participant)


@study_step(steps.CAMERA)
def camera(request, participant, trial):
    if request.method == "POST":
        arrived = services.pass_step(participant=participant, position=Position(steps.CAMERA))
        return redirect(steps.url_for(participant, arrived))
    return page(request, "study/camera.html", participant)


@study_step(steps.FELT)
def felt(request, participant, trial):
    form = FeltForm(request.POST or None, labels=participant.experiment.effective_config()["labels"])
    if request.method == "POST" and form.is_valid():
        services.record_felt(participant=participant, index=trial.index, **form.cleaned_data)
        return redirect(steps.url_for(participant, Position(steps.INSTRUCTION, trial.index)))
    return page(request, "study/felt.html", participant, trial, status=400 if form.errors else 200, form=form)


@study_step(steps.INSTRUCTION)
def instruction(request, participant, trial):
    if request.method == "POST":
        arrived = services.pass_step(participant=participant, position=Position(steps.INSTRUCTION, trial.index))
        return redirect(steps.url_for(participant, arrived))
    return page(request, "study/instruction.html", participant, trial)


@study_step(steps.CAPTURE)
def capture(request, participant, trial):
    """One endpoint for the webcam snapshot (fetch, JSON answer) and the file fallback (form post)."""
    # Bound on every POST, even one with no form fields at all (a raw or JSON body), so it reports "no photo".
    form = CaptureForm(request.POST if request.method == "POST" else None, request.FILES or None)
    error = ""
    if request.method == "POST":
        if form.is_valid():
            try:
                services.submit_photo(
                    participant=participant,
                    index=trial.index,
                    data=form.cleaned_data["photo"].read(),
                    source=form.cleaned_data["source"] or "upload",
                    client_timings=form.client_timings(),
                )
            except PhotoRejected as rejected:
                error = _(rejected.message)
            else:
                participant.refresh_from_db()
                url = steps.url_for(participant)
                return JsonResponse({"ok": True, "next": url}) if wants_json(request) else redirect(url)
        else:
            error = next(iter(form.errors.values()))[0]
        if wants_json(request):
            return JsonResponse({"ok": False, "error": error}, status=400)
    return page(request, "study/capture.html", participant, trial, status=400 if error else 200, error=error)


@study_step(steps.POSE_CHECK)
def pose_check(request, participant, trial):
    form = PoseCheckForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        rating = None if "skip" in request.POST else form.cleaned_data["pose_rating"]
        services.record_pose_check(participant=participant, index=trial.index, rating=rating)
        participant.refresh_from_db()
        return redirect(steps.url_for(participant))
    return page(request, "study/pose_check.html", participant, trial, form=form)


@study_step(steps.FEEDBACK)
def feedback(request, participant, trial):
    """Only when the experiment shows feedback: what the model read in the face."""
    if request.method == "POST":
        arrived = services.pass_step(participant=participant, position=Position(steps.FEEDBACK, trial.index))
        return redirect(steps.url_for(participant, arrived))
    reading = Classification.objects.filter(photo__trial=trial).order_by("-model__is_default", "model__name").first()
    return page(
        request,
        "study/feedback.html",
        participant,
        trial,
        reading=reading,
        reading_name=label_name(reading.top_label) if reading and reading.top_label else "",
    )


@study_step(steps.RATE)
def rate(request, participant, item):
    """One rating item: a photo to label, or an attention check."""
    if not rating_services.photo_is_available(item):  # withdrawn or deleted since it was assigned
        arrived = rating_services.skip_unavailable(participant=participant, index=item.index)
        return redirect(steps.url_for(participant, arrived))
    config = participant.experiment.effective_config()
    check = item.kind == RatingItem.Kind.INSTRUCTION_CHECK
    form = RatingForm(request.POST or None, labels=config["labels"], ask_felt_guess=config["ask_felt_guess"],
                      check=check)
    if request.method == "POST" and form.is_valid():
        rating_services.record_answer(participant=participant, index=item.index, **form.answer())
        participant.refresh_from_db()
        return redirect(steps.url_for(participant))
    return page(
        request,
        "study/rating/rate.html",
        participant,
        status=400 if form.errors else 200,
        form=form,
        item=item,
        expected_name=label_name(item.expected_label) if check else "",
        photo_url="" if check else photo_access.photo_url(participant.public_code, item.photo_id),
    )


@study_step(steps.DEBRIEF)
def debrief(request, participant, trial):
    if request.method == "POST":
        # The panel's completion URL is opened from the done page (CSP form-action is 'self').
        services.complete(participant=participant)
        participant.refresh_from_db()
        return redirect(steps.url_for(participant))
    return page(request, "study/debrief.html", participant)


@study_step(steps.DONE)
def done(request, participant, trial):
    return page(request, "study/done.html", participant)


@study_step(steps.WITHDRAWN)
def withdrawn(request, participant, trial):
    return page(request, "study/withdrawn.html", participant)


@never_cache
@require_http_methods(["GET", "POST"])
def stop(request, code: str):
    """Stop during the study and delete everything given so far (the code link proves who it is)."""
    participant = get_object_or_404(Participant.objects.select_related("experiment"), public_code=code)
    if participant.status in (Participant.Status.WITHDRAWN, Participant.Status.DECLINED):
        return redirect(steps.url_for(participant))
    if request.method == "POST" and not holds(request, participant):
        return not_holding(request, participant)
    remember(request, participant)
    if request.method == "POST":
        services.withdraw(participant=participant)
        return redirect(steps.url_for(participant, Position(steps.WITHDRAWN)))
    return page(request, "study/stop.html", participant, back_url=steps.url_for(participant))


@never_cache
@require_http_methods(["GET", "POST"])
def withdraw(request):
    """Withdrawal at any later time with the code shown at the end of the study."""
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.withdraw_by_code(withdrawal_code=form.cleaned_data["withdrawal_code"]):
            return render(request, "study/withdraw_done.html")
        form.add_error("withdrawal_code", _("We could not find this code. Please check it and try again."))
    return render(request, "study/withdraw.html", {"form": form}, status=400 if form.errors else 200)
