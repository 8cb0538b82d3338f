"""Migrations that move data keep it: collaborators become editors when roles arrive."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


@pytest.mark.django_db(transaction=True)
def test_existing_collaborators_are_kept_as_editors():
    executor = MigrationExecutor(connection)
    before, after = [("experiments", "0003_ratings")], [("experiments", "0004_collaborator_roles")]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    User = old.get_model("auth", "User")
    owner = User.objects.create(username="owner")
    helper = User.objects.create(username="helper")
    experiment = old.get_model("experiments", "Experiment").objects.create(
        slug="old-study", title="Old", owner=owner, consent_text="x")
    experiment.collaborators.add(helper)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    new = executor.loader.project_state(after).apps
    roles = list(new.get_model("experiments", "Collaboration").objects.values_list("user__username", "role"))

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())  # back to the latest for the tests that follow
    assert roles == [("helper", "editor")]
