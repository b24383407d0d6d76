"""Configuration comes from the environment and refuses what it cannot honour."""

import os
import re
import subprocess
import sys

import yaml

from tests.conftest import REPO_DIR

PRODUCTION_ENV = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "a-production-secret-" + "k3y" * 20,
    "DJANGO_ALLOWED_HOSTS": "drive-solidaire.example",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/drive_solidaire",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "EMAIL_URL": "smtp://mail.example:587",
}


def manage(*args, **env):
    base = {
        key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_URL"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
    )


def test_production_settings_pass_the_deployment_checklist():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "DJANGO_SECRET_KEY"}

    result = manage("check", **env)

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_a_database_other_than_postgresql_is_refused():
    result = manage("check", DATABASE_URL="sqlite:///db.sqlite3")

    assert result.returncode != 0
    assert "DATABASE_URL must point to a PostgreSQL database" in result.stderr


def test_without_a_mail_server_each_email_is_printed_in_one_line():
    show = "from django.conf import settings; print(settings.EMAIL_BACKEND)"

    database = PRODUCTION_ENV["DATABASE_URL"]  # not the embedded server

    default = manage("shell", "-c", show, DATABASE_URL=database, EMAIL_URL="")
    whole = manage("shell", "-c", show, DATABASE_URL=database, EMAIL_URL="consolemail://")

    assert default.stdout.split()[-1] == "marketplace.email_backends.OneLineConsoleBackend", default.stderr
    assert whole.stdout.split()[-1] == "django.core.mail.backends.console.EmailBackend", whole.stderr


def test_every_variable_the_settings_read_is_documented_in_env_example():
    settings_source = (REPO_DIR / "config" / "settings.py").read_text()
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z0-9_]+)"', settings_source))
    documented = set(re.findall(r"^#? ?([A-Z0-9_]+)=", (REPO_DIR / ".env.example").read_text(), re.MULTILINE))

    assert read, "the pattern no longer finds the variables"
    assert read - documented == set()


def test_docker_compose_runs_the_production_services():
    compose = yaml.safe_load((REPO_DIR / "docker-compose.yml").read_text())

    assert {"postgres", "redis", "migrate", "web", "worker", "beat", "mailpit"} <= compose["services"].keys()
    assert compose["services"]["web"]["command"][0] == "gunicorn"
    assert compose["services"]["worker"]["command"][:4] == ["celery", "-A", "config", "worker"]
    assert compose["services"]["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]
    assert compose["services"]["web"]["environment"]["DJANGO_DEBUG"] == "false"
