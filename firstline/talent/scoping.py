"""Who sees hiring and engagement records: rules for `visible_to(user)` beside those in org.scoping.

- Hiring (positions, candidates, scorecards): the managers of the team with the opening and of
  every team above it; admins. Sellers interview, but candidates' data stays with the managers.
- Pulses: everyone the pulse is sent to (people in the team's subtree) and the managers above.
- Pulse responses: nobody, not even an admin. They are read only as aggregates of at least
  MIN_GROUP answers by talent.selectors, after the pulse itself passed the scope check.
"""

from dataclasses import dataclass

from django.db.models import Q

from firstline.core.scoping import NOTHING, Action
from firstline.org.scoping import viewer


@dataclass(frozen=True)
class TeamRecordScope:
    """Records that belong to a team through `path` (e.g. "team", "position__team")."""

    path: str

    def q(self, user, action: Action) -> Q:
        who = viewer(user)
        if who.is_admin:
            return Q()
        return who.subtree_q(f"{self.path}__path")


def current_team_ancestors(person_id: int) -> list[int]:
    """Ids of the person's current teams and every team above them (read from the team paths)."""
    from firstline.org.models import Membership

    paths = Membership.objects.current().filter(person_id=person_id).values_list("team__path", flat=True)
    return sorted({int(part) for path in paths for part in path.strip("/").split("/") if part})


@dataclass(frozen=True)
class PulseScope:
    """A pulse reaches the people in its team's subtree; managers above see it and close it."""

    def q(self, user, action: Action) -> Q:
        who = viewer(user)
        if who.is_admin:
            return Q()
        if who.person_id is None:
            return NOTHING
        managers = who.subtree_q("team__path")
        if action == "change":
            return managers
        return managers | Q(team_id__in=current_team_ancestors(who.person_id))


@dataclass(frozen=True)
class NobodyScope:
    """Individual pulse answers are shown to nobody; only aggregates leave the database."""

    def q(self, user, action: Action) -> Q:
        return NOTHING


@dataclass(frozen=True)
class OwnScope:
    """Records about the viewer alone (that they answered a pulse)."""

    def q(self, user, action: Action) -> Q:
        who = viewer(user)
        return Q(person_id=who.person_id) if who.person_id is not None else NOTHING
