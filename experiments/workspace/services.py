"""What a researcher's actions change: launching and closing a study, from the workspace and admin alike.

Both check the acting user's role through the access function's queryset and re-check every related
object the study points at, so neither a form posted around the workspace nor an admin action can
launch a study with photos its researcher may not see.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from experiments.models import Experiment, Role


class ActionRefused(Exception):
    """The user may not do this to this experiment now; `message` says why, for the page."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def holds(user, experiment: Experiment, role: str) -> bool:
    return Experiment.objects.for_researcher(user, role).filter(pk=experiment.pk).exists()


def foreign_sources(*, user, experiment: Experiment) -> list[str]:
    """Slugs of the experiment's source studies that `user` may not see, or that are not launched photo studies."""
    allowed = Experiment.objects.for_researcher(user).filter(kind=Experiment.Kind.PHOTO).exclude(
        status=Experiment.Status.DRAFT)
    return sorted(experiment.source_experiments.exclude(pk__in=allowed.values("pk")).values_list("slug", flat=True))


@transaction.atomic
def launch_experiment(*, user, experiment: Experiment) -> Experiment:
    """Freeze the configuration (SHA-256, timestamps) and admit participants.

    Editors launch drafts; reopening a closed study is the owner's. A rating study's sources must be
    launched photo studies the acting user may see, checked now, not only when the form was filled in.
    """
    experiment = Experiment.objects.select_for_update().get(pk=experiment.pk)
    if experiment.status == Experiment.Status.LIVE:
        return experiment
    needed = Role.EDITOR if experiment.status == Experiment.Status.DRAFT else Role.OWNER
    if not holds(user, experiment, needed):
        raise ActionRefused(_("Only the owner can reopen a closed study.") if needed == Role.OWNER
                            else _("Viewers cannot launch a study."))
    if experiment.kind == Experiment.Kind.RATING:
        if refused := foreign_sources(user=user, experiment=experiment):
            raise ActionRefused(_("You cannot launch with photos from studies you cannot open or that are not "
                                  "launched photo studies: %(slugs)s.") % {"slugs": ", ".join(refused)})
        if not experiment.source_experiments.exists():
            raise ActionRefused(_("A rating study needs at least one photo study to rate."))
    experiment.launch()
    return experiment


@transaction.atomic
def close_experiment(*, user, experiment: Experiment) -> Experiment:
    """Stop admitting participants; the owner's decision."""
    experiment = Experiment.objects.select_for_update().get(pk=experiment.pk)
    if not holds(user, experiment, Role.OWNER):
        raise ActionRefused(_("Only the owner can close a study."))
    if experiment.status == Experiment.Status.LIVE:
        experiment.close()
    return experiment
