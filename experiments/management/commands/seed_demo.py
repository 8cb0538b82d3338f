"""Creates an admin, a researcher and a live demo experiment. Safe to run again: nothing is duplicated,
no password is reset and a study someone closed stays closed."""

import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse

import fer_conditions as conditions
from experiments.classifiers import register_default_model
from experiments.models import Experiment
from experiments.workspace.services import launch_experiment

DEMO_SLUG = "demo"
CONSENT = """This is a demonstration of a study about faces and feelings.

You will say how you feel, then make a facial expression while your webcam takes a photo. A computer
model will label each photo. Your photos are stored privately, are never shown publicly and are
deleted if you withdraw. You can stop at any time."""
DEBRIEF = """Thank you. Commercial "emotion recognition" assumes that the label a model puts on a face is
the person's emotion. Some of your trials asked you to show a different expression from the one you
felt, so we can test whether the model follows your face or your feeling."""


DEFAULT_PASSWORDS = {"admin": "admin-demo-pass", "researcher": "researcher-demo-pass"}
PASSWORD_VARIABLES = {"admin": "DEMO_ADMIN_PASSWORD", "researcher": "DEMO_RESEARCHER_PASSWORD"}


class Command(BaseCommand):
    help = "Create the demo admin, researcher and live demo experiment once; existing ones are left as they are."

    @transaction.atomic
    def handle(self, *args, **options):
        admin, admin_login = self.user("admin", is_staff=True, is_superuser=True)
        researcher, researcher_login = self.user("researcher", is_staff=False, is_superuser=False)
        model = register_default_model()
        experiment, created = Experiment.objects.get_or_create(
            slug=DEMO_SLUG,
            defaults={
                "title": "Faces and feelings (demo)",
                "owner": researcher,
                "consent_text": CONSENT,
                "debrief_text": DEBRIEF,
                "completion_code": "DEMO-DONE",
                "trial_plan": {condition: 1 for condition in conditions.CONDITIONS},
            },
        )
        if created:
            experiment.classifier_models.add(model)
        if experiment.status == Experiment.Status.DRAFT:  # never reopens a study someone closed
            experiment = launch_experiment(user=experiment.owner, experiment=experiment)

        site = settings.SITE_URL
        self.stdout.write(self.style.SUCCESS("Demo ready."))
        entry = reverse("study_entry", args=[experiment.slug])
        self.stdout.write(f"  Take part:   {site}{entry}  ({experiment.status})")
        self.stdout.write(f"  Admin:       {site}{reverse('admin:index')}  ({admin_login})")
        self.stdout.write(f"  Researcher:  {site}/workspace/  ({researcher_login})")

    def user(self, username, **flags):
        """The account, created with the password from the environment (or, with DEBUG on, the demo
        default) if it does not exist; an existing account keeps its password and flags."""
        existing = get_user_model().objects.filter(username=username).first()
        if existing:
            return existing, f"{username}, password unchanged"
        password = os.environ.get(PASSWORD_VARIABLES[username])
        if not password and not settings.DEBUG:
            raise CommandError(f"With DEBUG off the demo accounts need passwords: set {PASSWORD_VARIABLES[username]} "
                               f"(and {' and '.join(v for k, v in PASSWORD_VARIABLES.items() if k != username)}).")
        password = password or DEFAULT_PASSWORDS[username]
        user = get_user_model().objects.create_user(username, password=password, **flags)
        return user, f"{username} / {password}"
