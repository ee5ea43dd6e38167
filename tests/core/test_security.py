import os
import subprocess
import sys

from django.contrib.auth import get_user_model
from django.test import TestCase, override_settings
from django.urls import reverse
from rest_framework.authtoken.models import Token

from firstline import settings as project_settings
from tests.world import build_world


def start_with(env: dict) -> subprocess.CompletedProcess:
    """Start a fresh interpreter that loads the settings with the given environment."""
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "SECURE_COOKIES"}}
    return subprocess.run(
        [sys.executable, "-c", "import django; from django.conf import settings; settings.INSTALLED_APPS"],
        env={**clean, "DJANGO_SETTINGS_MODULE": "firstline.settings", **env},
        capture_output=True,
        text=True,
        check=False,
    )


SECURE_PRODUCTION = {
    "FIRSTLINE_ENV": "production",
    "SECRET_KEY": "k2F9-qLx7Tz0wBv4_Np8Rm3Hs6Jd1Gc5Ye2Ua7Oi9Xe4Wf0Zt3Qb8Lk1Mn6Pr5Sv",
    "ALLOWED_HOSTS": "firstline.example.com",
}


def test_production_starts_with_a_secure_configuration():
    result = start_with(SECURE_PRODUCTION)
    assert result.returncode == 0, result.stderr


def test_production_refuses_debug():
    result = start_with({**SECURE_PRODUCTION, "DEBUG": "true"})
    assert result.returncode != 0
    assert "DEBUG is on" in result.stderr


def test_production_refuses_the_default_secret_key():
    env = {k: v for k, v in SECURE_PRODUCTION.items() if k != "SECRET_KEY"}
    result = start_with(env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_insecure_cookies():
    result = start_with({**SECURE_PRODUCTION, "SECURE_COOKIES": "false"})
    assert result.returncode != 0
    assert "cookies are not marked secure" in result.stderr


def test_a_malformed_boolean_is_an_error_not_a_guess():
    result = start_with({"DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


def test_passwords_are_hashed_with_argon2():
    # The module itself: the test suite swaps in a fast hasher through the `settings` fixture.
    assert project_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


class SecurityHeaderTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()

    def test_pages_carry_a_strict_content_security_policy(self):
        self.client.force_login(self.world.users["manager_1"])
        response = self.client.get(reverse("org:my_team"))
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert "frame-ancestors 'none'" in policy
        assert response.headers["X-Frame-Options"] == "DENY"

    def test_the_api_answers_anonymous_requests_with_401(self):
        response = self.client.get(reverse("api:opportunity-list"))
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Token"

    def test_a_script_reads_the_api_with_a_token_and_sees_only_its_scope(self):
        token = Token.objects.create(user=self.world.users["seller_c"])
        response = self.client.get(reverse("api:opportunity-list"), HTTP_AUTHORIZATION=f"Token {token.key}")
        assert response.status_code == 200
        assert [row["name"] for row in response.json()["results"]] == ["Cobalt renewal"]

    def test_a_script_gets_a_token_for_a_username_and_password(self):
        user = self.world.users["seller_a"]
        user.set_password("correct horse battery staple")
        user.save()
        response = self.client.post(
            reverse("api:token"), {"username": "seller_a", "password": "correct horse battery staple"}
        )
        assert response.status_code == 200
        assert response.json()["token"] == Token.objects.get(user=user).key


@override_settings(AXES_FAILURE_LIMIT=3)
class LoginThrottlingTests(TestCase):
    def test_repeated_failures_lock_the_account_even_for_the_right_password(self):
        get_user_model().objects.create_user("mia", password="the right password 42")
        for _ in range(3):
            response = self.client.post(reverse("login"), {"username": "mia", "password": "wrong"})
        assert response.status_code == 429
        response = self.client.post(
            reverse("login"), {"username": "mia", "password": "the right password 42"}
        )
        assert response.status_code == 429
        assert b"Too many failed sign-in attempts" in response.content


@override_settings(AXES_FAILURE_LIMIT=3)
class TokenThrottlingTests(TestCase):
    def test_guessing_passwords_through_the_token_endpoint_is_throttled_too(self):
        get_user_model().objects.create_user("mia", password="the right password 42")
        for _ in range(3):
            self.client.post(reverse("api:token"), {"username": "mia", "password": "wrong"})
        response = self.client.post(
            reverse("api:token"), {"username": "mia", "password": "the right password 42"}
        )
        assert response.status_code == 429
        assert response.json() == {"detail": "Too many failed sign-in attempts; try again in 15 minutes."}
