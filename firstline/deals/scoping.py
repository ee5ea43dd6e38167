"""Who sees and makes forecast calls, in the terms of the one scoping mechanism."""

from dataclasses import dataclass

from django.db.models import Q

from firstline.core.scoping import NOTHING, Action
from firstline.org.scoping import PersonScope, viewer


@dataclass(frozen=True)
class ForecastCallScope:
    """A seller's call: seen by the seller and everyone above; made only by the seller (a manager's
    view of it goes in the team's call, so the seller's own number is never overwritten).
    A team's call: seen and made by the managers of that team and of every team above it."""

    def q(self, user, action: Action) -> Q:
        who = viewer(user)
        if who.is_admin:
            return Q()
        if who.person_id is None:
            return NOTHING
        own = Q(person_id=who.person_id) if action == "change" else PersonScope("person").q(user, action)
        return (Q(team__isnull=True) & own) | (Q(team__isnull=False) & who.subtree_q("team__path"))


@dataclass(frozen=True)
class TeamFiguresScope:
    """Figures stored per team (forecast roll-ups): seen by the managers of that team and of every
    team above it; written only by `firstline deals refresh`."""

    def q(self, user, action: Action) -> Q:
        who = viewer(user)
        if who.is_admin and action == "view":
            return Q()
        if action == "change" or who.person_id is None:
            return NOTHING
        return who.subtree_q("team__path")
