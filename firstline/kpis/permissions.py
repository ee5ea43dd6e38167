"""Whose figures a user may see: the same rules as their deals, through the one scoping mechanism.

A team's figures: admins any team, managers the teams in their subtree. A seller's figures: anyone
whose deals the user may see (themselves, the people below them; everyone for admins and the
company's leader). Enablement sees the directory, not the numbers.
"""

from firstline.org.models import Person, Team
from firstline.org.scoping import PersonScope, viewer

DEALS_RULE = PersonScope("")  # the rule of Opportunity.scope, applied to the owner themselves


def kpi_teams(user):
    who = viewer(user)
    teams = Team.objects.visible_to(user)
    return teams if who.is_admin else teams.filter(who.subtree_q())


def kpi_people(user):
    if user is None or not user.is_authenticated or not user.is_active:
        return Person.objects.none()
    return Person.objects.filter(DEALS_RULE.q(user, "view"))
