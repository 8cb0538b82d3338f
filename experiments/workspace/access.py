"""THE access check for researchers. Every workspace view, the photo view, every export and the API
look an experiment up through `get_experiment_for`; anything else (someone else's, a typo, anonymous)
is a 404, so nobody can even learn that a foreign experiment exists. A collaborator who may see the
experiment but not do what they asked (a viewer editing, an editor closing) gets a 403.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from experiments.models import Experiment, Photo, Role


def get_experiment_for(user, slug: str, role: str = Role.VIEWER) -> Experiment:
    """The experiment `slug` if `user` holds `role` on it (owner, collaborator, superuser); else
    Http404 if they may not see it at all, PermissionDenied if they may see it only."""
    visible = Experiment.objects.for_researcher(user)
    try:
        experiment = visible.get(slug=slug)
    except Experiment.DoesNotExist:
        raise Http404("No such experiment.") from None
    if role != Role.VIEWER and not visible.for_researcher(user, role).filter(pk=experiment.pk).exists():
        raise PermissionDenied(f"Needs the {role} role.")
    return experiment


def role_of(user, experiment: Experiment) -> str | None:
    """The highest role `user` holds on `experiment` (superusers are owners of everything)."""
    for role in (Role.OWNER, Role.EDITOR, Role.VIEWER):
        if Experiment.objects.for_researcher(user, role).filter(pk=experiment.pk).exists():
            return role
    return None


def get_photo_for(user, slug: str, photo_id: int) -> tuple[Experiment, Photo]:
    """A photo of an experiment `user` may see (through get_experiment_for), if its file still exists."""
    experiment = get_experiment_for(user, slug)
    try:
        photo = Photo.objects.present().exclude(file="").select_related("trial").get(
            pk=photo_id, trial__participant__experiment=experiment)
    except Photo.DoesNotExist:
        raise Http404("No such photo.") from None
    return experiment, photo
