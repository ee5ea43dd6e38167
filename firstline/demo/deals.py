"""Deal guidance for the demo company: exit criteria, contacts and stakeholder maps, scorecards,
strategy canvases, reviews, forecast categories and calls — and PLANTED deals for every risk signal.

The ordinary open deals are made healthy (a buying group with an economic buyer and a champion, a
next step, moving within the stage's usual time), so each planted deal carries a known cause and
`bench/forecast_backtest.py` can score the risk rules against that truth. Open deals whose close
date has passed were already planted by the opportunity generator (SLIPPED_SHARE): an open deal's
close date is in the future unless the generator deliberately let it pass.
"""

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from random import Random

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import CharField
from django.db.models.functions import Cast
from django.utils import timezone

from firstline.core.bulk import (
    datetime_adapter,
    indexes_rebuilt,
    insert_rows,
    reserve_ids,
    table_columns,
    update_column,
)
from firstline.deals.models import (
    ActionItem,
    DealForecast,
    DealReview,
    ExitCriterion,
    ForecastCall,
    ForecastCategory,
    Scorecard,
    SignalKind,
    StageStatistic,
    StrategyCanvas,
)
from firstline.deals.selectors import current_teams
from firstline.deals.services import default_framework, risk_refresh, stage_statistics_refresh
from firstline.demo.catalog import COMPETITORS, FIRST_NAMES, LAST_NAMES
from firstline.kpis.forecast import History
from firstline.org.models import Membership, Role, Team, TeamKind
from firstline.pipeline.models import Opportunity, Outcome, SalesStage, StageChange
from firstline.relationships.models import Contact, InternalPartner, Stakeholder

ROWS = 1_000
PLANTED_PER_SIGNAL = 8
HEALTHY_SHARE_OF_LIMIT = 0.8  # ordinary deals have been in their stage at most this share of the threshold
CRITERIA = {
    "Prospect": ("A named contact confirmed a business problem", "A first meeting is booked"),
    "Qualify": (
        "Budget is confirmed",
        "The economic buyer is named",
        "A champion is named",
        "Timing is agreed",
    ),
    "Develop": ("The buying group saw a tailored demo", "Success criteria are agreed in writing"),
    "Propose": ("A priced proposal is delivered", "The economic buyer reviewed the proposal"),
    "Negotiate": ("Terms are agreed in principle", "The signing path and dates are known"),
}
TITLES = {
    "economic_buyer": ("CFO", "COO", "VP Finance", "Chief Data Officer"),
    "champion": ("Head of Analytics", "Director of BI", "Finance Systems Lead"),
    "user": ("Financial Analyst", "Sales Operations Manager", "Data Analyst"),
    "technical": ("IT Director", "Data Architect", "Security Lead"),
    "blocker": ("Procurement Manager", "Head of IT Infrastructure"),
}
NEEDS = (
    ("One forecast everyone trusts", "Forecast Studio with a shared pipeline model"),
    ("Month-end close takes nine days", "Insight Cloud finance dashboards fed nightly"),
    ("Data scattered across five tools", "Pipeline Connectors into one model"),
    ("Auditors question report lineage", "Governance Suite lineage and access reviews"),
)
NEEDS_JSON = tuple(json.dumps([{"need": need, "solution": solution}]) for need, solution in NEEDS)
REVIEW_NOTES = (
    "Walked the buying group: the economic buyer has not seen the business case yet.",
    "Champion is strong but new in role; we need a second thread into finance.",
    "Competitor is cheaper; we agreed to sell the time-to-value, not discount.",
    "Close date depends on the security review; pull it forward with a pre-filled questionnaire.",
)


@dataclass
class DealsDemo:
    counts: dict[str, int] = field(default_factory=dict)
    planted: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))


def build_deal_guidance(*, rng: Random, today: date, stage_stays: dict | None = None) -> DealsDemo:
    """Add the deal guidance content to a demo company whose deals already exist (its statistics and
    risk signals come after the KPI roll-ups: refresh_deal_statistics). `stage_stays`:
    the deals' stays in their stages, counted while they were drawn (PipelineTotals.stage_stays);
    without them they are read back from the stage changes."""
    result = DealsDemo()
    stages = list(SalesStage.objects.order_by("order"))
    open_stages = [stage for stage in stages if stage.outcome == Outcome.OPEN]
    with transaction.atomic():
        _criteria(open_stages)
    # Only the stall thresholds the pacing below needs; the refresh at the end learns everything.
    stays = None if stage_stays is None else _stays_by_team(stage_stays)
    stage_statistics_refresh(today=today, forecast=False, stays=stays)
    deals = list(
        Opportunity.objects.open()
        .order_by("pk")
        .values_list("pk", "owner_id", "account_id", "stage__order", "amount", "close_date")
    )
    qualifying = open_stages[1].order if len(open_stages) > 1 else None
    result.planted[SignalKind.PAST_CLOSE] = [pk for pk, *_rest, close in deals if close and close < today]
    past_close = set(result.planted[SignalKind.PAST_CLOSE])  # once: built per deal, it went quadratic
    candidates = [d for d in deals if qualifying and d[3] >= qualifying and d[0] not in past_close]
    rng.shuffle(candidates)
    kinds = [k for k in SignalKind.values if k != SignalKind.PAST_CLOSE]
    plan = {
        deal[0]: kinds[i // PLANTED_PER_SIGNAL]
        for i, deal in enumerate(candidates[: PLANTED_PER_SIGNAL * len(kinds)])
    }
    for pk, kind in plan.items():
        result.planted[kind].append(pk)
    with transaction.atomic():
        owners = {deal[0]: deal[1] for deal in deals}
        stalled = _move_at_normal_pace(rng, owners, set(result.planted[SignalKind.STALLED]))
        result.planted[SignalKind.STALLED] = sorted(stalled)
        result.counts.update(_stakeholders(rng, today, deals, qualifying, plan))
        _plant_history(rng, today, result.planted)
        Opportunity.objects.filter(pk__in=result.planted[SignalKind.NO_NEXT_STEP]).update(next_step="")
        result.counts.update(_scorecards_and_canvases(rng, today, deals, open_stages))
        result.counts.update(_reviews(rng, today, deals, plan))
        result.counts.update(_forecast(rng, today, deals, open_stages))
    return result


def refresh_deal_statistics(guidance: DealsDemo, *, today: date) -> None:
    """What `firstline deals refresh` stores: the statistics (calibration, stall thresholds, timing,
    the teams' forecast figures) and the risk signals. Only once the KPI roll-ups exist: the teams'
    forecast figures take each team's recent win rate from its sellers' monthly results."""
    stage_statistics_refresh(today=today)
    guidance.counts["risk signals"] = risk_refresh(today=today)


def _stays_by_team(stage_stays: dict) -> History:
    """(owner, stage) → days, as forecast.learn_stage_days finds them: (the owner's current team,
    stage) → the days (in another order: thresholds are percentiles). The keys come in the order
    the deals were drawn, which is the order the refresh would read them in."""
    teams = current_teams({owner for owner, _stage in stage_stays})
    stage_days: dict[tuple, list[int]] = defaultdict(list)
    for (owner, stage), days in stage_stays.items():
        stage_days[(teams.get(owner), stage)].extend(days)
    return History(rates={}, stage_days=dict(stage_days), timing={})


def _criteria(open_stages) -> None:
    ExitCriterion.objects.bulk_create(
        ExitCriterion(stage=stage, text=text, order=index)
        for stage in open_stages
        for index, text in enumerate(CRITERIA.get(stage.name, ()))
    )


def _limits(owners: dict[int, int]) -> dict[int, dict[int, float]]:
    """deal → stage → the lowest stall threshold that could apply to it (its team's or the company's)."""
    teams = current_teams(set(owners.values()))
    rows = defaultdict(dict)
    for row in StageStatistic.objects.exclude(stall_days=None):
        rows[row.team_id][row.stage_id] = row.stall_days
    company = rows.get(None, {})
    # A team's limits are worked out once and shared by its deals (over a hundred thousand at full scale).
    by_team = {
        team: {stage: min(days, rows.get(team, {}).get(stage, days)) for stage, days in company.items()}
        for team in {teams.get(owner) for owner in owners.values()}
    }
    return {pk: by_team[teams.get(owner)] for pk, owner in owners.items()}


def _move_at_normal_pace(rng: Random, owners: dict[int, int], stalled: set[int]) -> set[int]:
    """Ordinary deals entered their current stage recently enough; planted ones stalled long ago
    (their whole history moves back, so the time they spent in earlier stages stays as it was).
    Returns the planted stalled deals. The new times go in through core.bulk.update_column: a hundred
    thousand open deals at full scale, where bulk_update's CASE per batch goes quadratic."""
    limits = _limits(owners)
    # The times are read as text and only those looked at become datetimes: the ORM's converter per
    # row cost more than the rest of the pacing (a few hundred thousand stage changes at full scale).
    history: dict[int, list[list]] = defaultdict(list)  # deal → [change id, stage, time as text], in order
    for change, deal, stage, changed_at in (
        StageChange.objects.filter(opportunity__stage__outcome=Outcome.OPEN)
        .order_by("opportunity_id", "changed_at", "pk")
        .values_list("pk", "opportunity_id", "stage_id")
        .annotate(at=Cast("changed_at", CharField()))
    ):
        history[deal].append([change, stage, changed_at])
    moment = _moment_reader()
    now = timezone.now()
    moved, created_back, recreated = {}, {}, {}
    for pk, changes in history.items():
        latest_pk, latest_stage, latest_at = changes[-1]
        limit = limits.get(pk, {}).get(latest_stage)
        if limit is None:
            continue
        latest_at = moment(latest_at)
        if pk in stalled:
            target = now - timedelta(days=int(limit * 1.5) + rng.randint(5, 30))
            days_back = max(0, (latest_at - target).days + 1)
            moved.update((change, moment(at) - timedelta(days=days_back)) for change, _stage, at in changes)
            created_back[pk] = days_back
            continue
        if (now - latest_at).days <= limit * HEALTHY_SHARE_OF_LIMIT:
            continue
        at = now - timedelta(days=rng.uniform(0, limit * HEALTHY_SHARE_OF_LIMIT), hours=1)
        floor = moment(changes[-2][2]) if len(changes) > 1 else None
        moved[latest_pk] = max(at, floor + timedelta(hours=1)) if floor else at
        if floor is None:  # its only stage change is its creation: the deal was opened then
            recreated[pk] = timezone.localtime(moved[latest_pk]).date()
    adapt = datetime_adapter()
    update_column(StageChange, "changed_at", {pk: adapt(at) for pk, at in moved.items()})
    for pk, created in Opportunity.objects.filter(pk__in=list(created_back)).values_list("pk", "created"):
        recreated[pk] = created - timedelta(days=created_back[pk])
    update_column(Opportunity, "created", recreated)
    return {pk for pk in stalled if pk in created_back}


def _moment_reader():
    """A datetime column read as text → the aware datetime the ORM would give: both databases write
    the text in the connection's time zone (SQLite without an offset, PostgreSQL with one)."""
    stored_in = connection.timezone

    def moment(text: str) -> datetime:
        value = datetime.fromisoformat(text)
        return value if value.tzinfo else value.replace(tzinfo=stored_in)

    return moment


def _name(rng: Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


STAKEHOLDER_COLUMNS = table_columns(Stakeholder)[1:]  # the database numbers them
STANCES, INFLUENCES, NUDGES = (-1, 0, 1, 1), (2, 3), (-1, 0, 1)
FIXED_STANCE = {"champion": 2, "blocker": -1}
FIXED_INFLUENCE = {"economic_buyer": 5, "champion": 4, "blocker": 4}


def _stakeholders(rng: Random, today: date, deals, qualifying, plan) -> dict[str, int]:
    """Contacts for every account with an open deal, and who plays which part on it: plain rows
    through the bulk fast path (half a million contacts and more stakeholders at full scale)."""
    accounts = sorted({deal[2] for deal in deals})
    contacts = []  # (account, role, name, title, email)
    for account in accounts:
        for role in (
            "economic_buyer",
            "champion",
            "user",
            "technical",
            *(("blocker",) if rng.random() < 0.3 else ()),
        ):
            name = _name(rng)
            email = f"{name.lower().replace(' ', '.')}@example.com"
            contacts.append((account, role, name, rng.choice(TITLES[role]), email))
    ids = reserve_ids(Contact, len(contacts))
    # Half a million rows and more into tables that start empty: their indexes are built once at the end.
    with indexes_rebuilt(Contact, len(contacts)):
        insert_rows(
            Contact,
            table_columns(Contact),
            (
                (pk, account, name, title, email, "")
                for pk, (account, _role, name, title, email) in zip(ids, contacts, strict=True)
            ),
        )
    by_account: dict[int, dict[str, int]] = defaultdict(dict)
    for pk, (account, role, *_rest) in zip(ids, contacts, strict=True):
        by_account[account][role] = pk
    rows = []
    last_contacts = tuple((today - timedelta(days=days)).isoformat() for days in range(1, 46))
    for account, roles in by_account.items():
        for role, contact in roles.items():
            rows.append(_stakeholder(rng, last_contacts, account, None, contact, role))
    for pk, _owner, account, order, *_rest in deals:
        roles = by_account[account]
        kind = plan.get(pk)
        if kind == SignalKind.SINGLE_THREADED:
            chosen = [rng.choice(["user", "technical"])]
        elif kind == SignalKind.NO_POWER:
            chosen = ["user", "technical"]
        elif qualifying is None or order < qualifying:
            chosen = ["champion"] if rng.random() < 0.6 else []
        else:
            chosen = ["economic_buyer", "champion", *rng.sample(["user", "technical"], rng.randint(0, 2))]
        rows.extend(_stakeholder(rng, last_contacts, account, pk, roles[r], r) for r in chosen)
    with indexes_rebuilt(Stakeholder, len(rows)):
        insert_rows(Stakeholder, STAKEHOLDER_COLUMNS, rows)
    return {"contacts": len(contacts), "stakeholders": len(rows)}


def _stakeholder(rng, last_contacts, account, opportunity, contact, role) -> tuple:
    """A row in the order of STAKEHOLDER_COLUMNS; `last_contacts`: the days 1 to 45 days ago, as text.
    A stance and an influence are drawn for every role, even one that has its own, and rng.choice
    over n values draws what rng.randint over as many does: the same stream as ever, for less."""
    drawn_stance, drawn_influence = rng.choice(STANCES), rng.choice(INFLUENCES)
    stance = FIXED_STANCE.get(role, drawn_stance)
    influence = FIXED_INFLUENCE.get(role, drawn_influence)
    strength = max(1, min(5, 3 + stance // 2 + rng.choice(NUDGES)))
    return (account, opportunity, contact, role, influence, stance, strength, rng.choice(last_contacts), "")


def _plant_history(rng: Random, today: date, planted) -> None:
    """Edits in the audit log for the planted slipped close dates and cut amounts."""
    content_type = ContentType.objects.get_for_model(Opportunity)
    entries = []
    tz = timezone.get_current_timezone()
    deals = Opportunity.objects.in_bulk(planted[SignalKind.SLIPPED] + planted[SignalKind.AMOUNT_CUT])
    for pk in planted[SignalKind.SLIPPED]:
        deal = deals[pk]
        slips = rng.randint(2, 3)
        dates = [deal.close_date - timedelta(days=30 * (slips - i)) for i in range(slips + 1)]
        for i in range(slips):
            at = datetime.combine(today - timedelta(days=10 * (slips - i)), time(10), tzinfo=tz)
            changes = {"close_date": [dates[i].isoformat(), dates[i + 1].isoformat()]}
            entries.append(_log(content_type, deal, at, changes))
    for pk in planted[SignalKind.AMOUNT_CUT]:
        deal = deals[pk]
        before = (deal.amount / Decimal("0.6")).quantize(Decimal("1"))
        at = datetime.combine(today - timedelta(days=rng.randint(3, 20)), time(11), tzinfo=tz)
        entries.append(_log(content_type, deal, at, {"amount": [f"{before}.00", str(deal.amount)]}))
    LogEntry.objects.bulk_create(entries)


def _log(content_type, deal, at, changes) -> LogEntry:
    return LogEntry(
        content_type=content_type,
        object_pk=str(deal.pk),
        object_id=deal.pk,
        object_repr=str(deal)[:200],
        action=LogEntry.Action.UPDATE,
        changes=changes,
        changes_text="",
        timestamp=at,
    )


SCORECARD_COLUMNS = table_columns(Scorecard)[1:]  # the database numbers them
CANVAS_COLUMNS = table_columns(StrategyCanvas)[1:]
CANVAS_OPTIONS = json.dumps(
    [
        {"option": "Offer a paid pilot", "consequences": "Shorter decision, smaller first order"},
        {"option": "Go straight to an enterprise proposal", "consequences": "Bigger deal, longer cycle"},
    ]
)


def _scorecards_and_canvases(rng: Random, today: date, deals, open_stages) -> dict[str, int]:
    """A scorecard for every open deal and a canvas or two for the later ones: plain rows through the
    bulk fast path (JSON as the text Django's JSONField writes)."""
    framework = default_framework()
    keys = framework.element_keys()
    adapt = datetime_adapter()
    now = timezone.now()
    stamp = adapt(now)
    created_at = {version: adapt(now - timedelta(days=14 * (2 - version))) for version in (1, 2)}
    top = {stage.order: index for index, stage in enumerate(open_stages)}
    scorecards, canvases = [], []
    for pk, owner, _account, order, *_rest in deals:
        progress = top.get(order, 0) / max(1, len(open_stages) - 1)
        scores = {key: max(0, min(3, round(progress * 3 + rng.uniform(-1.2, 0.8)))) for key in keys}
        scorecards.append((pk, framework.pk, json.dumps(scores), "{}", owner, stamp))
        if progress >= 0.5:
            for version in range(1, rng.randint(1, 2) + 1):
                canvases.append(_canvas(rng, pk, owner, version, created_at[version]))
    with indexes_rebuilt(Scorecard, len(scorecards)):
        insert_rows(Scorecard, SCORECARD_COLUMNS, scorecards)
    with indexes_rebuilt(StrategyCanvas, len(canvases)):
        insert_rows(StrategyCanvas, CANVAS_COLUMNS, canvases)
    return {"scorecards": len(scorecards), "strategy canvases": len(canvases)}


def _canvas(rng: Random, opportunity: int, author: int, version: int, created_at) -> tuple:
    """A row in the order of CANVAS_COLUMNS."""
    return (
        opportunity,
        version,
        rng.choice(NEEDS_JSON),
        "Budget approved for this fiscal year; three business units involved.",
        "Security review takes four weeks; procurement needs three quotes.",
        rng.choice(COMPETITORS),
        "Lower list price; incumbent in IT.",
        "No finance-grade forecasting; weak lineage.",
        "Win the finance use case first; land a reference in the segment.",
        CANVAS_OPTIONS,
        "Paid pilot with success criteria signed by the economic buyer." if version > 1 else "",
        author,
        created_at,
    )


def _reviews(rng: Random, today: date, deals, plan) -> dict[str, int]:
    """Each first-line manager reviewed a handful of their team's biggest deals; the planted ones
    stay unreviewed so the queue has work in it."""
    team_of = dict(Membership.objects.current().values_list("person_id", "team__manager_id"))
    by_manager: dict[int, list] = defaultdict(list)
    for deal in deals:
        manager = team_of.get(deal[1])
        if manager and deal[0] not in plan:
            by_manager[manager].append(deal)
    reviews, items = [], []
    for manager, team_deals in sorted(by_manager.items()):
        for deal in sorted(team_deals, key=lambda d: -(d[4] or 0))[: rng.randint(3, 6)]:
            review = DealReview(
                opportunity_id=deal[0],
                reviewer_id=manager,
                notes=rng.choice(REVIEW_NOTES),
                held_on=today - timedelta(days=rng.randint(1, 40)),
            )
            reviews.append(review)
            items.append((review, deal[1]))
    DealReview.objects.bulk_create(reviews, batch_size=ROWS)
    actions = [
        ActionItem(
            opportunity_id=review.opportunity_id,
            review=review,
            owner_id=owner,
            text="Meet the economic buyer with the business case",
            due=review.held_on + timedelta(days=14),
            done_on=review.held_on + timedelta(days=7) if rng.random() < 0.4 else None,
        )
        for review, owner in items
    ]
    ActionItem.objects.bulk_create(actions, batch_size=ROWS)
    partners = [
        InternalPartner(
            account_id=deal[2],
            opportunity_id=deal[0],
            person_id=manager,
            part="executive_sponsor",
            contribution="Meets the economic buyer at the proposal.",
        )
        for manager, team_deals in by_manager.items()
        for deal in sorted(team_deals, key=lambda d: -(d[4] or 0))[:2]
    ]
    InternalPartner.objects.bulk_create(partners)
    return {"deal reviews": len(reviews), "action items": len(actions), "internal partners": len(partners)}


FORECAST_COLUMNS = table_columns(DealForecast)[1:]  # the database numbers them


def _forecast(rng: Random, today: date, deals, open_stages) -> dict[str, int]:
    from firstline.core.periods import fiscal_calendar

    quarter = fiscal_calendar().quarter_of(today)
    orders = [stage.order for stage in open_stages]
    now = timezone.now()
    stamp = datetime_adapter()(now)
    # Tens of thousands of categories at full scale: plain rows through the bulk fast path.
    categories, commit, best = [], defaultdict(float), defaultdict(float)
    for pk, owner, _account, order, amount, close in deals:
        if close is None or not quarter.start <= close <= quarter.end:
            continue
        rank = orders.index(order) if order in orders else 0
        category = (
            ForecastCategory.OMITTED
            if rng.random() < 0.05
            else ForecastCategory.COMMIT
            if rank >= len(orders) - 2
            else ForecastCategory.BEST_CASE
            if rank >= len(orders) - 3
            else ForecastCategory.PIPELINE
        )
        categories.append((pk, str(category), owner, stamp))
        if category == ForecastCategory.COMMIT:
            commit[owner] += float(amount or 0)
        if category in (ForecastCategory.COMMIT, ForecastCategory.BEST_CASE):
            best[owner] += float(amount or 0)
    insert_rows(DealForecast, FORECAST_COLUMNS, categories)
    won = defaultdict(float)
    for owner, amount in Opportunity.objects.won().closed_in(quarter).values_list("owner_id", "amount"):
        won[owner] += float(amount or 0)
    sellers = (
        Membership.objects.current().filter(person__role=Role.SELLER).values_list("person_id", flat=True)
    )
    calls = []
    for seller in sellers:
        for weeks_ago in (4, 2, 0):
            base = won[seller] + commit[seller] * rng.uniform(0.8, 1.0)
            calls.append(
                ForecastCall(
                    period=quarter.label,
                    person_id=seller,
                    commit=_round(base),
                    best_case=_round(base + (best[seller] - commit[seller]) * 0.6),
                    author_id=seller,
                    made_at=now - timedelta(weeks=weeks_ago),
                )
            )
    for team in Team.objects.filter(kind=TeamKind.TEAM).exclude(manager=None).order_by("pk")[:4]:
        members = Membership.objects.current().filter(team=team).values_list("person_id", flat=True)
        total = sum(won[p] + commit[p] for p in members)
        calls.append(
            ForecastCall(
                period=quarter.label,
                team=team,
                commit=_round(total * 0.9),
                best_case=_round(total * 1.1),
                author_id=team.manager_id,
                note="Haircut on two deals waiting for security review.",
                made_at=now,
            )
        )
    ForecastCall.objects.bulk_create(calls, batch_size=ROWS)
    return {"forecast categories": len(categories), "forecast calls": len(calls)}


def _round(value: float) -> Decimal:
    return Decimal(round(value / 1000) * 1000)
