"""Finding what a management command was asked about, with the errors a terminal user can act on."""

from django.core.management.base import CommandError

from experiments.models import ClassifierModel, Experiment


def experiment_and_model(slug: str, model_name: str | None) -> tuple[Experiment, ClassifierModel | None]:
    """The experiment by slug and, if named, one of its models (None: the experiment's default)."""
    try:
        experiment = Experiment.objects.get(slug=slug)
    except Experiment.DoesNotExist:
        raise CommandError(f"No experiment with slug {slug!r}.") from None
    if not model_name:
        return experiment, None
    model = experiment.frozen_models().filter(name=model_name).first()
    if model is None:
        raise CommandError(f"{model_name!r} is not a model of this experiment.")
    return experiment, model
