"""Collaborators get a role: the plain many-to-many becomes a through model, and everyone already
collaborating keeps what they could do before (edit and launch) as an editor."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def copy_collaborators(apps, schema_editor):
    Experiment = apps.get_model("experiments", "Experiment")
    Collaboration = apps.get_model("experiments", "Collaboration")
    Through = Experiment.collaborators.through
    Collaboration.objects.bulk_create(
        Collaboration(experiment_id=row.experiment_id, user_id=row.user_id, role="editor")
        for row in Through.objects.all()
    )


def copy_back(apps, schema_editor):
    Experiment = apps.get_model("experiments", "Experiment")
    Collaboration = apps.get_model("experiments", "Collaboration")
    Through = Experiment.collaborators.through
    Through.objects.bulk_create(
        Through(experiment_id=row.experiment_id, user_id=row.user_id) for row in Collaboration.objects.all()
    )


class Migration(migrations.Migration):
    dependencies = [
        ("experiments", "0003_ratings"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Collaboration",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("role", models.CharField(
                    choices=[("viewer", "Viewer: read, report and export"),
                             ("editor", "Editor: also edit and launch drafts")],
                    default="editor", max_length=10)),
                ("experiment", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                                 related_name="collaborations", to="experiments.experiment")),
                ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                           related_name="collaborations", to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "ordering": ["experiment", "user"],
                "constraints": [models.UniqueConstraint(fields=("experiment", "user"),
                                                        name="one_role_per_researcher_and_experiment")],
            },
        ),
        migrations.RunPython(copy_collaborators, copy_back),
        migrations.RemoveField(model_name="experiment", name="collaborators"),
        migrations.AddField(
            model_name="experiment",
            name="collaborators",
            field=models.ManyToManyField(blank=True, related_name="shared_experiments",
                                         through="experiments.Collaboration", to=settings.AUTH_USER_MODEL),
        ),
    ]
