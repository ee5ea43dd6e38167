import pytest
from hypothesis import settings as hypothesis_settings

# Hypothesis's per-example deadline is a timed assertion: on a busy machine it fails tests whose code is
# right (a KPI property failed so under load). Timing belongs in bench/, not in the test suite.
hypothesis_settings.register_profile("firstline", deadline=None)
hypothesis_settings.load_profile("firstline")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is deliberately slow; tests that set passwords do not need it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _jobs_run_immediately(settings):
    # Background jobs run inside the request or command that starts them, so tests are deterministic;
    # tests of the database worker switch back to its backend themselves.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _nothing_kept_from_another_test():
    # Forecast figures are kept (Django's cache, the process) keyed by row ids, which a rolled-back
    # test may hand out again for different data.
    from django.core.cache import cache

    from firstline.deals.selectors import stored_rows

    cache.clear()
    stored_rows.cache_clear()
