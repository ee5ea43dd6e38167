"""A year of coaching for the demo company: 1:1s and deal reviews with notes and action items,
recurring 1:1 schedules, two rounds of assessments and a development plan per seller.

Managers differ in how often they coach (from about monthly to weekly), so the cadence view and
the retention-risk rules have something to show. Rows are built without Model.__init__ and bulk
inserted, a few statements per thousand sellers.
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
from firstline.demo.instances import InstanceFactory
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
    make_session = InstanceFactory(CoachingSession)
    plans = []  # (session, focus, note kinds)
    for seller in sellers:
        start = max(today - timedelta(days=365), seller.hired_on)
        day = start + timedelta(days=rng.randint(1, 20))
        per_month = cadence[seller.manager_id]
        while day <= today:
            kind = rng.choices([k for k, _ in KINDS], weights=[w for _, w in KINDS])[0]
            session = make_session(
                seller_id=seller.person_id, coach_id=seller.manager_id, kind=kind, held_on=day
            )
            plans.append((session, rng.sample(competencies, rng.choice([1, 1, 2]))))
            day += timedelta(days=max(3, round(rng.expovariate(per_month / 30.4))))
    sessions = CoachingSession.objects.bulk_create([session for session, _focus in plans], batch_size=2000)
    through = CoachingSession.focus.through
    CoachingSession.focus.through.objects.bulk_create(
        [
            through(coachingsession_id=s.pk, competency_id=c.pk)
            for s, (_, focus) in zip(sessions, plans, strict=True)
            for c in focus
        ],
        batch_size=5000,
    )
    notes, items = _notes_and_items(rng, plans, today)
    CoachingNote.objects.bulk_create(notes, batch_size=2000)
    ActionItem.objects.bulk_create(items, batch_size=2000)
    return {"coaching sessions": len(sessions), "coaching notes": len(notes), "action items": len(items)}


def _notes_and_items(rng, plans, today):
    make_note, make_item = InstanceFactory(CoachingNote), InstanceFactory(ActionItem)
    notes, items = [], []
    for session, focus in plans:
        created = session.held_on
        text = rng.choice(SHARED_NOTES[session.kind]).format(focus=focus[0].name.lower())
        notes.append(
            make_note(session_id=session.pk, author_id=session.coach_id, body=text, created=_moment(created))
        )
        if rng.random() < 0.12:
            notes.append(
                make_note(
                    session_id=session.pk,
                    author_id=session.coach_id,
                    visibility="private",
                    body=rng.choice(PRIVATE_NOTES),
                    created=_moment(created),
                )
            )
        for _ in range(rng.choice([0, 1, 1, 2])):
            due = session.held_on + timedelta(days=rng.randint(5, 21))
            # Most follow-ups get done within days of the due date; some slip and are carried forward.
            done = due + timedelta(days=rng.randint(-4, 6)) if rng.random() < 0.85 else None
            owner = session.seller_id if rng.random() < 0.8 else session.coach_id
            items.append(
                make_item(
                    session_id=session.pk,
                    owner_id=owner,
                    description=rng.choice(ACTIONS),
                    due_on=due,
                    done_on=done if done is not None and done <= today else None,
                )
            )
    return notes, items


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(9), tzinfo=timezone.get_current_timezone())


def _schedules(rng, sellers, cadence, today) -> int:
    every = {1.0: 28, 1.5: 28, 2.0: 14, 2.5: 14, 3.0: 7, 4.0: 7}
    make = InstanceFactory(OneOnOneSchedule)
    rows = [
        make(
            seller_id=s.person_id,
            coach_id=s.manager_id,
            every_days=every[cadence[s.manager_id]],
            next_on=today + timedelta(days=rng.randint(0, every[cadence[s.manager_id]] - 1)),
            active=True,
        )
        for s in sellers
        if rng.random() < 0.85
    ]
    OneOnOneSchedule.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _score(rng: Random, centre: float) -> int:
    return min(5, max(1, round(rng.gauss(centre, 0.7))))


def _assessments(rng, sellers, framework, competencies, today) -> int:
    """Two rounds, about six months apart; sellers rate themselves a little higher than managers do,
    and most improve between rounds."""
    make, make_rating = InstanceFactory(Assessment), InstanceFactory(Rating)
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
                assessments.append(
                    make(
                        person_id=seller.person_id,
                        assessor_id=assessor,
                        kind=kind,
                        framework_id=framework.pk,
                        assessed_on=day + offset,
                        summary="",
                    )
                )
                centres.append((seller, seller.skill + growth + bias))
    saved = Assessment.objects.bulk_create(assessments, batch_size=2000)
    ratings = [
        make_rating(
            assessment_id=a.pk,
            competency_id=c.pk,
            score=_score(rng, centre + strengths[seller.person_id][c.pk]),
            evidence="",
        )
        for a, (seller, centre) in zip(saved, centres, strict=True)
        for c in competencies
    ]
    Rating.objects.bulk_create(ratings, batch_size=5000)
    return len(saved)


def _plans(rng, sellers, competencies: list[Competency], today) -> int:
    make_plan, make_goal = InstanceFactory(DevelopmentPlan), InstanceFactory(DevelopmentGoal)
    plans = [
        make_plan(
            person_id=s.person_id,
            title="Development plan",
            starts_on=today - timedelta(days=110),
            ends_on=today + timedelta(days=255),
            created_by_id=s.manager_id,
        )
        for s in sellers
    ]
    DevelopmentPlan.objects.bulk_create(plans, batch_size=2000)
    goals = []
    for plan in plans:
        for competency in rng.sample(competencies, 2):
            due = today + timedelta(days=rng.randint(-40, 150))
            status = rng.choices(
                ["not_started", "in_progress", "done"], weights=[2, 5, 2 if due > today else 4]
            )[0]
            goals.append(
                make_goal(
                    plan_id=plan.pk,
                    competency_id=competency.pk,
                    due_on=due,
                    status=status,
                    title=f"Reach the next level in {competency.name.lower()}",
                )
            )
    DevelopmentGoal.objects.bulk_create(goals, batch_size=2000)
    by_name = {c.pk: c.name for c in competencies}
    actions, resources = [], []
    make_action, make_resource = InstanceFactory(DevelopmentAction), InstanceFactory(LearningResource)
    for goal in goals:
        for step in range(2):
            due = goal.due_on - timedelta(days=30 * (1 - step) + 10)
            done = goal.status == "done" or (goal.status == "in_progress" and step == 0)
            actions.append(
                make_action(
                    goal_id=goal.pk,
                    description=rng.choice(ACTIONS),
                    due_on=due,
                    done_on=min(due, today) if done else None,
                )
            )
        title = RESOURCES.get(by_name[goal.competency_id], "Sales playbook")
        slug = title.lower().replace(" ", "-").replace(",", "")
        resources.append(
            make_resource(
                goal_id=goal.pk, title=title, url=f"https://learning.northwind-analytics.example/{slug}"
            )
        )
    DevelopmentAction.objects.bulk_create(actions, batch_size=5000)
    LearningResource.objects.bulk_create(resources, batch_size=5000)
    return len(plans)
