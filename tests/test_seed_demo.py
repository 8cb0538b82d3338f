import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

import fer_conditions as conditions
from experiments.models import ClassifierModel, Experiment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def on_a_laptop(settings):
    """seed_demo's defaults are for development (pytest runs with DEBUG off unless told)."""
    settings.DEBUG = True


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


def test_seed_demo_never_resets_a_password_or_reopens_a_closed_study(capsys):
    call_command("seed_demo")
    researcher = get_user_model().objects.get(username="researcher")
    researcher.set_password("chosen-by-the-researcher")
    researcher.save()
    demo = Experiment.objects.get(slug="demo")
    demo.close()

    call_command("seed_demo")

    researcher.refresh_from_db()
    demo.refresh_from_db()
    assert researcher.check_password("chosen-by-the-researcher")
    assert demo.status == Experiment.Status.CLOSED
    assert "researcher, password unchanged" in capsys.readouterr().out


def test_with_debug_off_seed_demo_refuses_the_default_passwords(settings, monkeypatch):
    settings.DEBUG = False
    monkeypatch.delenv("DEMO_ADMIN_PASSWORD", raising=False)
    monkeypatch.delenv("DEMO_RESEARCHER_PASSWORD", raising=False)

    with pytest.raises(CommandError, match="DEMO_ADMIN_PASSWORD"):
        call_command("seed_demo")
    assert not get_user_model().objects.exists()

    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "a-long-admin-password")
    monkeypatch.setenv("DEMO_RESEARCHER_PASSWORD", "a-long-researcher-password")
    call_command("seed_demo")
    assert get_user_model().objects.get(username="admin").check_password("a-long-admin-password")
