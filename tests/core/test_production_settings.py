"""Production settings: no silent fallback to development, Django's own bar for secret keys, HTTPS
enforced by default, `check --deploy` clean with the settings docs/deploy.md gives, and signed-in
pages kept out of every cache."""

import os
import subprocess
import sys

from django.test import TestCase
from django.urls import reverse

from tests.core.test_security import SECURE_PRODUCTION, start_with
from tests.world import build_world

# The environment docs/deploy.md tells an operator to set (a real-looking key, a proxy in front).
DOCUMENTED = {
    **SECURE_PRODUCTION,
    "CSRF_TRUSTED_ORIGINS": "https://firstline.example.com",
    "BEHIND_TLS_PROXY": "true",
    "SECURE_HSTS_PRELOAD": "true",
}


# The test process's own switches (the browser tests allow async-unsafe calls) are no operator's.
clean = {
    key: value
    for key, value in os.environ.items()
    if key not in {"DEBUG", "SECRET_KEY", "SECURE_COOKIES", "DJANGO_ALLOW_ASYNC_UNSAFE"}
}


def setting(env: dict, expression: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", f"from django.conf import settings; print({expression})"],
        env={**clean, "DJANGO_SETTINGS_MODULE": "firstline.settings", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_the_environment_name_is_read_in_any_case():
    assert setting({**SECURE_PRODUCTION, "FIRSTLINE_ENV": "Production"}, "settings.DEBUG") == "False"


def test_an_unknown_environment_name_stops_the_start_instead_of_meaning_development():
    result = start_with({**SECURE_PRODUCTION, "FIRSTLINE_ENV": "prod"})
    assert result.returncode != 0
    assert "FIRSTLINE_ENV must be one of development, production" in result.stderr


def test_low_entropy_secret_keys_are_refused_as_djangos_w009_would_warn():
    for weak in ("x" * 60, "short-but-random-Zq8", "django-insecure-" + "a1b2c3d4e5" * 5):
        result = start_with({**SECURE_PRODUCTION, "SECRET_KEY": weak})
        assert result.returncode != 0, weak
        assert "SECRET_KEY is the default or too weak" in result.stderr


def test_with_tls_https_is_enforced_by_default():
    values = setting(
        SECURE_PRODUCTION,
        "settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS",
    )
    assert values == "True 31536000 True"


def test_check_deploy_is_clean_with_the_documented_production_settings():
    result = subprocess.run(
        [sys.executable, "-m", "firstline.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env={**clean, "DJANGO_SETTINGS_MODULE": "firstline.settings", **DOCUMENTED},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


class CachingHeaderTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()

    def test_signed_in_pages_and_api_answers_are_private_and_not_stored(self):
        self.client.force_login(self.world.users["manager_1"])
        for url in (reverse("org:my_team"), reverse("api:opportunity-list")):
            response = self.client.get(url)
            assert response.status_code == 200
            directives = {part.strip() for part in response.headers["Cache-Control"].split(",")}
            assert {"private", "no-store"} <= directives, url

    def test_list_pages_say_they_vary_on_the_htmx_header(self):
        self.client.force_login(self.world.users["manager_1"])
        url = reverse("pipeline:opportunity_list")
        full = self.client.get(url, {"q": "acme"})
        fragment = self.client.get(url, {"q": "acme"}, headers={"HX-Request": "true"})
        assert b"<html" in full.content and b"<html" not in fragment.content
        for response in (full, fragment):
            assert "HX-Request" in [v.strip() for v in response.headers["Vary"].split(",")]
