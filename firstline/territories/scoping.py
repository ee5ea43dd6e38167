"""Who sees territory records that belong to a team rather than to one person (scenarios, quota
allocations): admins, and the managers of that team or a team above it. Sellers see what concerns
them through their own records (territories, plans, quota lines)."""

from dataclasses import dataclass

from django.db.models import Q

from firstline.core.scoping import NOTHING, Action
from firstline.org.scoping import viewer


@dataclass(frozen=True)
class ManagedTeamScope:
    path: str = "team"

    def q(self, user, action: Action) -> Q:
        who = viewer(user)
        if who.is_admin:
            return Q()
        if who.person_id is None:
            return NOTHING
        return who.subtree_q(f"{self.path}__path")
