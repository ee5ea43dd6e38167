"""Hiring, engagement and retention pages for the managers; pulse answering for everyone."""

import csv
import io
from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from firstline.coaching.exports import cell
from firstline.coaching.selectors import chosen_team, drill_down
from firstline.core import formatting
from firstline.core.scoping import OutOfScope, get_visible_or_404, scoped_save
from firstline.core.views import ScopedListView
from firstline.org.models import Team
from firstline.org.scoping import viewer
from firstline.talent.filtersets import PositionFilterSet
from firstline.talent.forms import (
    CandidateForm,
    CandidateStageForm,
    HireForm,
    PositionForm,
    PulseAnswerForm,
    PulseForm,
)
from firstline.talent.models import (
    MIN_GROUP,
    PULSE_ITEMS,
    Candidate,
    CandidateStage,
    Position,
    Pulse,
    PulseParticipation,
    Scorecard,
)
from firstline.talent.selectors import (
    RISK_RULES,
    hiring_figures,
    pulse_results,
    retention_risks,
    retention_rollup,
)
from firstline.talent.services import PulseAnswer, candidate_hire, candidate_move, pulse_answer

TREND_PULSES = 6


class PositionListView(ScopedListView):
    model = Position
    filterset_class = PositionFilterSet
    select_related = ("team", "hiring_manager")
    template_name = "talent/position_list.html"

    def get_queryset(self):
        queryset = super().get_queryset().annotate(candidate_count=Count("candidates"))
        return queryset.order_by("status", "-opened_on", "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["figures"] = hiring_figures(user=self.request.user, today=timezone.localdate())
        return context


def position_detail(request, pk: int):
    positions = Position.objects.select_related("team", "hiring_manager")
    position = get_visible_or_404(positions, request.user, pk=pk)
    candidates = (
        Candidate.objects.visible_to(request.user)
        .filter(position=position)
        .annotate(scorecard_count=Count("scorecards"))
    )
    columns = [
        (label, [c for c in candidates if c.stage == value]) for value, label in CandidateStage.choices
    ]
    end = position.filled_on or timezone.localdate()
    return render(
        request,
        "talent/position_detail.html",
        {"position": position, "columns": columns, "days_open": (end - position.opened_on).days},
    )


def candidate_detail(request, pk: int):
    candidate = get_visible_or_404(Candidate.objects.select_related("position__team"), request.user, pk=pk)
    scorecards = (
        Scorecard.objects.visible_to(request.user)
        .filter(candidate=candidate)
        .select_related("interviewer")
        .prefetch_related("ratings__competency")
    )
    return render(
        request,
        "talent/candidate_detail.html",
        {
            "candidate": candidate,
            "scorecards": scorecards,
            "stage_form": CandidateStageForm(initial={"stage": candidate.stage}),
            "hire_form": HireForm(initial={"starts_on": timezone.localdate()}),
        },
    )


@require_POST
def candidate_stage(request, pk: int):
    candidate = get_visible_or_404(Candidate.objects, request.user, pk=pk)
    form = CandidateStageForm(request.POST)
    if form.is_valid():
        try:
            candidate_move(actor=request.user, candidate=candidate, stage=form.cleaned_data["stage"])
            messages.success(request, f"{candidate.name} moved to {candidate.get_stage_display()}.")
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    else:
        messages.error(request, "Choose one of the listed stages.")
    return redirect(candidate)


@require_POST
def candidate_hire_view(request, pk: int):
    candidate = get_visible_or_404(Candidate.objects, request.user, pk=pk)
    form = HireForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a valid start date.")
        return redirect(candidate)
    try:
        starts_on = form.cleaned_data["starts_on"]
        person = candidate_hire(actor=request.user, candidate=candidate, starts_on=starts_on)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(candidate)
    except OutOfScope:
        raise Http404("No candidate matches the given query.") from None
    starts = formatting.date(person.hired_on)
    messages.success(request, f"{person.name} is hired and joins the team on {starts}.")
    # Back to the candidate: the new person is in the team (and visible) from the start date.
    return redirect(candidate)


def _scoped_create(request, form, *, success: str):
    """Save a new object the user may create (a pulse, a position), or put the reason on the form."""
    try:
        scoped_save(actor=request.user, instance=form.instance)
    except ValidationError as error:
        form.add_error(None, error)
        return None
    except OutOfScope as error:
        form.add_error(None, str(error))
        return None
    messages.success(request, success)
    return form.instance


def pulse_create(request):
    """Send a pulse to a team you lead (and its sub-teams)."""
    _leader_teams(request)
    today = timezone.localdate()
    initial = {"opens_on": today, "closes_on": today + timedelta(days=14)}
    form = PulseForm(request.POST or None, user=request.user, initial=initial)
    success = f"“{form.data.get('title', '')}” is open for answers."
    if request.method == "POST" and form.is_valid() and _scoped_create(request, form, success=success):
        return redirect("talent:pulse_list")
    return render(
        request, "talent/form.html", {"form": form, "title": "Send a pulse", "cancel": "talent:pulse_list"}
    )


def position_create(request):
    """Open a position in a team you lead; you are its hiring manager."""
    _leader_teams(request)
    form = PositionForm(request.POST or None, user=request.user, initial={"opened_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        form.instance.hiring_manager_id = viewer(request.user).person_id
        if position := _scoped_create(request, form, success="Position opened."):
            return redirect(position)
    return render(
        request,
        "talent/form.html",
        {"form": form, "title": "Open a position", "cancel": "talent:position_list"},
    )


def candidate_create(request, pk: int):
    """Add a candidate to a position you may hire for."""
    position = get_visible_or_404(Position.objects, request.user, pk=pk)
    form = CandidateForm(request.POST or None, initial={"applied_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        form.instance.position = position
        form.instance.stage_changed_on = timezone.localdate()
        if candidate := _scoped_create(request, form, success=f"{form.instance.name} added."):
            return redirect(candidate)
    return render(
        request,
        "talent/form.html",
        {
            "form": form,
            "title": f"Add a candidate for {position.title}",
            "cancel_url": position.get_absolute_url(),
        },
    )


def pulse_list(request):
    """Pulses sent to you, open ones first, with whether you have answered."""
    today = timezone.localdate()
    pulses = Pulse.objects.visible_to(request.user).select_related("team")[:24]
    answered = set(PulseParticipation.objects.visible_to(request.user).values_list("pulse_id", flat=True))
    return render(request, "talent/pulse_list.html", {"pulses": pulses, "answered": answered, "today": today})


def pulse_answer_view(request, pk: int):
    pulse = get_visible_or_404(Pulse.objects, request.user, pk=pk)
    form = PulseAnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pulse_answer(actor=request.user, pulse=pulse, answer=PulseAnswer(**form.cleaned_data))
        except ValidationError as error:
            form.add_error(None, error)
        except OutOfScope as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Thank you. Your answer is anonymous and counts towards your team.")
            return redirect("talent:pulse_list")
    return render(request, "talent/pulse_answer.html", {"pulse": pulse, "form": form})


def _leader_teams(request) -> list[Team]:
    who = viewer(request.user)
    if who.managed_paths:
        return list(Team.objects.filter(who.subtree_q()).select_related("manager"))
    if who.is_admin:
        return list(Team.objects.select_related("manager"))
    raise Http404("You do not lead a team.")


def _engagement(request, *, latest_only: bool = False):
    """The teams the viewer leads, the recent pulses (oldest first; only the latest if asked) and
    their results per team."""
    teams = _leader_teams(request)
    pulses = list(Pulse.objects.visible_to(request.user).filter(opens_on__lte=timezone.localdate()))
    pulses = sorted(pulses[:TREND_PULSES], key=lambda p: p.closes_on)
    if latest_only:
        pulses = pulses[-1:]
    results = pulse_results(pulses=pulses, teams=teams)
    return teams, pulses, results


def engagement(request):
    """eNPS per team for each recent pulse (the trend), never for fewer than MIN_GROUP answers:
    the team the viewer leads and its sub-teams one level down, each linking one level further."""
    teams, pulses, results = _engagement(request)
    team, trail = chosen_team(request.user, request.GET.get("team"))
    shown = [t for t in teams if team is not None and (t.pk == team.pk or t.parent_id == team.pk)]
    table = [(t, [results[p.pk][t.pk] for p in pulses]) for t in shown]
    latest = pulses[-1] if pulses else None
    chart = {
        "labels": [p.title for p in pulses],
        "series": [
            {"label": team.name, "data": [None if r.enps is None else float(r.enps) for r in row]}
            for team, row in table[:8]
        ],
    }
    return render(
        request,
        "talent/engagement.html",
        {
            "pulses": pulses,
            "table": table,
            "latest": latest,
            "latest_items": [(t, results[latest.pk][t.pk]) for t in shown] if latest else [],
            "team": team,
            "drill": {"trail": trail},
            "min_group": MIN_GROUP,
            "chart": chart,
        },
    )


def engagement_export(request):
    """The engagement table as CSV: aggregates only, suppressed exactly as on the page."""
    teams, pulses, results = _engagement(request)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Pulse", "Closes", "Team", "Answers", "eNPS", *[text for _key, text in PULSE_ITEMS]])
    for pulse in pulses:
        for team in teams:
            result = results[pulse.pk][team.pk]
            shown = result.shown
            writer.writerow(
                cell(value)
                for value in (
                    pulse.title,
                    pulse.closes_on.isoformat(),
                    team.name,
                    result.answers if shown else f"fewer than {MIN_GROUP} or hidden",
                    "" if result.enps is None else f"{result.enps:.0f}",
                    *("" if average is None else f"{average:.1f}" for _text, average in result.items),
                )
            )
    response = HttpResponse(out.getvalue(), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="engagement.csv"'
    return response


def retention(request):
    """Sellers flagged by the documented retention-risk rules, each flag with its reason; for a
    manager of managers, the flags counted per sub-team."""
    teams, pulses, results = _engagement(request, latest_only=True)
    latest = pulses[-1] if pulses else None
    team_enps = {t.pk: results[latest.pk][t.pk].enps for t in teams} if latest else {}
    today = timezone.localdate()
    drill = drill_down(request.user, request.GET.get("team"))
    rows = retention_risks(user=request.user, memberships=drill.direct, team_enps=team_enps, today=today)
    summary = retention_rollup(
        user=request.user,
        groups=drill.groups,
        team_of=drill.team_of,
        person_ids=drill.within_ids,
        team_enps=team_enps,
        today=today,
    )
    return render(
        request,
        "talent/retention.html",
        {
            "rows": rows,
            "drill": drill,
            "team": drill.team,
            "summary": summary,
            "rules": RISK_RULES,
            "flagged": sum(1 for row in rows if row.reasons) + sum(r.flagged for r in summary),
            "total": drill.sellers,
        },
    )
