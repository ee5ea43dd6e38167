"""The demo company's people and org tree: VP, regions, first-line teams, sellers, sign-in users."""

import math
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from random import Random
from typing import Protocol

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from firstline.demo.catalog import (
    COMPANY_NAME,
    DEMO_PASSWORD,
    EMAIL_DOMAIN,
    FIRST_NAMES,
    FOCUSES,
    LAST_NAMES,
    REGIONS,
    Focus,
    Region,
)
from firstline.demo.timeline import Timeline
from firstline.org.models import Membership, Person, Role, Team, TeamKind

SELLERS_PER_TEAM = 7.5
TEAM_SIZE = (5, 12)
NEW_HIRE_SHARE = 0.12  # sellers hired during the three years, who ramp up
MOVER_SHARE = 0.05  # sellers who changed team during the three years


@dataclass
class PersonPlan:
    name: str
    first_name: str
    last_name: str
    role: str
    title: str
    hired_on: date
    signs_in: bool = False


@dataclass
class TeamPlan:
    name: str
    kind: str
    manager: int  # index into the people
    parent: int | None = None  # index into the teams
    region: Region | None = None
    focus: Focus | None = None
    coaching: float = 1.0  # how much the manager lifts the team's win rate


@dataclass(frozen=True)
class MembershipPlan:
    person: int
    team: int
    start: date
    end: date | None = None


@dataclass(frozen=True)
class SellerProfile:
    """What the pipeline generator needs to know about a seller; kept in memory for the whole run."""

    index: int
    person_id: int
    hired_on: date
    region: Region
    focus: Focus
    win_skill: float
    size_skill: float
    quota_factor: float
    improving: bool = False  # in the team whose win rate climbs over the three years


class Hire(Protocol):
    def __call__(self, role: str, title: str, *, min_years: float, max_years: float) -> int: ...


@dataclass
class OrgPlan:
    people: list[PersonPlan] = field(default_factory=list)
    teams: list[TeamPlan] = field(default_factory=list)
    memberships: list[MembershipPlan] = field(default_factory=list)
    seller_teams: list[int] = field(default_factory=list)  # current team of each seller
    first_seller: int = 0  # index into the people of the first seller


@dataclass(frozen=True)
class Company:
    sellers: list[SellerProfile]
    counts: dict[str, int]


def build_company(*, rng: Random, sellers: int, timeline: Timeline) -> Company:
    """Plan the org in memory, then write it in one transaction."""
    plan = _plan_org(rng=rng, sellers=sellers, timeline=timeline)
    with transaction.atomic():
        person_ids, users = _save_people(plan.people)
        team_ids = _save_teams(plan.teams, person_ids)
        Membership.objects.bulk_create(
            Membership(person_id=person_ids[m.person], team_id=team_ids[m.team], start=m.start, end=m.end)
            for m in plan.memberships
        )
    profiles = _seller_profiles(rng=rng, plan=plan, person_ids=person_ids)
    counts = {
        "people": len(plan.people),
        "users": users,
        "teams": len(plan.teams),
        "memberships": len(plan.memberships),
    }
    return Company(sellers=profiles, counts=counts)


def team_sizes(*, rng: Random, sellers: int) -> list[int]:
    """First-line team sizes within TEAM_SIZE, about SELLERS_PER_TEAM each, adding up to `sellers`."""
    smallest, largest = TEAM_SIZE
    teams = min(max(round(sellers / SELLERS_PER_TEAM), math.ceil(sellers / largest)), sellers // smallest)
    sizes = [smallest] * teams
    for _ in range(sellers - smallest * teams):
        growable = [index for index, size in enumerate(sizes) if size < largest]
        sizes[rng.choice(growable)] += 1
    return sizes


def _plan_org(*, rng: Random, sellers: int, timeline: Timeline) -> OrgPlan:
    sizes = team_sizes(rng=rng, sellers=sellers)
    region_count = max(1, min(len(sizes), round(math.sqrt(len(sizes)))))
    names = _unique_names(rng, 1 + region_count + len(sizes) + 2 + sellers)
    plan = OrgPlan()

    def hire(role: str, title: str, *, min_years: float, max_years: float) -> int:
        first, last = names[len(plan.people)]
        days_before = rng.randint(int(min_years * 365), int(max_years * 365))
        hired_on = timeline.start - timedelta(days=days_before)
        plan.people.append(PersonPlan(f"{first} {last}", first, last, role, title, hired_on))
        return len(plan.people) - 1

    vp = hire(Role.EXECUTIVE, "Vice President of Sales", min_years=1, max_years=6)
    plan.teams.append(TeamPlan(COMPANY_NAME, TeamKind.COMPANY, manager=vp))
    plan.memberships.append(MembershipPlan(vp, 0, plan.people[vp].hired_on))
    regions = [_region(index) for index in range(region_count)]
    for region in regions:
        director = hire(Role.EXECUTIVE, f"Regional Director, {region.name}", min_years=1, max_years=7)
        plan.teams.append(TeamPlan(region.name, TeamKind.REGION, manager=director, parent=0, region=region))
        plan.memberships.append(MembershipPlan(director, 0, plan.people[director].hired_on))
    _plan_first_line_teams(rng=rng, plan=plan, hire=hire, team_count=len(sizes), region_count=region_count)
    for role, title in (
        (Role.ENABLEMENT, "Sales Enablement Lead"),
        (Role.ADMIN, "Sales Operations Administrator"),
    ):
        person = hire(role, title, min_years=0.5, max_years=5)
        plan.memberships.append(MembershipPlan(person, 0, plan.people[person].hired_on))
    _plan_sellers(rng=rng, plan=plan, sizes=sizes, timeline=timeline, hire=hire)
    for person in plan.people:
        person.signs_in = person.role != Role.SELLER
    plan.people[plan.first_seller].signs_in = True
    return plan


def _plan_first_line_teams(
    *, rng: Random, plan: OrgPlan, hire: Hire, team_count: int, region_count: int
) -> None:
    used, per_region = Counter(), Counter()
    for index in range(team_count):
        region_team = 1 + index * region_count // team_count
        region = plan.teams[region_team].region
        local = per_region[region_team]
        per_region[region_team] += 1
        city, focus = region.cities[local % len(region.cities)], FOCUSES[local % len(FOCUSES)]
        name = f"{city.name} {focus.name}"
        used[name] += 1
        if used[name] > 1:
            name = f"{name} {used[name]}"
        manager = hire(Role.MANAGER, f"Sales Manager, {name}", min_years=0.5, max_years=8)
        coaching = min(max(rng.gauss(1.0, 0.08), 0.8), 1.2)
        plan.teams.append(TeamPlan(name, TeamKind.TEAM, manager, region_team, region, focus, coaching))
        plan.memberships.append(MembershipPlan(manager, region_team, plan.people[manager].hired_on))


def _plan_sellers(*, rng: Random, plan: OrgPlan, sizes: list[int], timeline: Timeline, hire: Hire) -> None:
    first_line = [index for index, team in enumerate(plan.teams) if team.kind == TeamKind.TEAM]
    plan.first_seller = len(plan.people)
    for team, size in zip(first_line, sizes, strict=True):
        for _ in range(size):
            person = hire(Role.SELLER, plan.teams[team].focus.seller_title, min_years=0.1, max_years=9)
            plan.seller_teams.append(team)
            seller = plan.people[person]
            if rng.random() < NEW_HIRE_SHARE:
                seller.hired_on = timeline.start + timedelta(days=rng.randint(0, _days(timeline) - 120))
            elif (timeline.today - seller.hired_on).days > 4 * 365:
                seller.title = f"Senior {seller.title}"
            moved = len(first_line) > 1 and seller.hired_on < timeline.start and rng.random() < MOVER_SHARE
            if moved:
                previous = rng.choice([other for other in first_line if other != team])
                moved_on = timeline.start + timedelta(days=rng.randint(60, _days(timeline) - 30))
                plan.memberships.append(
                    MembershipPlan(person, previous, seller.hired_on, moved_on - timedelta(1))
                )
                plan.memberships.append(MembershipPlan(person, team, moved_on))
            else:
                plan.memberships.append(MembershipPlan(person, team, seller.hired_on))


def _days(timeline: Timeline) -> int:
    return (timeline.today - timeline.start).days


def _region(index: int) -> Region:
    base = REGIONS[index % len(REGIONS)]
    lap = index // len(REGIONS)
    return base if lap == 0 else Region(f"{base.name} {lap + 1}", base.cities)


def _unique_names(rng: Random, count: int) -> list[tuple[str, str]]:
    combinations = len(FIRST_NAMES) * len(LAST_NAMES)
    picks = (
        rng.sample(range(combinations), count)
        if count <= combinations
        else rng.choices(range(combinations), k=count)
    )
    return [(FIRST_NAMES[pick // len(LAST_NAMES)], LAST_NAMES[pick % len(LAST_NAMES)]) for pick in picks]


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(char for char in folded.lower() if char.isalnum())


def _save_people(people: list[PersonPlan]) -> tuple[list[int], int]:
    """Create the people, and users for those who sign in; return the person ids and the user count."""
    handles = Counter()
    mailboxes = []
    for person in people:
        handle = f"{_ascii(person.first_name)}.{_ascii(person.last_name)}"
        handles[handle] += 1
        mailboxes.append(handle if handles[handle] == 1 else f"{handle}{handles[handle]}")
    # Argon2 is slow by design; every demo user has the same published password, so one hash serves all.
    password = make_password(DEMO_PASSWORD)
    users = {
        index: get_user_model()(
            username=mailboxes[index],
            email=f"{mailboxes[index]}@{EMAIL_DOMAIN}",
            first_name=person.first_name,
            last_name=person.last_name,
            password=password,
            is_staff=person.role == Role.ADMIN,
            is_superuser=person.role == Role.ADMIN,
        )
        for index, person in enumerate(people)
        if person.signs_in
    }
    get_user_model().objects.bulk_create(users.values())
    created = Person.objects.bulk_create(
        Person(
            user_id=users[index].pk if index in users else None,
            name=person.name,
            role=person.role,
            email=f"{mailboxes[index]}@{EMAIL_DOMAIN}",
            title=person.title,
            hired_on=person.hired_on,
        )
        for index, person in enumerate(people)
    )
    return [person.pk for person in created], len(users)


def _save_teams(teams: list[TeamPlan], person_ids: list[int]) -> list[int]:
    # One save() per team, parents first, so that Team.save() keeps the materialized paths.
    saved: list[Team] = []
    for plan in teams:
        parent = saved[plan.parent] if plan.parent is not None else None
        team = Team(name=plan.name, kind=plan.kind, parent=parent, manager_id=person_ids[plan.manager])
        team.save()
        saved.append(team)
    return [team.pk for team in saved]


def _seller_profiles(*, rng: Random, plan: OrgPlan, person_ids: list[int]) -> list[SellerProfile]:
    profiles = []
    for index, team_index in enumerate(plan.seller_teams):
        person = plan.first_seller + index
        team = plan.teams[team_index]
        senior = plan.people[person].title.startswith("Senior")
        win_skill = min(max(rng.gauss(1.08 if senior else 1.0, 0.18), 0.55), 1.6) * team.coaching
        profiles.append(
            SellerProfile(
                index=index,
                person_id=person_ids[person],
                hired_on=plan.people[person].hired_on,
                region=team.region,
                focus=team.focus,
                win_skill=win_skill,
                size_skill=min(max(rng.lognormvariate(0, 0.15), 0.7), 1.5),
                quota_factor=(1.1 if senior else 1.0) * rng.uniform(0.92, 1.08),
                # The demo manager's team (that of the first seller) gets better, quarter by quarter,
                # so the dashboards have a team that improves to show.
                improving=team_index == plan.seller_teams[0],
            )
        )
    return profiles
