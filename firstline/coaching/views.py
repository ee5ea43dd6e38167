"""Coaching pages: a person's coaching overview, sessions, action items and the cadence view."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from firstline.coaching.exports import sessions_csv
from firstline.coaching.filtersets import CoachingSessionFilterSet
from firstline.coaching.forms import ScheduleForm, SessionForm
from firstline.coaching.models import (
    ActionItem,
    CoachingNote,
    CoachingSession,
    DevelopmentPlan,
    OneOnOneSchedule,
)
from firstline.coaching.selectors import (
    cadence,
    cadence_rollup,
    carried_forward,
    default_framework,
    drill_down,
)
from firstline.coaching.services import ActionItemInput, action_item_set_done, session_record
from firstline.core.scoping import OutOfScope, get_visible_or_404, scoped_save
from firstline.core.views import ScopedListView
from firstline.org.models import Person
from firstline.org.scoping import viewer


def leader_or_404(request):
    who = viewer(request.user)
    if not who.managed_paths and not who.is_admin:
        raise Http404("You do not lead a team.")
    return who


def my_coaching(request):
    who = viewer(request.user)
    if who.person_id is None:
        raise Http404("You have no person record.")
    return redirect("coaching:person_overview", pk=who.person_id)


def person_overview(request, pk: int):
    """A seller's coaching at a glance: open action items, recent sessions, plans, the 1:1 rhythm."""
    person = get_visible_or_404(Person.objects, request.user, pk=pk)
    who = viewer(request.user)
    sessions = CoachingSession.objects.visible_to(request.user).filter(seller=person)
    schedule = OneOnOneSchedule.objects.visible_to(request.user).filter(seller=person, active=True).first()
    is_self = person.pk == who.person_id
    return render(
        request,
        "coaching/person_overview.html",
        {
            "person": person,
            "is_self": is_self,
            "may_coach": not is_self and who.person_id is not None,
            "open_items": ActionItem.objects.visible_to(request.user)
            .open()
            .filter(session__seller=person)
            .select_related("owner", "session"),
            "sessions": sessions.select_related("coach").prefetch_related("focus")[:10],
            "session_count": sessions.count(),
            "plans": DevelopmentPlan.objects.visible_to(request.user)
            .filter(person=person)
            .annotate(
                goals_total=Count("goals", distinct=True),
                goals_done=Count("goals", filter=Q(goals__status="done"), distinct=True),
            )[:5],
            "schedule": schedule,
        },
    )


def session_create(request, pk: int):
    """The coach records a session with a seller they may coach."""
    seller = get_visible_or_404(Person.objects, request.user, pk=pk)
    if seller.pk == viewer(request.user).person_id:
        raise Http404("You cannot coach yourself.")
    form = SessionForm(
        request.POST or None,
        user=request.user,
        seller=seller,
        framework=default_framework(),
        initial={"held_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        items = []
        if data["action_description"]:
            coach = Person.objects.get(pk=viewer(request.user).person_id)
            owner = coach if data["action_owner"] == "coach" else seller
            items.append(ActionItemInput(owner, data["action_description"], data["action_due_on"]))
        try:
            session = session_record(
                actor=request.user,
                seller=seller,
                kind=data["kind"],
                held_on=data["held_on"],
                focus=list(data["focus"]),
                opportunities=list(data["opportunities"]),
                shared_note=data["shared_note"],
                private_note=data["private_note"],
                action_items=items,
            )
        except ValidationError as error:
            form.add_error(None, error)
        except OutOfScope as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Session recorded.")
            return redirect(session)
    return render(request, "coaching/session_form.html", {"form": form, "seller": seller})


def session_detail(request, pk: int):
    session = get_visible_or_404(
        CoachingSession.objects.select_related("seller", "coach"), request.user, pk=pk
    )
    notes = CoachingNote.objects.visible_to(request.user).filter(session=session)
    items = ActionItem.objects.visible_to(request.user).filter(session=session)
    return render(
        request,
        "coaching/session_detail.html",
        {
            "session": session,
            "notes": notes.select_related("author"),
            "items": items.select_related("owner"),
            "carried": carried_forward(user=request.user, session=session),
            "focus": session.focus.all(),
            "opportunities": session.opportunities.visible_to(request.user).select_related("account"),
        },
    )


class CoachingSessionListView(ScopedListView):
    model = CoachingSession
    filterset_class = CoachingSessionFilterSet
    select_related = ("seller", "coach")
    template_name = "coaching/session_list.html"
    partial_template_name = "coaching/_session_table.html"


def session_export(request):
    """The filtered session list as CSV (shared notes only; see coaching.exports)."""
    queryset = CoachingSession.objects.visible_to(request.user)
    sessions = CoachingSessionFilterSet(request.GET, queryset=queryset, request=request).qs
    response = HttpResponse(sessions_csv(user=request.user, sessions=sessions), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="coaching-sessions.csv"'
    return response


@require_POST
def action_item_done(request, pk: int):
    """Tick an action item off, or reopen it (done=0)."""
    item = get_visible_or_404(ActionItem.objects, request.user, pk=pk)
    try:
        action_item_set_done(actor=request.user, item=item, done=request.POST.get("done", "1") == "1")
    except OutOfScope:
        raise Http404("No action item matches the given query.") from None
    messages.success(request, f"“{item.description}” marked {'done' if item.done_on else 'open'}.")
    return redirect(request.POST.get("next") or item.session.get_absolute_url())


def schedule_set(request, pk: int):
    """Set up or change the recurring 1:1 between the requesting coach and a seller."""
    seller = get_visible_or_404(Person.objects, request.user, pk=pk)
    coach_id = viewer(request.user).person_id
    if coach_id is None or coach_id == seller.pk:
        raise Http404("Only a coach sets up a 1:1 schedule.")
    schedule = OneOnOneSchedule.objects.filter(seller=seller, coach_id=coach_id).first()
    schedule = schedule or OneOnOneSchedule(seller=seller, coach_id=coach_id, next_on=timezone.localdate())
    form = ScheduleForm(request.POST or None, instance=schedule)
    if request.method == "POST" and form.is_valid():
        try:
            scoped_save(actor=request.user, instance=form.instance)
        except (ValidationError, OutOfScope) as error:
            form.add_error(None, error if isinstance(error, ValidationError) else str(error))
        else:
            messages.success(request, "1:1 schedule saved.")
            return redirect("coaching:person_overview", pk=seller.pk)
    return render(request, "coaching/schedule_form.html", {"form": form, "seller": seller})


def cadence_view(request):
    """Sessions per seller per month, days since the last one, overdue follow-ups, next 1:1 — per
    seller for one team, and rolled up per team for managers of managers."""
    leader_or_404(request)
    today = timezone.localdate()
    drill = drill_down(request.user, request.GET.get("team"))
    rollup = cadence_rollup(user=request.user, groups=drill.groups, person_ids=drill.within_ids, today=today)
    return render(
        request,
        "coaching/cadence.html",
        {
            "rollup": rollup,
            "drill": drill,
            "team": drill.team,
            "rows": cadence(user=request.user, people=drill.direct, today=today),
            "today": today,
        },
    )
