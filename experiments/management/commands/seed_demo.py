"""Creates an admin, a researcher and a live demo experiment. Safe to run again: nothing is duplicated."""

import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.urls import reverse

import fer_conditions as conditions
from experiments.classifiers import register_default_model
from experiments.models import Experiment

DEMO_SLUG = "demo"
CONSENT = """This is a demonstration of a study about faces and feelings.

You will say how you feel, then make a facial expression while your webcam takes a photo. A computer
model will label each photo. Your photos are stored privately, are never shown publicly and are
deleted if you withdraw. You can stop at any time."""
DEBRIEF = """Thank you. Commercial "emotion recognition" assumes that the label a model puts on a face is
the person's emotion. Some of your trials asked you to show a different expression from the one you
felt, so we can test whether the model follows your face or your feeling."""


class Command(BaseCommand):
    help = "Create (or refresh) the demo admin, researcher and live demo experiment."

    @transaction.atomic
    def handle(self, *args, **options):
        admin_password = os.environ.get("DEMO_ADMIN_PASSWORD") or "admin-demo-pass"
        researcher_password = os.environ.get("DEMO_RESEARCHER_PASSWORD") or "researcher-demo-pass"
        admin = self.user("admin", admin_password, is_staff=True, is_superuser=True)
        researcher = self.user("researcher", researcher_password, is_staff=False, is_superuser=False)
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
        experiment.launch()

        site = settings.SITE_URL
        self.stdout.write(self.style.SUCCESS("Demo ready."))
        self.stdout.write(f"  Take part:   {site}{reverse('study_entry', args=[experiment.slug])}")
        self.stdout.write(f"  Admin:       {site}{reverse('admin:index')}  ({admin.username} / {admin_password})")
        self.stdout.write(f"  Researcher:  {site}/workspace/  ({researcher.username} / {researcher_password})")

    def user(self, username, password, **flags):
        user, _ = get_user_model().objects.get_or_create(username=username, defaults=flags)
        for name, value in flags.items():
            setattr(user, name, value)
        user.set_password(password)
        user.save()
        return user
