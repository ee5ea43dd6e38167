"""Relationship health and the stakeholder map picture. Pure: stakeholder facts in, score or SVG out.

Health (0–100) adds four parts, each with the reason it gives:
- power (40): an economic buyer (20) and a champion (20) on the map;
- strength (30): our relationship strength, weighted by each person's influence;
- stance (15): where they stand on us, weighted by influence;
- recency (15): the share of the influential people (influence 4–5) we spoke to in the last 30 days.
"""

from dataclasses import dataclass
from datetime import date
from html import escape

RECENT_DAYS = 30
ROLE_MARKS = {"economic_buyer": "EB", "champion": "CH", "user": "U", "technical": "T", "blocker": "B"}
STANCES = ("Opponent", "Skeptic", "Neutral", "Supporter", "Advocate")


@dataclass(frozen=True)
class Person:
    name: str
    role: str
    role_label: str
    influence: int  # 1–5
    stance: int  # −2 … 2
    strength: int  # 1–5
    last_contact: date | None


@dataclass(frozen=True)
class Health:
    score: int | None  # None: nobody on the map yet
    label: str
    reasons: tuple[str, ...]


def health(people: list[Person], today: date) -> Health:
    if not people:
        return Health(
            None, "no data", ("Nobody is on the map yet: add the people who decide, use and block.",)
        )
    roles = {person.role for person in people}
    weight = sum(person.influence for person in people)
    strength = sum(person.strength * person.influence for person in people) / weight
    stance = sum(person.stance * person.influence for person in people) / weight
    influential = [person for person in people if person.influence >= 4] or people
    recent = [
        person
        for person in influential
        if person.last_contact is not None and (today - person.last_contact).days <= RECENT_DAYS
    ]
    power = 20 * ("economic_buyer" in roles) + 20 * ("champion" in roles)
    score = round(
        power + (strength - 1) / 4 * 30 + (stance + 2) / 4 * 15 + len(recent) / len(influential) * 15
    )
    reasons = []
    if "economic_buyer" not in roles:
        reasons.append("No economic buyer on the map.")
    if "champion" not in roles:
        reasons.append("No champion on the map.")
    reasons.append(f"Relationship strength {strength:.1f} of 5, weighted by influence.")
    reasons.append(f"Average stance {STANCES[round(stance) + 2].lower()} ({stance:+.1f}).")
    reasons.append(
        f"{len(recent)} of {len(influential)} influential people contacted in the last {RECENT_DAYS} days."
    )
    label = "strong" if score >= 70 else "fair" if score >= 40 else "weak"
    return Health(score, label, tuple(reasons))


WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 720, 380, 70, 50, 20


def _x(stance: float) -> float:
    # The rightmost column leaves room for a name beside its circle.
    return LEFT + 30 + (stance + 2) / 4 * (WIDTH - LEFT - 30 - 190)


def _y(influence: float) -> float:
    return TOP + (5 - influence) / 4 * (HEIGHT - TOP - BOTTOM - 30) + 15


def map_svg(people: list[Person], *, title: str, description_id: str) -> str:
    """The map as an SVG picture: across, where people stand on us; up, how much say they have;
    the circle's size is our relationship strength and a dashed ring marks a weak one (1–2).
    Each circle carries the name and a role mark, so nothing depends on colour."""
    parts = [
        f'<svg class="stakeholder-map" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{description_id}-title" aria-describedby="{description_id}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{description_id}-title">{escape(title)}</title>',
    ]
    for index, label in enumerate(STANCES):
        x = _x(index - 2)
        parts.append(f'<line x1="{x:.0f}" y1="{TOP}" x2="{x:.0f}" y2="{HEIGHT - BOTTOM}" class="grid"/>')
        parts.append(
            f'<text x="{x:.0f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle" class="axis">{label}</text>'
        )
    for influence in range(1, 6):
        y = _y(influence)
        parts.append(
            f'<text x="{LEFT - 10}" y="{y + 4:.0f}" text-anchor="end" class="axis">{influence}</text>'
        )
    parts.append(
        f'<text x="{LEFT - 55}" y="{HEIGHT / 2:.0f}" class="axis" '
        f'transform="rotate(-90 {LEFT - 55} {HEIGHT / 2:.0f})" text-anchor="middle">Influence</text>'
    )
    parts.append(
        f'<text x="{WIDTH / 2:.0f}" y="{HEIGHT - 8}" text-anchor="middle" class="axis">Stance on us</text>'
    )
    placed: dict[tuple[int, int], int] = {}
    for person in people:
        slot = placed.get((person.stance, person.influence), 0)
        placed[(person.stance, person.influence)] = slot + 1
        x, y = _x(person.stance) + slot * 14, _y(person.influence) + slot * 16
        radius = 6 + person.strength * 3
        weak = ' stroke-dasharray="4 3"' if person.strength <= 2 else ""
        mark = ROLE_MARKS.get(person.role, "?")
        parts.append(
            f'<g class="stakeholder role-{escape(person.role)}">'
            f'<circle cx="{x:.0f}" cy="{y:.0f}" r="{radius}"{weak}/>'
            f'<text x="{x:.0f}" y="{y + 4:.0f}" text-anchor="middle" class="mark">{mark}</text>'
            f'<text x="{x + radius + 4:.0f}" y="{y + 4:.0f}" class="name">{escape(person.name)}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)
