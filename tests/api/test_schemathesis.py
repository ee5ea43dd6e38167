"""The OpenAPI schema tells the truth: schemathesis (`st run`, every check, 20 examples per operation
by default) generates valid and invalid requests from the schema against a live server, as a manager
and as a seller, and every answer must be documented, match the schema, and never be a 5xx.

Detail routes are exercised on real objects of the test company (schemathesis.toml is written per run).
One deliberate setting: a request that is valid *by the schema* may still be refused with 400 when it
names a row that does not exist or that the user may not see, or breaks a business rule (a lost deal
needs a loss reason); positive_data_acceptance is told so. Everything else runs as schemathesis ships.

`make schemathesis` runs it (CI does, once, on PostgreSQL); other runs skip it, for speed.
SCHEMATHESIS_EXAMPLES sets the examples per operation; the full report of each run is written to
test-output/schemathesis-<persona>.txt."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.request import Request, urlopen

import pytest
from django.db import connection
from django.test import override_settings
from rest_framework.authtoken.models import Token

from tests.team_matrix import team_ids
from tests.world import build_world

# Minutes, not seconds: only where asked for (`make schemathesis`, which CI runs).
pytestmark = [
    pytest.mark.schemathesis,
    pytest.mark.skipif(
        not os.environ.get("FIRSTLINE_SCHEMATHESIS"), reason="run by `make schemathesis` (and in CI)"
    ),
]

# 20 examples per operation over all of them (about 170, as two personas) keeps CI within minutes.
EXAMPLES = os.environ.get("SCHEMATHESIS_EXAMPLES", "20")
ST = Path(sys.executable).with_name("st")
PERSONAS = ("manager_1", "seller_a")
# The coverage phase (boundary values of every parameter) takes as long again as the rest; it passes
# too, and SCHEMATHESIS_PHASES=examples,coverage,fuzzing,stateful runs it.
# Every operation of the API; SCHEMATHESIS_PATHS narrows the run to some (a regular expression).
PATHS = os.environ.get("SCHEMATHESIS_PATHS", "^/api/")
PHASES = os.environ.get("SCHEMATHESIS_PHASES", "examples,fuzzing,stateful")
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
    ids.update(team_ids(world))
    return tokens, ids


def config(ids: dict) -> str:
    operations = "".join(
        f'\n[[operations]]\ninclude-path = "/api/{name}/{{id}}/"\nparameters = {{ "path.id" = {pk} }}\n'
        for name, pk in ids.items()
    )
    return CONFIG + operations


def st_run(url: str, token: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(ST),
            "run",
            f"{url}/api/schema/",
            "--header",
            f"Authorization: Token {token}",
            "--checks",
            "all",
            "--max-examples",
            EXAMPLES,
            "--workers",
            "1",
            "--seed",
            "5",
            "--no-color",
            "--phases",
            PHASES,
            "--include-path-regex",
            PATHS,
            *os.environ.get("SCHEMATHESIS_ARGS", "").split(),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=cwd,
    )


@override_settings(AXES_ENABLED=False)
def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    live_server, company, tmp_path, pytestconfig
):
    tokens, ids = company
    (tmp_path / "schemathesis.toml").write_text(config(ids))
    # Both personas at once on PostgreSQL; SQLite's shared in-memory test database takes one writer at a time.
    parallel = connection.vendor == "postgresql"
    # drf-spectacular loads its extensions lazily and not thread-safely: build the schema once first,
    # so the two runs do not race on their first request.
    authorization = {"Authorization": f"Token {tokens[PERSONAS[0]]}"}
    warm_up = Request(f"{live_server.url}/api/schema/", headers=authorization)
    with urlopen(warm_up, timeout=60) as response:
        assert response.status == 200
    runs, failed = {}, []
    for persona in PERSONAS:
        runs[persona] = st_run(live_server.url, tokens[persona], tmp_path)
        if not parallel:
            runs[persona].wait(timeout=1200)
    for persona, run in runs.items():
        output, _ = run.communicate(timeout=1200)
        report = pytestconfig.rootpath / "test-output" / f"schemathesis-{persona}.txt"
        report.parent.mkdir(exist_ok=True)
        report.write_text(output)
        if run.returncode != 0:
            failed.append(f"{persona}: see {report}\n{output[-4000:]}")
    assert not failed, "\n\n".join(failed)
