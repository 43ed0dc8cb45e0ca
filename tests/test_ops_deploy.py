"""Production settings and deployment files: `check --deploy` is clean, the settings refuse to start
half-configured, the units run the project's own commands, and the operations guide names every variable the
settings read."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# Nothing listens there: check --deploy and settings loading must not need a database or Redis.
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "crm.settings.production",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "crm.example.com",
    "DATABASE_URL": "postgresql://keystone@127.0.0.1:1/keystone",
    "REDIS_URL": "redis://127.0.0.1:1/0",
    "TRUSTED_PROXIES": "10.0.0.0/24",
}


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # The test's own settings variables stay out: the child reads only what production would be given.
    base = {key: value for key, value in os.environ.items() if key not in PRODUCTION_ENV and key != "LOG_FORMAT"}
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env={**base, **env}, capture_output=True, text=True, timeout=180
    )


def test_check_deploy_on_the_production_settings_has_no_warning() -> None:
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_database_url() -> None:
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "DATABASE_URL"}

    result = _run(["-c", "import django; django.setup()"], env)

    assert result.returncode != 0
    assert "Set the DATABASE_URL environment variable" in result.stderr


PRINT_SETTINGS = """
import json, re, django
django.setup()
from django.conf import settings
print(json.dumps({
    "formatter": settings.LOGGING["handlers"]["console"]["formatter"],
    "sentry_environment": settings.SENTRY_ENVIRONMENT,
    "debug": settings.DEBUG,
    "trusted_proxies": settings.TRUSTED_PROXIES,
    "email_backend": settings.EMAIL_BACKEND,
    "exempt": [path for path in ("health/live", "health/ready", "health/", "metrics", "api/org/")
               if any(re.match(pattern, path) for pattern in settings.SECURE_REDIRECT_EXEMPT)],
}))
"""


def test_production_logs_json_reports_as_production_and_exempts_probes_from_the_https_redirect() -> None:
    result = _run(["-c", PRINT_SETTINGS], PRODUCTION_ENV)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == {
        "formatter": "json",
        "sentry_environment": "production",
        "debug": False,
        "trusted_proxies": ["10.0.0.0/24"],
        "email_backend": "django.core.mail.backends.smtp.EmailBackend",
        "exempt": ["health/live", "health/ready", "health/", "metrics"],
    }


def _unit(name: str) -> dict[str, dict[str, list[str]]]:
    """A unit file's sections, each key with every value it is given (systemd allows a key many times)."""
    sections: dict[str, dict[str, list[str]]] = {}
    section: dict[str, list[str]] = {}
    for line in (BASE_DIR / "deploy" / "systemd" / name).read_text().splitlines():
        if line.startswith("["):
            section = sections.setdefault(line.strip("[]"), {})
        elif "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            section.setdefault(key, []).append(value)
    return sections


def test_the_systemd_units_run_web_worker_and_beat_with_the_production_settings() -> None:
    commands = {
        "keystone-web.service": "gunicorn --config crm/gunicorn.py crm.asgi",
        "keystone-worker.service": "celery -A crm --quiet worker",
        "keystone-beat.service": "celery -A crm --quiet beat",
    }
    for name, command in commands.items():
        unit = _unit(name)
        service = unit["Service"]

        (start,) = service["ExecStart"]
        assert start.startswith("/opt/keystone/.venv/bin/") and command in start, name
        assert "DJANGO_SETTINGS_MODULE=crm.settings.production" in service["Environment"], name
        assert service["EnvironmentFile"] == ["/etc/keystone/keystone.env"], name
        assert service["Restart"] == ["always"], name
        assert unit["Install"]["WantedBy"] == ["multi-user.target"], name
    # Web and worker on one host share the metrics directory, which tmpfiles makes for them.
    shared = "PROMETHEUS_MULTIPROC_DIR=/run/keystone-metrics"
    for name in ("keystone-web.service", "keystone-worker.service"):
        assert shared in _unit(name)["Service"]["Environment"]
    tmpfiles = (BASE_DIR / "deploy" / "systemd" / "keystone-tmpfiles.conf").read_text()
    assert "d /run/keystone-metrics " in tmpfiles


def test_the_procfile_declares_the_release_step_and_the_three_processes() -> None:
    lines = (BASE_DIR / "deploy" / "Procfile").read_text().splitlines()
    processes = dict(line.split(": ", 1) for line in lines if line and not line.startswith("#"))

    assert processes["release"] == "python manage.py migrate_schemas --noinput"
    assert processes["web"] == "gunicorn --config crm/gunicorn.py crm.asgi"
    assert processes["worker"].startswith("celery -A crm --quiet worker")
    assert processes["beat"].startswith("celery -A crm --quiet beat")


def _variables_read() -> set[str]:
    """Every environment variable read by the settings, the web server's configuration and `make run`."""
    sources = [*(BASE_DIR / "crm" / "settings").glob("*.py"), BASE_DIR / "crm" / "gunicorn.py"]
    sources += [
        BASE_DIR / "crm" / "run.py",
        BASE_DIR / "common" / "embedded.py",
        BASE_DIR / "common" / "metrics.py",
    ]
    names: set[str] = set()
    for path in sources:
        text = path.read_text()
        names |= set(re.findall(r'\benv_(?:str|int|bool|list|optional)\(\s*"([A-Z][A-Z0-9_]*)"', text))
        names |= set(re.findall(r'os\.environ(?:\.get)?[(\[]\s*"([A-Z][A-Z0-9_]*)"', text))
    return names


def test_the_operations_guide_names_every_variable_the_settings_read() -> None:
    guide = (BASE_DIR / "docs" / "operations.md").read_text()
    variables = _variables_read()

    assert {"DATABASE_URL", "TRUSTED_PROXIES", "METRICS_TOKEN", "SENTRY_RELEASE", "WEB_CONCURRENCY"} <= variables
    assert sorted(name for name in variables if f"`{name}`" not in guide) == []
