"""Optimizer runs in the background (Django's tasks framework), reporting progress on the scenario."""

import time

from django.tasks import task

from firstline.territories.design import scenario_run
from firstline.territories.models import Scenario


class ScenarioProgress:
    """Writes progress to the scenario row at most every `interval` seconds, so the page's bar moves
    without the optimizer paying a database write per step."""

    def __init__(self, scenario: Scenario, interval: float = 0.5):
        self.scenario, self.interval, self.at = scenario, interval, 0.0

    def __call__(self, done: int, total: int, message: str) -> None:
        if time.monotonic() - self.at < self.interval and done < total:
            return
        self.at = time.monotonic()
        percent = round(100 * done / max(total, 1))
        Scenario.objects.filter(pk=self.scenario.pk).update(progress=min(percent, 99), message=message[:500])


@task
def optimize_scenario(scenario_id: int) -> str:
    scenario = Scenario.objects.select_related("team").get(pk=scenario_id)
    return scenario_run(scenario, ScenarioProgress(scenario)).status
