"""Who sees and changes coaching records: rules for `visible_to(user)` beside those in org.scoping.

- Sessions, schedules and their action items: the seller, the coach, and the managers above the
  seller (so a second-line manager sees that coaching happens); the seller may tick off action items
  but not rewrite the session.
- Private notes: the coach and the seller only. Not the executive, not the admin, not an API token of
  anyone else — the privacy promise a seller is given before being candid.
- Assessments: the seller writes the self-assessment, the managers above write the manager one.
"""

from dataclasses import dataclass

from django.db.models import Q

from firstline.core.scoping import NOTHING, Action
from firstline.org.scoping import viewer


@dataclass(frozen=True)
class SessionScope:
    """Records with a `seller` and a `coach` (sessions, 1:1 schedules), reached through `prefix`."""

    prefix: str = ""
    seller_may_change: bool = False

    def q(self, user, action: Action) -> Q:
        who = viewer(user)
        if who.is_admin:
            return Q()
        if who.person_id is None:
            return NOTHING
        p = self.prefix
        seller = Q(**{f"{p}seller_id": who.person_id})
        coach = Q(**{f"{p}coach_id": who.person_id})
        managers = who.team_people_q(f"{p}seller__") & ~seller
        if action == "change" and not self.seller_may_change:
            return coach | managers
        return coach | managers | seller


@dataclass(frozen=True)
class NoteScope:
    """Coaching notes: shared ones go with the session; private ones reach the coach and the seller only."""

    def q(self, user, action: Action) -> Q:
        who = viewer(user)
        if action == "change":
            return Q(author_id=who.person_id) if who.person_id is not None else NOTHING
        audience = (
            Q(session__coach_id=who.person_id) | Q(session__seller_id=who.person_id)
            if who.person_id is not None
            else NOTHING
        )
        return audience | (Q(visibility="shared") & SessionScope("session__").q(user, "view"))


@dataclass(frozen=True)
class AssessmentScope:
    """Assessments (and, through `prefix`, their ratings): visible like the seller's own records;
    the self-assessment is changed by the seller, the manager assessment by the managers above."""

    prefix: str = ""

    def q(self, user, action: Action) -> Q:
        who = viewer(user)
        if who.is_admin:
            return Q()
        if who.person_id is None:
            return NOTHING
        p = self.prefix
        own = Q(**{f"{p}person_id": who.person_id})
        team = who.team_people_q(f"{p}person__") & ~own
        if action == "view":
            return own | team
        return (own & Q(**{f"{p}kind": "self"})) | (team & Q(**{f"{p}kind": "manager"}))
