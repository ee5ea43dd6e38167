"""A year of coaching for the demo company: 1:1s and deal reviews with notes and action items,
recurring 1:1 schedules, two rounds of assessments and a development plan per seller.

Managers differ in how often they coach (from about monthly to weekly), so the cadence view and
the retention-risk rules have something to show. Rows are plain tuples written through the bulk
fast path (core.bulk): no model instances, no per-row SQL compilation.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from random import Random

from django.db import transaction
from django.utils import timezone

from firstline.coaching.frameworks import ensure_default_frameworks
from firstline.coaching.models import (
    ActionItem,
    Assessment,
    CoachingNote,
    CoachingSession,
    Competency,
    CompetencyFramework,
    DevelopmentAction,
    DevelopmentGoal,
    DevelopmentPlan,
    LearningResource,
    OneOnOneSchedule,
    Rating,
)
from firstline.core.bulk import datetime_adapter, indexes_rebuilt, insert_rows, reserve_ids
from firstline.demo.timeline import Timeline
from firstline.org.models import Membership, Role, Team, TeamKind

KINDS = (("one_on_one", 6), ("deal_review", 3), ("call_coaching", 2), ("territory_review", 1))
SHARED_NOTES = {
    "one_on_one": [
        "Reviewed the quarter so far; {focus} is where the next step up is.",
        "Walked through the pipeline; agreed to spend more time on {focus}.",
        "Good week. Talked about balancing new logos with renewals, and about {focus}.",
    ],
    "deal_review": [
        "Reviewed the largest open deal against the exit criteria; {focus} needs work before the proposal.",
        "Deal review: the champion is strong but the economic buyer is unknown. Practised {focus}.",
    ],
    "call_coaching": [
        "Listened to a discovery call together. Strong opening; {focus} could go deeper.",
        "Ride-along at a customer workshop. Noted two moments to sharpen {focus}.",
    ],
    "territory_review": [
        "Territory review: coverage of the top-potential accounts is thin; plan for {focus}.",
    ],
}
PRIVATE_NOTES = [
    "Mentioned feeling stretched at home this quarter; agreed to keep travel light.",
    "Asked about the path to a senior role; wants feedback on readiness.",
    "Frustrated with the commission change; listen again next time.",
]
ACTIONS = [
    "Map the buying committee on the top two deals",
    "Book a discovery call with the economic buyer",
    "Send the mutual close plan",
    "Update the territory plan with the new accounts",
    "Shadow a senior colleague's negotiation",
    "Practise the pricing conversation",
    "Review the lost-deal notes from last quarter",
]
RESOURCES = {
    "Prospecting": "Prospecting sequences that work",
    "Discovery": "Discovery question bank",
    "Solution fit": "Shaping the decision criteria",
    "Negotiation": "Trading, not giving, concessions",
    "Territory management": "Territory planning template",
    "Product knowledge": "Product certification path",
    "Relationship building": "Multi-threading playbook",
}


@dataclass(frozen=True)
class _Seller:
    person_id: int
    team_id: int
    manager_id: int
    hired_on: date
    skill: float  # 1–5 centre of their ratings


def build_coaching(*, seed: int, timeline: Timeline) -> dict[str, int]:
    rng = Random(f"coaching-{seed}")
    ensure_default_frameworks()
    framework = CompetencyFramework.objects.get(audience="seller", is_default=True)
    competencies = list(framework.competencies.all())
    sellers, cadence = _sellers(rng, timeline)
    with transaction.atomic():
        counts = _sessions(rng, sellers, cadence, competencies, timeline.today)
        counts["1:1 schedules"] = _schedules(rng, sellers, cadence, timeline.today)
        counts["assessments"] = _assessments(rng, sellers, framework, competencies, timeline.today)
        counts["development plans"] = _plans(rng, sellers, competencies, timeline.today)
    return counts


def _sellers(rng: Random, timeline: Timeline) -> tuple[list[_Seller], dict[int, float]]:
    """Current sellers of first-line teams; the cadence is sessions per month for each manager."""
    managers = dict(Team.objects.filter(kind=TeamKind.TEAM).values_list("pk", "manager_id"))
    members = (
        Membership.objects.active_on(timeline.today)
        .filter(person__role=Role.SELLER, team_id__in=managers)
        .order_by("person_id")
        .values_list("person_id", "team_id", "person__hired_on")
    )
    sellers = [
        _Seller(person, team, managers[team], hired_on, min(max(rng.gauss(3.0, 0.6), 1.5), 4.5))
        for person, team, hired_on in members
        if managers[team] is not None
    ]
    cadence = {
        manager: rng.choice([1.0, 1.5, 2.0, 2.5, 3.0, 4.0])
        for manager in sorted(set(managers.values()) - {None})
    }
    return sellers, cadence


def _sessions(rng, sellers, cadence, competencies, today) -> dict[str, int]:
    sessions, focus_of = [], []  # (seller, coach, kind, day) and each session's focus competencies
    for seller in sellers:
        start = max(today - timedelta(days=365), seller.hired_on)
        day = start + timedelta(days=rng.randint(1, 20))
        per_month = cadence[seller.manager_id]
        while day <= today:
            kind = rng.choices([k for k, _ in KINDS], weights=[w for _, w in KINDS])[0]
            sessions.append((seller.person_id, seller.manager_id, kind, day))
            focus_of.append(rng.sample(competencies, rng.choice([1, 1, 2])))
            day += timedelta(days=max(3, round(rng.expovariate(per_month / 30.4))))
    ids = reserve_ids(CoachingSession, len(sessions))
    # Hundreds of thousands of rows at full scale into tables that start empty: their indexes are
    # built once at the end (core.bulk.indexes_rebuilt), not row by row.
    with indexes_rebuilt(CoachingSession, len(sessions)):
        insert_rows(
            CoachingSession,
            ["id", "seller_id", "coach_id", "kind", "held_on"],
            ((pk, *row) for pk, row in zip(ids, sessions, strict=True)),
        )
    focus = [(pk, c.pk) for pk, chosen in zip(ids, focus_of, strict=True) for c in chosen]
    with indexes_rebuilt(CoachingSession.focus.through, len(focus)):
        insert_rows(CoachingSession.focus.through, ["coachingsession_id", "competency_id"], focus)
    notes, items = _notes_and_items(rng, zip(ids, sessions, focus_of, strict=True), today)
    with indexes_rebuilt(CoachingNote, len(notes)):
        insert_rows(CoachingNote, ["session_id", "author_id", "visibility", "body", "created"], notes)
    with indexes_rebuilt(ActionItem, len(items)):
        insert_rows(ActionItem, ["session_id", "owner_id", "description", "due_on", "done_on"], items)
    return {"coaching sessions": len(ids), "coaching notes": len(notes), "action items": len(items)}


def _notes_and_items(rng, sessions, today) -> tuple[list[tuple], list[tuple]]:
    adapt = datetime_adapter()
    zone = timezone.get_current_timezone()
    notes, items, written_at = [], [], {}
    for pk, (seller_id, coach_id, kind, held_on), focus in sessions:
        # Notes are written at 09:00 on the day of the session (a year of days, made once each).
        created = written_at.get(held_on)
        if created is None:
            created = written_at[held_on] = adapt(datetime.combine(held_on, time(9), tzinfo=zone))
        text = rng.choice(SHARED_NOTES[kind]).format(focus=focus[0].name.lower())
        notes.append((pk, coach_id, "shared", text, created))
        if rng.random() < 0.12:
            notes.append((pk, coach_id, "private", rng.choice(PRIVATE_NOTES), created))
        for _ in range(rng.choice([0, 1, 1, 2])):
            due = held_on + timedelta(days=rng.randint(5, 21))
            # Most follow-ups get done within days of the due date; some slip and are carried forward.
            done = due + timedelta(days=rng.randint(-4, 6)) if rng.random() < 0.85 else None
            owner = seller_id if rng.random() < 0.8 else coach_id
            items.append(
                (pk, owner, rng.choice(ACTIONS), due, done if done is not None and done <= today else None)
            )
    return notes, items


def _schedules(rng, sellers, cadence, today) -> int:
    every = {1.0: 28, 1.5: 28, 2.0: 14, 2.5: 14, 3.0: 7, 4.0: 7}
    rows = [
        (
            s.person_id,
            s.manager_id,
            every[cadence[s.manager_id]],
            today + timedelta(days=rng.randint(0, every[cadence[s.manager_id]] - 1)),
            True,
        )
        for s in sellers
        if rng.random() < 0.85
    ]
    return insert_rows(OneOnOneSchedule, ["seller_id", "coach_id", "every_days", "next_on", "active"], rows)


def _score(rng: Random, centre: float) -> int:
    return min(5, max(1, round(rng.gauss(centre, 0.7))))


def _assessments(rng, sellers, framework, competencies, today) -> int:
    """Two rounds, about six months apart; sellers rate themselves a little higher than managers do,
    and most improve between rounds."""
    rounds = (today - timedelta(days=300), today - timedelta(days=120))
    strengths = {s.person_id: {c.pk: rng.gauss(0, 0.6) for c in competencies} for s in sellers}
    assessments, centres = [], []
    for round_index, day in enumerate(rounds):
        for seller in sellers:
            if seller.hired_on > day - timedelta(days=30):
                continue
            growth = 0.3 * round_index
            for kind, assessor, bias in (
                ("manager", seller.manager_id, 0.0),
                ("self", seller.person_id, 0.35),
            ):
                offset = timedelta(days=rng.randint(0, 10))
                assessments.append((seller.person_id, assessor, kind, framework.pk, day + offset, ""))
                centres.append((seller, seller.skill + growth + bias))
    ids = reserve_ids(Assessment, len(assessments))
    insert_rows(
        Assessment,
        ["id", "person_id", "assessor_id", "kind", "framework_id", "assessed_on", "summary"],
        ((pk, *row) for pk, row in zip(ids, assessments, strict=True)),
    )
    ratings = (
        (pk, c.pk, _score(rng, centre + strengths[seller.person_id][c.pk]), "")
        for pk, (seller, centre) in zip(ids, centres, strict=True)
        for c in competencies
    )
    insert_rows(Rating, ["assessment_id", "competency_id", "score", "evidence"], ratings)
    return len(ids)


def _plans(rng, sellers, competencies: list[Competency], today) -> int:
    plan_ids = reserve_ids(DevelopmentPlan, len(sellers))
    starts_on, ends_on = today - timedelta(days=110), today + timedelta(days=255)
    insert_rows(
        DevelopmentPlan,
        ["id", "person_id", "title", "starts_on", "ends_on", "created_by_id"],
        (
            (pk, s.person_id, "Development plan", starts_on, ends_on, s.manager_id)
            for pk, s in zip(plan_ids, sellers, strict=True)
        ),
    )
    goals = []  # (plan, competency, title, due, status)
    for plan_id in plan_ids:
        for competency in rng.sample(competencies, 2):
            due = today + timedelta(days=rng.randint(-40, 150))
            status = rng.choices(
                ["not_started", "in_progress", "done"], weights=[2, 5, 2 if due > today else 4]
            )[0]
            goals.append(
                (plan_id, competency, f"Reach the next level in {competency.name.lower()}", due, status)
            )
    goal_ids = reserve_ids(DevelopmentGoal, len(goals))
    insert_rows(
        DevelopmentGoal,
        ["id", "plan_id", "competency_id", "title", "due_on", "status"],
        (
            (pk, plan, c.pk, title, due, status)
            for pk, (plan, c, title, due, status) in zip(goal_ids, goals, strict=True)
        ),
    )
    actions, resources = [], []
    for goal_id, (_plan, competency, _title, goal_due, status) in zip(goal_ids, goals, strict=True):
        for step in range(2):
            due = goal_due - timedelta(days=30 * (1 - step) + 10)
            done = status == "done" or (status == "in_progress" and step == 0)
            actions.append((goal_id, rng.choice(ACTIONS), due, min(due, today) if done else None))
        title = RESOURCES.get(competency.name, "Sales playbook")
        slug = title.lower().replace(" ", "-").replace(",", "")
        resources.append((goal_id, title, f"https://learning.northwind-analytics.example/{slug}"))
    insert_rows(DevelopmentAction, ["goal_id", "description", "due_on", "done_on"], actions)
    insert_rows(LearningResource, ["goal_id", "title", "url"], resources)
    return len(plan_ids)
