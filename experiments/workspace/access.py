"""THE access check for researchers. Every workspace view, the photo view, every export and the API
look an experiment up through `get_experiment_for`; anything else (someone else's, a typo, anonymous)
is a 404, so nobody can even learn that a foreign experiment exists.
"""

from django.http import Http404

from experiments.models import Experiment, Photo


def get_experiment_for(user, slug: str) -> Experiment:
    """The experiment `slug` if `user` owns it, collaborates on it or is a superuser; else Http404."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        raise Http404("No such experiment.")
    try:
        return Experiment.objects.for_researcher(user).get(slug=slug)
    except Experiment.DoesNotExist:
        raise Http404("No such experiment.") from None


def get_photo_for(user, slug: str, photo_id: int) -> tuple[Experiment, Photo]:
    """A photo of an experiment `user` may see (through get_experiment_for), if its file still exists."""
    experiment = get_experiment_for(user, slug)
    try:
        photo = Photo.objects.present().exclude(file="").select_related("trial").get(
            pk=photo_id, trial__participant__experiment=experiment)
    except Photo.DoesNotExist:
        raise Http404("No such photo.") from None
    return experiment, photo
