from django.contrib import messages
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from firstline.core.periods import PeriodError, fiscal_calendar
from firstline.core.scoping import get_visible_or_404
from firstline.core.views import ScopedListView, sortable_headers
from firstline.kpis.selectors import seller_figures, totals
from firstline.org.filtersets import PersonFilterSet
from firstline.org.models import Membership, Person, Role, Team
from firstline.org.scoping import viewer
from firstline.pipeline.models import Opportunity
from firstline.targets.models import Target


def requested_period(request):
    """The period named in ?period=, else the current fiscal quarter; a bad label is reported."""
    calendar = fiscal_calendar()
    label = request.GET.get("period", "").strip()
    if label:
        try:
            return calendar.parse(label)
        except PeriodError as error:
            messages.error(request, str(error))
    return calendar.quarter_of(timezone.localdate())


MY_TEAM_COLUMNS = [
    ("seller", "Seller", False),
    ("team", "Team", False),
    ("won", "Closed won", True),
    ("target", "Target", True),
    ("to_plan", "To plan", True),
    ("", "Attainment", False),
    ("pipeline", "Open pipeline", True),
]
MY_TEAM_SORT_KEYS = {
    "seller": lambda row: row[0].person.name,
    "team": lambda row: (row[1].path, row[0].person.name),
    "won": lambda row: row[0].won,
    "target": lambda row: row[0].target,
    # Sellers without a target ("no data") sort below everyone with one.
    "to_plan": lambda row: (row[0].percent_to_plan is not None, row[0].percent_to_plan or 0),
    "pipeline": lambda row: row[0].open_pipeline,
}


def my_team(request):
    """Each manager's team at a glance: members and this period's numbers against target."""
    who = viewer(request.user)
    if not who.managed_paths and not who.is_admin:
        raise Http404("You do not lead a team.")
    period = requested_period(request)
    if who.managed_paths:
        teams = Team.objects.filter(manager_id=who.person_id)
        members = Membership.objects.current().filter(who.subtree_q("team__path"))
    else:  # an admin who leads no team sees the whole company
        teams = Team.objects.filter(parent=None)
        members = Membership.objects.current()
    members = members.filter(person__role=Role.SELLER).select_related("person", "team")
    members = members.order_by("team__path", "person__name")
    memberships = list(members)
    rows = seller_figures(user=request.user, people=[m.person for m in memberships], period=period)
    team_of = {m.person_id: m.team for m in memberships}
    sort, descending, headers = sortable_headers(request, MY_TEAM_COLUMNS, default="team")
    table = sorted(
        ((row, team_of[row.person.pk]) for row in rows), key=MY_TEAM_SORT_KEYS[sort], reverse=descending
    )
    return render(
        request,
        "org/my_team.html",
        {
            "teams": teams,
            "period": period,
            "rows": table,
            "headers": headers,
            "total": totals(rows),
        },
    )


def person_detail(request, pk: int):
    """A seller's own page: this period's numbers, open deals closing soonest, targets, history."""
    person = get_visible_or_404(Person.objects, request.user, pk=pk)
    period = requested_period(request)
    figures = seller_figures(user=request.user, people=[person], period=period)[0]
    opportunities = Opportunity.objects.visible_to(request.user).filter(owner=person)
    return render(
        request,
        "org/person_detail.html",
        {
            "person": person,
            "period": period,
            "figures": figures,
            "open_opportunities": opportunities.open()
            .select_related("account", "stage")
            .order_by("close_date")[:10],
            "open_count": opportunities.open().count(),
            "targets": Target.objects.visible_to(request.user).filter(person=person).order_by("-start")[:8],
            "memberships": person.memberships.select_related("team").order_by("-start"),
            "is_self": person.pk == viewer(request.user).person_id,
        },
    )


class PersonListView(ScopedListView):
    model = Person
    filterset_class = PersonFilterSet
    template_name = "org/person_list.html"
    partial_template_name = "org/_person_table.html"
