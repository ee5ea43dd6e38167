"""Hiring and engagement for the demo company: positions filled by the year's new hires (with the
candidates who did not get the job and their scorecards), a few open positions, and a quarterly
company-wide pulse plus one open now, answered by about three in four people.

Teams differ in engagement, so the eNPS per team and the retention-risk view have contrast.
"""

import uuid
from datetime import timedelta
from random import Random

from django.db import connection, transaction

from firstline.coaching.models import CompetencyFramework
from firstline.core.bulk import insert_rows
from firstline.demo.catalog import FIRST_NAMES, LAST_NAMES
from firstline.demo.instances import InstanceFactory
from firstline.demo.timeline import Timeline
from firstline.org.models import Membership, Person, Role, Team, TeamKind
from firstline.talent.models import (
    Candidate,
    Position,
    Pulse,
    PulseParticipation,
    PulseResponse,
    Scorecard,
    ScorecardRating,
)

SOURCES = ("Referral", "Job board", "Agency", "LinkedIn", "Career fair")
OPEN_POSITION_SHARE = 0.5  # of first-line teams, hiring right now
PULSE_ANSWER_RATE = 0.75


def build_talent(*, seed: int, timeline: Timeline) -> dict[str, int]:
    rng = Random(f"talent-{seed}")
    framework = CompetencyFramework.objects.get(audience="seller", is_default=True)
    competency_ids = list(framework.competencies.values_list("pk", flat=True))
    teams = list(
        Team.objects.filter(kind=TeamKind.TEAM).order_by("pk").values_list("pk", "manager_id", "name")
    )
    with transaction.atomic():
        counts = _hiring(rng, teams, competency_ids, timeline)
        counts.update(_pulses(rng, teams, timeline))
    return counts


def _hiring(rng, teams, competency_ids, timeline) -> dict[str, int]:
    today = timeline.today
    since = timeline.start  # every hire of the demo history came through a position
    manager_of = {team: manager for team, manager, _name in teams}
    hires = list(
        Membership.objects.filter(
            person__role=Role.SELLER, person__hired_on__gte=since, team_id__in=manager_of
        )
        .order_by("person_id")
        .values_list(
            "person_id", "team_id", "person__hired_on", "person__name", "person__email", "person__title"
        )
    )
    make_position = InstanceFactory(Position)
    positions, hired = [], []
    for person_id, team_id, hired_on, name, email, title in hires:
        opened = hired_on - timedelta(days=rng.randint(28, 95))
        positions.append(
            make_position(
                team_id=team_id,
                title=title,
                hiring_manager_id=manager_of[team_id],
                opened_on=opened,
                filled_on=hired_on,
                status="filled",
            )
        )
        hired.append((person_id, name, email, hired_on))
    for team_id, manager_id, _name in teams:
        if rng.random() < OPEN_POSITION_SHARE:
            positions.append(
                make_position(
                    team_id=team_id,
                    title="Account Executive",
                    hiring_manager_id=manager_id,
                    opened_on=today - timedelta(days=rng.randint(5, 70)),
                    status="open",
                )
            )
            hired.append(None)
    Position.objects.bulk_create(positions, batch_size=2000)
    candidates = _candidates(rng, positions, hired, today)
    Candidate.objects.bulk_create(candidates, batch_size=2000)
    scorecards, ratings = _scorecards(rng, candidates, manager_of, positions, competency_ids)
    return {
        "positions": len(positions),
        "candidates": len(candidates),
        "scorecards": scorecards,
        "scores": ratings,
    }


def _candidates(rng, positions, hired, today):
    make = InstanceFactory(Candidate)
    rows = []
    for index, (position, hire) in enumerate(zip(positions, hired, strict=True)):
        end = position.filled_on or today
        for number in range(rng.randint(3, 7)):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            applied = position.opened_on + timedelta(
                days=rng.randint(0, max(1, (end - position.opened_on).days - 7))
            )
            if hire is None:
                stage = rng.choices(
                    ["sourced", "screen", "interview", "offer", "declined"], weights=[3, 3, 3, 1, 2]
                )[0]
            else:
                stage = "declined"
            rows.append(
                make(
                    position_id=position.pk,
                    name=f"{first} {last}",
                    email=f"candidate{index}-{number}@mail.example",
                    source=rng.choice(SOURCES),
                    stage=stage,
                    applied_on=applied,
                    stage_changed_on=min(today, applied + timedelta(days=rng.randint(3, 20))),
                )
            )
        if hire is not None:
            person_id, name, email, hired_on = hire
            rows.append(
                make(
                    position_id=position.pk,
                    name=name,
                    email=email,
                    source=rng.choice(SOURCES),
                    stage="hired",
                    applied_on=position.opened_on + timedelta(days=3),
                    stage_changed_on=hired_on,
                    hired_person_id=person_id,
                )
            )
    return rows


def _scorecards(rng, candidates, manager_of, positions, competency_ids):
    team_of = {p.pk: p.team_id for p in positions}
    make, make_rating = InstanceFactory(Scorecard), InstanceFactory(ScorecardRating)
    cards, centres = [], []
    for candidate in candidates:
        if candidate.stage in ("sourced", "screen") or (candidate.stage == "declined" and rng.random() < 0.5):
            continue
        hired = candidate.stage == "hired"
        centre = rng.uniform(3.4, 4.4) if hired else rng.uniform(2.2, 3.8)
        cards.append(
            make(
                candidate_id=candidate.pk,
                interviewer_id=manager_of[team_of[candidate.position_id]],
                interviewed_on=candidate.applied_on + timedelta(days=rng.randint(4, 14)),
                recommendation=("strong_yes" if centre > 4 else "yes") if centre > 3.2 else "no",
                notes="",
            )
        )
        centres.append(centre)
    Scorecard.objects.bulk_create(cards, batch_size=2000)
    ratings = [
        make_rating(
            scorecard_id=card.pk, competency_id=c, score=min(5, max(1, round(rng.gauss(centre, 0.6))))
        )
        for card, centre in zip(cards, centres, strict=True)
        for c in rng.sample(competency_ids, 4)
    ]
    ScorecardRating.objects.bulk_create(ratings, batch_size=5000)
    return len(cards), len(ratings)


def _pulses(rng, teams, timeline) -> dict[str, int]:
    today = timeline.today
    company = Team.objects.filter(parent=None).order_by("pk").first()
    pulses = [
        Pulse(
            team=company,
            title=f"Pulse {quarter.label}",
            opens_on=quarter.end - timedelta(days=20),
            closes_on=quarter.end - timedelta(days=6),
        )
        for quarter in timeline.quarters
        if today - timedelta(days=365) < quarter.end <= today
    ]
    pulses.append(
        Pulse(
            team=company,
            title="Pulse now",
            opens_on=today - timedelta(days=4),
            closes_on=today + timedelta(days=10),
        )
    )
    Pulse.objects.bulk_create(pulses)
    mood = {team: rng.gauss(7.6, 1.1) for team, _manager, _name in teams}
    demo_seller = (
        Person.objects.filter(role=Role.SELLER, user__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    people = list(
        Membership.objects.active_on(today).order_by("person_id").values_list("person_id", "team_id")
    )
    as_column = PulseResponse._meta.pk.get_db_prep_value  # a UUID as the column stores it
    responses, participations = [], []
    for index, pulse in enumerate(pulses):
        drift = 0.15 * (index - len(pulses) / 2)  # engagement rose a little over the year
        for person_id, team_id in people:
            is_now = pulse is pulses[-1]
            if rng.random() > (0.45 if is_now else PULSE_ANSWER_RATE) or (
                is_now and person_id == demo_seller
            ):
                continue  # the demo seller still has the open pulse to answer
            centre = mood.get(team_id, 7.8) + drift
            answer_id = uuid.UUID(int=rng.getrandbits(128), version=4)
            responses.append(
                (
                    as_column(answer_id, connection),
                    pulse.pk,
                    team_id,
                    min(10, max(0, round(rng.gauss(centre, 1.8)))),
                    _agree(rng, centre),
                    _agree(rng, centre),
                    _agree(rng, centre),
                )
            )
            participations.append((pulse.pk, person_id))
    rng.shuffle(responses)  # no order to match against the participations
    insert_rows(PulseResponse, ["id", "pulse_id", "team_id", "enps", "tools", "manager", "stay"], responses)
    insert_rows(PulseParticipation, ["pulse_id", "person_id"], participations)
    return {"pulses": len(pulses), "pulse answers": len(responses)}


def _agree(rng: Random, centre: float) -> int:
    return min(5, max(1, round(rng.gauss(centre / 2, 0.8))))
