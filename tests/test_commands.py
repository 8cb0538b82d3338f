"""Terminal users get an error they can act on, not a traceback."""

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("command", ["analyze", "export"])
def test_an_unknown_experiment_or_model_is_named_in_the_error(command, experiment):
    with pytest.raises(CommandError, match="No experiment with slug 'nope'"):
        call_command(command, "nope")
    with pytest.raises(CommandError, match="'ghost' is not a model of this experiment"):
        call_command(command, experiment.slug, "--model", "ghost")
