from django.shortcuts import render

from firstline.core.scoping import get_visible_or_404
from firstline.core.views import ScopedListView
from firstline.kpis.views import requested_period, seller_dashboard_context
from firstline.org.filtersets import PersonFilterSet
from firstline.org.models import Person
from firstline.org.scoping import viewer
from firstline.pipeline.models import Opportunity
from firstline.targets.forms import TARGET_PEOPLE, KudosForm
from firstline.targets.models import Kudos, Target


def person_detail(request, pk: int):
    """A seller's own page: this period's figures and pace (from kpis), open deals closing soonest,
    targets, team history."""
    person = get_visible_or_404(Person.objects, request.user, pk=pk)
    period = requested_period(request)
    opportunities = Opportunity.objects.visible_to(request.user).filter(owner=person)
    kudos = Kudos.objects.visible_to(request.user).filter(receiver=person).select_related("giver")
    may_give_kudos = Person.objects.filter(TARGET_PEOPLE.q(request.user, "change"), pk=person.pk).exists()
    return render(
        request,
        "org/person_detail.html",
        {
            "person": person,
            "period": period,
            **seller_dashboard_context(person=person, period=period),
            "open_opportunities": opportunities.open()
            .select_related("account", "stage")
            .order_by("close_date")[:10],
            "open_count": opportunities.open().count(),
            "targets": Target.objects.visible_to(request.user).filter(person=person).order_by("-start")[:8],
            "memberships": person.memberships.select_related("team").order_by("-start"),
            "is_self": person.pk == viewer(request.user).person_id,
            "kudos": kudos[:10],
            "kudos_form": KudosForm() if may_give_kudos else None,
        },
    )


class PersonListView(ScopedListView):
    model = Person
    filterset_class = PersonFilterSet
    template_name = "org/person_list.html"
    partial_template_name = "org/_person_table.html"
