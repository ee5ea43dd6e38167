"""Demo territories: every seller owns one territory of the accounts around one side of the team's
region (a pie slice cut at equal shares of potential, so territories are compact and connected); a
territory plan per seller for the last fiscal year and this one, reviewed monthly; a few locked key
accounts. One team, the first, is visibly out of balance — its first seller carries two to four times the
potential of the last — so the territory optimizer has something to fix.

Reads the org and accounts the earlier phases wrote; everything is bulk-created.
"""

import json
import math
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from random import Random

from django.db import transaction
from django.db.models import CharField, Count, FloatField, Sum
from django.db.models.functions import Cast, Substr
from django.utils import timezone

from firstline.core.bulk import datetime_adapter, insert_rows, reserve_ids, table_columns, update_column
from firstline.core.periods import fiscal_calendar
from firstline.org.models import Membership, Role, Team, TeamKind
from firstline.pipeline.models import Account, Opportunity
from firstline.targets.models import Metric, Target
from firstline.territories.models import (
    AccountSettings,
    KeyAccount,
    PlanAction,
    PlanReview,
    PlanStatus,
    PlanVersion,
    SellerProfile,
    Territory,
    TerritoryAssignment,
    TerritoryPlan,
)

# Shares of potential for the unbalanced team, largest first: the first seller carries about twice
# the potential of the last, as happens when territories are never redrawn after people leave.
UNBALANCED = (2.0, 1.5, 1.2, 1.0, 0.8, 0.7, 0.65, 0.6, 0.55, 0.5, 0.5, 0.5)
CHANGES = (
    "A competitor cut prices in the region",
    "Two key accounts started a tender",
    "A partner brought three new leads",
    "The seller was out for a week of training",
    "Budget freeze at a large customer",
    "New product launch raised interest",
)
ASSIGNMENT_COLUMNS = table_columns(TerritoryAssignment)[1:]  # the database numbers them
VERSION_COLUMNS = table_columns(PlanVersion)  # numbered here: each review points at its version
REVIEW_COLUMNS = table_columns(PlanReview)[1:]
ADJUSTMENTS = (
    "Focus the next month on the two tenders",
    "Ask the SME for a joint visit",
    "Move the small-business follow-ups to inside sales",
    "Keep course",
    "Add a customer event in the largest city",
    "Raise the pipeline target for next quarter",
)


def build_territories(*, rng: Random, today: date | None = None) -> dict[str, int]:
    today = today or timezone.localdate()
    teams = list(Team.objects.filter(kind=TeamKind.TEAM).order_by("pk"))
    members = defaultdict(list)
    for m in (
        Membership.objects.current().filter(person__role=Role.SELLER, team__in=teams).select_related("person")
    ):
        members[m.team_id].append(m.person)
    with transaction.atomic():
        territories = _territories(teams, members, today)
        plans = _plans(rng, territories, today)
    return {"territories": len(territories), "territory plans": plans}


def _territories(teams, members, today):
    start = today.replace(year=today.year - 1)
    territories, owner_of, profiles, locks = [], {}, [], []
    for number, team in enumerate(teams):
        sellers = sorted(members[team.pk], key=lambda p: p.pk)
        if not sellers:
            continue
        seller_ids = [s.pk for s in sellers]
        # The decimals as floats, which is all the slicing needs (and what float() of the Decimal
        # gives): the ORM's Decimal per value cost more than the slicing (a hundred thousand accounts).
        accounts = list(
            Account.objects.filter(owner_id__in=seller_ids)
            .exclude(latitude=None)
            .annotate(
                lat=Cast("latitude", FloatField()),
                lon=Cast("longitude", FloatField()),
                potential=Cast("market_potential", FloatField()),
            )
            .values_list("pk", "lat", "lon", "potential", "city")
        )
        weights = UNBALANCED[: len(sellers)] if number == 0 else (1.0,) * len(sellers)
        slices = _pie_slices(accounts, weights)
        for seller, part in zip(sellers, slices, strict=True):
            cities = defaultdict(int)
            for a in part:
                cities[a[4]] += 1
            main_city = max(cities, key=cities.get) if cities else team.name
            territory = Territory(name=f"{main_city} – {seller.name}", team=team, owner=seller)
            territories.append(territory)
            owner_of.update({a[0]: seller.pk for a in part})
            if part:
                lat = sum(float(a[1]) for a in part) / len(part)
                lon = sum(float(a[2]) for a in part) / len(part)
                profiles.append(
                    SellerProfile(
                        person=seller,
                        home_latitude=Decimal(f"{lat:.5f}"),
                        home_longitude=Decimal(f"{lon:.5f}"),
                    )
                )
                biggest = max(part, key=lambda a: a[3])
                locks.append(AccountSettings(account_id=biggest[0], locked=True))
            territory._accounts = [a[0] for a in part]
    Territory.objects.bulk_create(territories)
    # Every account's assignment (over a hundred thousand at full scale): plain rows through the bulk
    # fast path, numbered by the database in this order as bulk_create numbered them.
    assignments = [(a, t.pk, start, None) for t in territories for a in t._accounts]
    insert_rows(TerritoryAssignment, ASSIGNMENT_COLUMNS, assignments)
    SellerProfile.objects.bulk_create(profiles)
    AccountSettings.objects.bulk_create(locks)
    # Accounts belong to the owner of their territory (deals keep the seller who worked them).
    update_column(Account, "owner_id", owner_of)
    return territories


def _pie_slices(accounts, weights):
    """Accounts sorted by angle around their centre, cut where the potential reaches each share."""
    if not accounts:
        return [[] for _ in weights]
    lat0 = sum(float(a[1]) for a in accounts) / len(accounts)
    lon0 = sum(float(a[2]) for a in accounts) / len(accounts)
    ordered = sorted(accounts, key=lambda a: math.atan2(float(a[1]) - lat0, float(a[2]) - lon0))
    total = sum(float(a[3]) for a in accounts)
    bounds, acc = [], 0.0
    for w in weights[:-1]:
        acc += w / sum(weights)
        bounds.append(acc * total)
    slices, running, b = [[] for _ in weights], 0.0, 0
    for a in ordered:
        while b < len(bounds) and running >= bounds[b]:
            b += 1
        slices[b].append(a)
        running += float(a[3])
    return slices


def _plans(rng: Random, territories, today) -> int:
    calendar = fiscal_calendar()
    this_year = calendar.year_of(today)
    last_year = calendar.year(int(this_year.label) - 1)
    sellers = [t.owner for t in territories]
    ids = [s.pk for s in sellers]
    targets = defaultdict(Decimal)
    for person_id, start, amount in Target.objects.filter(
        person_id__in=ids, metric=Metric.REVENUE
    ).values_list("person_id", "start", "amount"):
        year = last_year if start <= last_year.end else this_year
        targets[(person_id, year.label)] += amount
    # Summed by month in the database, the month as the date's text up to its day ("2026-11"):
    # TruncMonth is a Python function on SQLite, called once per won deal (hundreds of thousands at
    # full scale). The amounts are whole, so the sums are exact either way.
    won = {
        (owner, date.fromisoformat(f"{month}-01")): total
        for owner, month, total in Opportunity.objects.won()
        .filter(owner_id__in=ids, closed_on__gte=last_year.start)
        .order_by()
        .values("owner_id", month=Substr(Cast("closed_on", CharField()), 1, 7))
        .annotate(total=Sum("amount"))
        .values_list("owner_id", "month", "total")
    }
    keys = dict(
        Account.objects.filter(territory_settings__locked=True, owner_id__in=ids).values_list(
            "owner_id", "pk"
        )
    )
    managers = dict(
        Membership.objects.current().filter(person_id__in=ids).values_list("person_id", "team__manager_id")
    )
    open_counts = dict(
        Opportunity.objects.open()
        .filter(owner_id__in=ids)
        .order_by()
        .values("owner_id")
        .annotate(n=Count("pk"))
        .values_list("owner_id", "n")
    )
    plans, versions, reviews, key_accounts, actions = [], [], [], [], []
    months = {period.label: _months(period, today) for period in (last_year, this_year)}
    for seller in sellers:
        for period in (last_year, this_year):
            objective = targets.get((seller.pk, period.label), Decimal(0))
            plan = TerritoryPlan(
                seller=seller,
                period=period.label,
                start=period.start,
                end=period.end,
                objective_amount=objective,
                objectives=f"Reach {objective:,.0f} in closed-won revenue; grow the two largest accounts.",
                market="Mid-market manufacturing and retail hold most of the whitespace; "
                "enterprise is concentrated "
                "in the largest city.",
                resources_time="Two customer days a week; one day for prospecting.",
                resources_budget=Decimal(rng.choice((5_000, 8_000, 12_000))),
                resources_partners="The regional integrator for implementation.",
                resources_smes="Solution engineer for demos; pricing desk for large deals.",
                status=PlanStatus.APPROVED,
                approved_by_id=managers.get(seller.pk),
                approved_at=timezone.make_aware(
                    timezone.datetime.combine(period.start, timezone.datetime.min.time())
                ),
            )
            plan._months = months[period.label]
            plan.version = 1 + len(plan._months)  # created, then one version per monthly review
            plans.append(plan)
    TerritoryPlan.objects.bulk_create(plans)
    # Tens of thousands of versions and reviews at full scale: plain rows through the bulk fast path
    # (JSON as the text Django's JSONField writes), the versions numbered here so reviews can point at them.
    adapt = datetime_adapter()
    # Every seller's plans share the periods, so a few dozen days make all the versions' times.
    days = {period.start for period in (last_year, this_year)}
    days.update(_month_end(month) for period_months in months.values() for month in period_months)
    stamp = {day: adapt(_aware(day)) for day in days}
    version_ids = iter(reserve_ids(PlanVersion, sum(plan.version for plan in plans)))
    for plan in plans:
        seller_id = plan.seller_id
        content = json.dumps({"objective_amount": str(plan.objective_amount)})
        versions.append((next(version_ids), plan.pk, 1, content, "Created", stamp[plan.start], seller_id))
        running = Decimal(0)
        for number, month_start in enumerate(plan._months, start=2):
            running += won.get((seller_id, month_start), Decimal(0))
            on = _month_end(month_start)
            version_id = next(version_ids)
            reviewer = managers.get(seller_id)
            versions.append(
                (
                    version_id,
                    plan.pk,
                    number,
                    "{}",
                    f"Review of {on.isoformat()}",
                    stamp[on],
                    reviewer,
                )
            )
            pct = running / plan.objective_amount if plan.objective_amount else None
            snapshot = {
                "on": on.isoformat(),
                "won": str(running),
                "objective": str(plan.objective_amount),
                "open_pipeline": None,
                "percent_of_objective": None if pct is None else f"{pct:.4f}",
            }
            what_changed, adjustment = rng.choice(CHANGES), rng.choice(ADJUSTMENTS)
            reviews.append(
                (
                    plan.pk,
                    number - 1,
                    on,
                    reviewer,
                    json.dumps(snapshot),
                    what_changed,
                    adjustment,
                    version_id,
                )
            )
        if seller_id in keys:
            key_accounts.append(
                KeyAccount(
                    plan=plan,
                    account_id=keys[seller_id],
                    strategy="Multi-thread above the project sponsor; land the second "
                    "product line before renewal.",
                )
            )
        actions.append(
            PlanAction(
                plan=plan,
                description=f"Qualify the {open_counts.get(seller_id, 0)} open deals against MEDDICC",
                owner_id=seller_id,
                due=plan.start + timedelta(days=45),
            )
        )
    insert_rows(PlanVersion, VERSION_COLUMNS, versions)
    insert_rows(PlanReview, REVIEW_COLUMNS, reviews)
    KeyAccount.objects.bulk_create(key_accounts)
    PlanAction.objects.bulk_create(actions)
    return len(plans)


def _months(period, today):
    months, day = [], period.start
    while day <= min(period.end, today) and _month_end(day) <= today:
        months.append(day)
        day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return months


def _month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _aware(day: date):
    return timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time()))
