"""The optimizer applied to a team's data: build the problem from territories, accounts and deals,
store the proposal as a scenario, apply it (audited) or undo it.

Workload estimate per account, in hours a year (overridable per account):
    4 (base: one visit a quarter) + 6 per open opportunity + 8 × potential / the team's median potential
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from auditlog.context import set_actor
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from firstline.core.scoping import OutOfScope
from firstline.org.scoping import viewer
from firstline.pipeline.models import Account, Opportunity
from firstline.territories.models import (
    AccountSettings,
    Scenario,
    ScenarioMove,
    ScenarioStatus,
    SellerProfile,
    Territory,
    TerritoryAssignment,
)
from firstline.territories.optimizer import Infeasible, Problem, solve
from firstline.territories.optimizer.files import project

WORKLOAD_BASE, WORKLOAD_PER_OPEN_DEAL, WORKLOAD_PER_MEDIAN_POTENTIAL = 4.0, 6.0, 8.0
MEASURES = ("potential", "workload")


@dataclass
class TeamDesign:
    territories: list[Territory]
    account_ids: np.ndarray
    names: list[str]
    coords: np.ndarray  # projected kilometres
    lonlat: np.ndarray
    values: dict[str, np.ndarray]
    current: np.ndarray
    locked: np.ndarray
    capacity: np.ndarray
    skipped: int  # accounts without a location, left where they are


def team_design(team) -> TeamDesign:
    """Everything the optimizer needs about a team, in a fixed number of queries."""
    territories = list(Territory.objects.filter(team=team).select_related("owner").order_by("pk"))
    index = {t.pk: i for i, t in enumerate(territories)}
    rows = list(
        TerritoryAssignment.objects.current()
        .filter(territory__team=team)
        .values_list(
            "account_id",
            "territory_id",
            "account__name",
            "account__latitude",
            "account__longitude",
            "account__market_potential",
            "account__territory_settings__locked",
            "account__territory_settings__workload_override",
        )
        .order_by("account_id")
    )
    located = [r for r in rows if r[3] is not None and r[4] is not None]
    ids = np.array([r[0] for r in located], dtype=np.int64)
    open_deals = dict(
        Opportunity.objects.open()
        .filter(account_id__in=ids.tolist())
        .order_by()
        .values("account_id")
        .annotate(n=Count("pk"))
        .values_list("account_id", "n")
    )
    potential = np.array([float(r[5]) for r in located])
    median = float(np.median(potential[potential > 0])) if (potential > 0).any() else 1.0
    estimate = (
        WORKLOAD_BASE
        + WORKLOAD_PER_OPEN_DEAL * np.array([open_deals.get(int(i), 0) for i in ids], dtype=float)
        + WORKLOAD_PER_MEDIAN_POTENTIAL * potential / median
    )
    override = np.array([float(r[7]) if r[7] is not None else np.nan for r in located])
    workload = np.where(np.isnan(override), estimate, override) if len(located) else estimate
    lonlat = np.array([[float(r[4]), float(r[3])] for r in located]).reshape(-1, 2)
    current = np.array([index[r[1]] for r in located], dtype=np.int64)
    profiles = dict(
        SellerProfile.objects.filter(person__in=[t.owner_id for t in territories]).values_list(
            "person_id", "capacity"
        )
    )
    return TeamDesign(
        territories=territories,
        account_ids=ids,
        names=[r[2] for r in located],
        coords=project(lonlat[:, 0], lonlat[:, 1]) if len(located) else lonlat,
        lonlat=lonlat,
        values={"potential": potential, "workload": workload},
        current=current,
        locked=np.where([bool(r[6]) for r in located], current, -1) if len(located) else current,
        capacity=np.array([float(profiles.get(t.owner_id, Decimal(1))) for t in territories]),
        skipped=len(rows) - len(located),
    )


def scenario_create(*, actor, team, balance=MEASURES, tolerance=0.02, max_moves=None, name="") -> Scenario:
    """Queue an optimization of `team`; the manager watches its progress and then applies it or not."""
    who = viewer(actor)
    if not who.is_admin and not any(team.path.startswith(p) for p in who.managed_paths):
        raise OutOfScope("You may only optimize the territories of teams you manage.")
    unknown = set(balance) - set(MEASURES)
    if unknown or not balance:
        raise ValueError(f"Balance on {', '.join(MEASURES)}; not {', '.join(sorted(unknown)) or 'nothing'}.")
    scenario = Scenario(
        team=team,
        created_by_id=who.person_id,
        name=name or f"{team} {timezone.localdate():%Y-%m-%d}",
        parameters={"balance": list(balance), "tolerance": tolerance, "max_moves": max_moves},
    )
    scenario.full_clean()
    scenario.save()
    return scenario


def scenario_run(scenario: Scenario, progress: Callable[[int, int, str], None] | None = None) -> Scenario:
    """Solve the scenario's team and store the proposal: per-seller figures, moves and the map."""
    scenario.status, scenario.progress, scenario.message = (
        ScenarioStatus.RUNNING,
        0,
        "Reading the team's data",
    )
    scenario.save(update_fields=["status", "progress", "message"])
    design = team_design(scenario.team)
    params = scenario.parameters
    try:
        if len(design.territories) < 2:
            raise Infeasible("The team needs at least two territories to balance.")
        problem = Problem(
            design.coords,
            np.column_stack([design.values[m] for m in params["balance"]]),
            len(design.territories),
            tolerance=params["tolerance"],
            locked=design.locked,
            current=design.current,
            max_moves=params.get("max_moves"),
            disruption_weight=0.02,
            capacity=design.capacity,
            measure_names=list(params["balance"]),
            unit_ids=design.names,
            time_limit=60,
        )
        solution = solve(problem, progress)
    except Infeasible as error:
        scenario.status, scenario.message = ScenarioStatus.FAILED, str(error)[:500]
        scenario.save(update_fields=["status", "message"])
        return scenario
    _store(scenario, design, solution)
    return scenario


def _store(scenario: Scenario, design: TeamDesign, solution) -> None:
    from firstline.territories.results import scenario_result

    moves = [
        ScenarioMove(
            scenario=scenario,
            account_id=int(design.account_ids[u]),
            from_territory=design.territories[design.current[u]],
            to_territory=design.territories[solution.labels[u]],
        )
        for u in solution.moved
    ]
    with transaction.atomic():
        ScenarioMove.objects.bulk_create(moves)
        scenario.result = scenario_result(design, solution)
        scenario.status, scenario.progress = ScenarioStatus.READY, 100
        scenario.message = "; ".join(solution.warnings)[:500] or "Ready to apply"
        scenario.save(update_fields=["result", "status", "progress", "message"])


@transaction.atomic
def scenario_apply(*, actor, scenario: Scenario) -> Scenario:
    """Hand every moved account to its new territory (and the territory's owner); audited."""
    return _move(actor, scenario, ScenarioStatus.READY, ScenarioStatus.APPLIED, forward=True)


@transaction.atomic
def scenario_undo(*, actor, scenario: Scenario) -> Scenario:
    """Put every account the scenario moved back where it was, if none has moved since."""
    return _move(actor, scenario, ScenarioStatus.APPLIED, ScenarioStatus.UNDONE, forward=False)


def _move(actor, scenario: Scenario, expected: str, outcome: str, *, forward: bool) -> Scenario:
    scenario = Scenario.objects.editable_by(actor).select_for_update().filter(pk=scenario.pk).first()
    if scenario is None:
        raise OutOfScope("You may not change this scenario.")
    if scenario.status != expected:
        raise ValueError(
            f"Only a scenario that is {ScenarioStatus(expected).label.lower()} can be "
            f"{'applied' if forward else 'undone'}; this one is {scenario.get_status_display().lower()}."
        )
    moves = list(scenario.moves.select_related("from_territory", "to_territory"))
    source = {m.account_id: (m.from_territory if forward else m.to_territory) for m in moves}
    target = {m.account_id: (m.to_territory if forward else m.from_territory) for m in moves}
    current = {
        a.account_id: a
        for a in TerritoryAssignment.objects.current().select_for_update().filter(account_id__in=list(source))
    }
    stale = [aid for aid, t in source.items() if aid not in current or current[aid].territory_id != t.pk]
    if stale:
        raise ValueError(f"{len(stale)} account(s) have changed territory since; nothing was changed.")
    today = timezone.localdate()
    with set_actor(actor):
        for account_id, assignment in current.items():
            assignment.end = today
            assignment.save(update_fields=["end"])
            TerritoryAssignment.objects.create(
                account_id=account_id, territory=target[account_id], start=today
            )
        for account in Account.objects.filter(pk__in=list(target)).only("pk", "owner_id"):
            account.owner_id = target[account.pk].owner_id
            account.save(update_fields=["owner"])
        now, who = timezone.now(), viewer(actor).person_id
        if forward:
            scenario.applied_at, scenario.applied_by_id = now, who
        else:
            scenario.undone_at = now
        scenario.status = outcome
        scenario.save(update_fields=["status", "applied_at", "applied_by", "undone_at"])
    return scenario


def account_lock(*, actor, account: Account, locked: bool) -> AccountSettings:
    """Lock an account in its territory (or free it): a manager's call, not the seller's own."""
    who = viewer(actor)
    if not Account.objects.editable_by(actor).filter(pk=account.pk).exists() or (
        account.owner_id == who.person_id and not who.is_admin
    ):
        raise OutOfScope("Only the seller's manager may lock or unlock this account.")
    settings, _ = AccountSettings.objects.get_or_create(account=account)
    settings.locked = locked
    settings.save(update_fields=["locked"])
    return settings
