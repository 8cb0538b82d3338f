import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

import fer_conditions as conditions
from experiments.models import ClassifierModel, Experiment

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_a_live_study_with_every_condition_and_can_run_again(capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    out = capsys.readouterr().out
    demo = Experiment.objects.get(slug="demo")
    assert demo.status == Experiment.Status.LIVE and demo.config_sha256
    assert set(demo.trial_plan) == set(conditions.CONDITIONS)
    assert all(count >= 1 for count in demo.trial_plan.values())
    assert list(demo.classifier_models.all()) == [ClassifierModel.objects.get(is_default=True)]
    assert Experiment.objects.count() == 1 and ClassifierModel.objects.count() == 1
    assert get_user_model().objects.count() == 2
    assert "/s/demo/" in out and "/admin/" in out and "admin-demo-pass" in out


def test_seed_demo_takes_passwords_from_the_environment(monkeypatch, capsys):
    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "a-better-admin-password")
    call_command("seed_demo")
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.check_password("a-better-admin-password")
    assert "a-better-admin-password" in capsys.readouterr().out
