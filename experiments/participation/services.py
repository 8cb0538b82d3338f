"""Everything a participant's answers change: each function is atomic and moves the step pointer once.

Every function that answers a step first locks the participant row and checks that the pointer is on
that step (`OutOfStep` otherwise), so a double click, a retried request or a stale tab changes nothing
twice: idempotency is the pointer in the database, not a flag in the browser.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterator
from contextlib import contextmanager

from django.db import IntegrityError, transaction
from django.utils import timezone

import fer_conditions as conditions

from .. import photos
from ..models import Experiment, Participant, Photo, Trial
from ..ratings import assignment
from . import steps
from .steps import Position


class NotAdmitting(Exception):
    """The experiment is not live (draft or closed), or a rating study with no photo left to rate."""


class OutOfStep(Exception):
    """The participant is not on the step this request answers; send them to `participant`'s step."""

    def __init__(self, participant: Participant):
        super().__init__(f"{participant} is on {steps.current_position(participant)}")
        self.participant = participant


def time_key(position: Position) -> str:
    return position.step if position.index is None else f"trial{position.number}.{position.step}"


def enroll(
    *,
    experiment: Experiment,
    source: str = Participant.Source.DIRECT,
    external_id: str = "",
    external_study_id: str = "",
    external_session_id: str = "",
) -> Participant:
    """A new participant at the consent step.

    A panel id never resumes anyone here (the caller resumes the participant its browser session
    holds): one that already started this study makes a new participant that records the id as
    repeated, exactly as a first arrival would look, so that ids cannot be tried to learn who took part.
    """
    if experiment.status != Experiment.Status.LIVE:
        raise NotAdmitting(experiment.slug)
    if experiment.kind == Experiment.Kind.RATING and not assignment.has_photos_to_rate(experiment):
        raise NotAdmitting(experiment.slug)
    fields = {"experiment": experiment, "source": source, "external_study_id": external_study_id,
              "external_session_id": external_session_id, "step": steps.CONSENT,
              "step_times": {steps.CONSENT: timezone.now().isoformat()}}
    if external_id and not experiment.participants.filter(external_id=external_id).exists():
        try:
            with transaction.atomic():
                return Participant.objects.create(external_id=external_id, **fields)
        except IntegrityError:
            pass  # the same panel id arrived twice at once and the other one got it
    return Participant.objects.create(repeated_external_id=external_id, **fields)


@contextmanager
def at_position(participant: Participant, position: Position) -> Iterator[Participant]:
    """A locked, fresh copy of the participant, inside a transaction, if it is on `position`."""
    with transaction.atomic():
        locked = Participant.objects.select_for_update(of=("self",)).select_related("experiment").get(pk=participant.pk)
        if steps.current_position(locked) != position:
            raise OutOfStep(locked)
        yield locked


def advance(participant: Participant, *, leaving: Position, trials: list[steps.Item] | None = None) -> Position:
    """Move the pointer to the position after `leaving`, stamping server times on the way.

    `trials` are the per-trial items: a photo participant's trials or a rater's rating items.
    """
    trials = list(steps.items_of(participant)) if trials is None else trials
    arriving = steps.next_position(participant, leaving, trials)
    now = timezone.now()
    by_index = {trial.index: trial for trial in trials}
    if leaving.index is not None and arriving.index != leaving.index:
        item = by_index[leaving.index]
        type(item).objects.filter(pk=item.pk).update(completed_at=now)
    if arriving.index is not None and arriving.index != leaving.index:  # the first step of a trial
        item = by_index[arriving.index]
        type(item).objects.filter(pk=item.pk, started_at__isnull=True).update(started_at=now)
        if participant.status == Participant.Status.CONSENTED:
            participant.status = Participant.Status.IN_PROGRESS
    participant.step = arriving.step
    if arriving.index is not None:
        participant.trial_pointer = arriving.index
    participant.step_times = {**participant.step_times, time_key(arriving): now.isoformat()}
    participant.save(update_fields=["step", "trial_pointer", "step_times", "status"])
    return arriving


def consent(
    *,
    participant: Participant,
    photos_for_rating: bool = False,
    photos_for_publication: bool = False,
    own_codes: Collection[str] = (),
) -> Participant:
    """Record consent to the current version and assign the counterbalanced trials.

    Slots are taken here rather than at entry, so people who decline leave no gap in the balance.
    A rater is given their rating items instead; `own_codes` are the public codes of photo
    participants in the rater's browser session, whose photos the rater must not see.
    """
    with at_position(participant, Position(steps.CONSENT)) as p:
        config = p.experiment.effective_config()
        slot = p.experiment.take_slot()  # also locks the experiment row: raters are assigned one at a time
        seed = secrets.randbits(48)
        if steps.is_rater(p):
            items = assignment.assign_items(rater=p, seed=seed, own_codes=own_codes)
            p.slot, p.order_seed, p.condition_order = slot, seed, [item.kind for item in items]
            p.status = Participant.Status.CONSENTED
            p.consent_version = config["consent_version"]
            p.consented_at = timezone.now()
            p.save()
            advance(p, leaving=Position(steps.CONSENT), trials=items)
            return p
        order = conditions.condition_sequence(config["trial_plan"], slot=slot)
        targets = iter(
            conditions.assigned_targets(order.count(conditions.ASSIGNED), labels=config["labels"], seed=seed)
        )
        trials = []
        for index, condition in enumerate(order):
            assigned = next(targets) if condition == conditions.ASSIGNED else ""
            trials.append(
                Trial(participant=p, index=index, condition=condition, assigned_expression=assigned, target=assigned)
            )
        trials = Trial.objects.bulk_create(trials)
        p.slot, p.order_seed, p.condition_order = slot, seed, order
        p.status = Participant.Status.CONSENTED
        p.consent_version = config["consent_version"]
        p.consented_at = timezone.now()
        p.photos_for_research = True
        p.photos_for_rating = photos_for_rating
        p.photos_for_publication = photos_for_publication
        p.save()
        advance(p, leaving=Position(steps.CONSENT), trials=trials)
        return p


def decline(*, participant: Participant) -> Participant:
    """Keep only the refusal: which consent version was declined, and when."""
    with at_position(participant, Position(steps.CONSENT)) as p:
        now = timezone.now()
        p.status = Participant.Status.DECLINED
        p.step = steps.DECLINED
        p.consent_version = p.experiment.effective_config()["consent_version"]
        p.external_id = p.external_study_id = p.external_session_id = p.repeated_external_id = ""
        p.step_times = {steps.DECLINED: now.isoformat()}
        p.save()
        return p


def pass_step(*, participant: Participant, position: Position) -> Position:
    """Leave a step that asks nothing (camera check, instruction, feedback)."""
    with at_position(participant, position) as p:
        return advance(p, leaving=position)


def record_felt(
    *, participant: Participant, index: int, felt: str, intensity: int, valence: int, arousal: int
) -> Trial:
    """The felt report; fixes the trial's target where it depends on the feeling (express, opposite)."""
    position = Position(steps.FELT, index)
    with at_position(participant, position) as p:
        trial = p.trials.get(index=index)
        trial.felt = felt
        trial.intensity, trial.valence, trial.arousal = intensity, valence, arousal
        trial.target = conditions.target_expression(
            trial.condition,
            felt=felt,
            opposite_map=p.experiment.effective_config()["opposite_map"],
            assigned=trial.assigned_expression,
        )
        trial.felt_reported_at = timezone.now()
        trial.save(update_fields=["felt", "intensity", "valence", "arousal", "target", "felt_reported_at"])
        advance(p, leaving=position)
        return trial


def submit_photo(*, participant: Participant, index: int, data: bytes, source: str, client_timings: dict) -> Photo:
    """Store the trial's photo (queued for classification on commit) and move on.

    Raises `experiments.photos.PhotoRejected` for a bad image, `PhotoStorageFull` when the disk is full;
    nothing changes and they can retry. The file, its row and the step move commit together or not at all.
    """
    position = Position(steps.CAPTURE, index)
    prepared = photos.prepare_photo(data)
    with photos.stored_with_its_row(prepared) as name, at_position(participant, position) as p:
        trial = p.trials.get(index=index)
        trial.client_timings = {**client_timings, "server_received": timezone.now().isoformat()}
        trial.save(update_fields=["client_timings"])
        photo = photos.create_photo(trial=trial, prepared=prepared, name=name, source=source)
        advance(p, leaving=position)
        return photo


def record_pose_check(*, participant: Participant, index: int, rating: int | None) -> None:
    """The optional "how well did you show it" rating; None when they skip it."""
    position = Position(steps.POSE_CHECK, index)
    with at_position(participant, position) as p:
        p.trials.filter(index=index).update(pose_rating=rating)
        advance(p, leaving=position)


def photo_is_stored(photo: Photo) -> bool:
    """The file is in storage, or it was there and the photo policy has since removed it."""
    if photo.deleted_at is not None:
        return True
    return bool(photo.file) and photo.file.storage.exists(photo.file.name)


def first_missing(participant: Participant) -> Position | None:
    """The first trial step whose answer or photo is not stored, if any."""
    for trial in participant.trials.order_by("index").select_related("photo"):
        if trial.felt_reported_at is None:
            return Position(steps.FELT, trial.index)
        photo = getattr(trial, "photo", None)
        if photo is None or not photo_is_stored(photo):
            return Position(steps.CAPTURE, trial.index)
    return None


def complete(*, participant: Participant) -> bool:
    """Mark the participant completed, only if every trial's answers and photo are stored.

    Otherwise the pointer goes back to what is missing (a broken photo row is dropped so it can be
    retaken) and the result is False.
    """
    with at_position(participant, Position(steps.DEBRIEF)) as p:
        missing = first_missing(p)
        now = timezone.now()
        if missing is not None:
            if missing.step == steps.CAPTURE:
                Photo.objects.filter(trial__participant=p, trial__index=missing.index).delete()
            p.step, p.trial_pointer = missing.step, missing.index
            p.step_times = {**p.step_times, f"{time_key(missing)}.again": now.isoformat()}
            p.save(update_fields=["step", "trial_pointer", "step_times"])
            return False
        p.status = Participant.Status.COMPLETED
        p.completed_at = now
        p.step = steps.DONE
        p.step_times = {**p.step_times, steps.DONE: now.isoformat()}
        p.save(update_fields=["status", "completed_at", "step", "step_times"])
        return True


def withdraw(*, participant: Participant) -> Participant:
    """Delete everything the participant gave (photo files first) and keep a stub that says so; built
    export files that may hold them go once this commits (`invalidate_exports`)."""
    from ..workspace.jobs import invalidate_exports

    with transaction.atomic():
        p = Participant.objects.select_for_update().get(pk=participant.pk)
        transaction.on_commit(lambda: invalidate_exports([p.experiment_id]))
        for photo in Photo.objects.filter(trial__participant=p):
            photo.delete_file()
        # Cascades to photo rows, their classifications and any ratings of them.
        p.trials.all().delete()
        assignment.release_items(rater=p)  # a rater's photos go back to the pool, their ratings go
        p.ratings.all().delete()
        p.status = Participant.Status.WITHDRAWN
        p.step = steps.WITHDRAWN
        p.withdrawn_at = timezone.now()
        p.external_id = p.external_study_id = p.external_session_id = p.repeated_external_id = ""
        p.consent_version = p.consented_at = None
        p.photos_for_research = p.photos_for_rating = p.photos_for_publication = False
        p.slot = p.order_seed = p.completed_at = None
        p.condition_order, p.step_times, p.trial_pointer = [], {}, 0
        p.save()
        return p


def withdraw_by_code(*, withdrawal_code: str) -> Participant | None:
    """Withdraw the participant holding this code; None when no one does."""
    participant = Participant.objects.filter(withdrawal_code=withdrawal_code).first()
    if participant is None:
        return None
    return withdraw(participant=participant)
