"""Running Firstline needs only Python: the built front-end assets are committed (and match the npm
lock), `make demo` runs no npm, and a missing Python 3.12+ is one clear sentence."""

import json
import re
import subprocess
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders

ROOT = Path(__file__).resolve().parents[2]


def locked_version(package: str) -> str:
    lock = json.loads((ROOT / "package-lock.json").read_text())
    return lock["packages"][f"node_modules/{package}"]["version"]


def test_the_committed_assets_are_the_locked_versions_and_served_from_the_app():
    assert not [str(d) for d in settings.STATICFILES_DIRS if "node_modules" in str(d)]
    htmx = Path(finders.find("vendor/htmx/htmx.min.js")).read_text()
    assert f'version:"{locked_version("htmx.org")}"' in htmx
    chart = Path(finders.find("vendor/chartjs/chart.umd.min.js")).read_text()
    assert f"Chart.js v{locked_version('chart.js')}" in chart
    # The manifest storage would look for a source map the app does not ship.
    assert "sourceMappingURL" not in chart


def test_the_demo_needs_no_node():
    dry_run = subprocess.run(
        ["make", "-n", "-B", "demo"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert "npm" not in dry_run.stdout
    assert "runserver" in dry_run.stdout


def test_without_python_3_12_make_says_so_in_one_line():
    result = subprocess.run(["make", "-s", "demo", "PYTHON="], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode != 0
    assert re.match(r"^Firstline needs Python 3\.12 or newer, and none was found: .*\n$", result.stdout)
