"""The OpenAPI schema tells the truth: schemathesis (`st run`, every check, 50 examples per operation
by default) generates valid and invalid requests from the schema against a live server, as a manager
and as a seller, and every answer must be documented, match the schema, and never be a 5xx.

Detail routes are exercised on real objects of the test company (schemathesis.toml is written per run).
One deliberate setting: a request that is valid *by the schema* may still be refused with 400 when it
names a row that does not exist or that the user may not see, or breaks a business rule (a lost deal
needs a loss reason); positive_data_acceptance is told so. Everything else runs as schemathesis ships.

`make test` runs it; alone: `.venv/bin/python -m pytest tests/api/test_schemathesis.py`.
SCHEMATHESIS_EXAMPLES sets the examples per operation; the full report of each run is written to
test-output/schemathesis-<persona>.txt."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings
from rest_framework.authtoken.models import Token

from tests.world import build_world

EXAMPLES = os.environ.get("SCHEMATHESIS_EXAMPLES", "50")
ST = Path(sys.executable).with_name("st")
PERSONAS = ("manager_1", "seller_a")
# 400 joins the defaults (2xx, 3xx, 401, 403, 404, 409, 429): see the module docstring.
CONFIG = """
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429"]
"""


@pytest.fixture
def company(transactional_db):
    world = build_world()
    tokens = {persona: Token.objects.create(user=world.users[persona]).key for persona in PERSONAS}
    ids = {
        "people": world.people["seller_a"].pk,
        "teams": world.east.pk,
        "memberships": world.people["seller_a"].memberships.get().pk,
        "accounts": world.account_a.pk,
        "products": world.product.pk,
        "stages": world.stages["prospect"].pk,
        "opportunities": world.opportunity_a.pk,
        "targets": world.target_a.pk,
    }
    return tokens, ids


def config(ids: dict) -> str:
    operations = "".join(
        f'\n[[operations]]\ninclude-path = "/api/{name}/{{id}}/"\nparameters = {{ "path.id" = {pk} }}\n'
        for name, pk in ids.items()
    )
    return CONFIG + operations


@pytest.mark.parametrize("persona", PERSONAS)
@override_settings(AXES_ENABLED=False)
def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    live_server, company, persona, tmp_path, pytestconfig
):
    tokens, ids = company
    (tmp_path / "schemathesis.toml").write_text(config(ids))
    result = subprocess.run(
        [
            str(ST),
            "run",
            f"{live_server.url}/api/schema/",
            "--header",
            f"Authorization: Token {tokens[persona]}",
            "--checks",
            "all",
            "--max-examples",
            EXAMPLES,
            "--workers",
            "1",
            "--seed",
            "5",
            "--no-color",
            *os.environ.get("SCHEMATHESIS_ARGS", "").split(),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
        check=False,
    )
    report = pytestconfig.rootpath / "test-output" / f"schemathesis-{persona}.txt"
    report.parent.mkdir(exist_ok=True)
    report.write_text(result.stdout + result.stderr)
    assert result.returncode == 0, f"see {report}\n" + result.stdout[-6000:]
