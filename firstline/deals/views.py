"""Pages for guiding deals: the deal's plan, its forms, the review queue, the forecast, the process."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q
from django.db.models.lookups import In
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from firstline.core.ids import is_id
from firstline.core.periods import PERIOD_HELP, PeriodError, fiscal_calendar
from firstline.core.scoping import OutOfScope, Unindexed, get_visible_or_404
from firstline.deals import services
from firstline.deals.forecasting import team_forecast
from firstline.deals.forms import (
    CanvasForm,
    CategoryForm,
    CriteriaForm,
    ForecastCallForm,
    ReviewForm,
    ScorecardForm,
    StageMoveForm,
)
from firstline.deals.models import (
    ActionItem,
    DealForecast,
    ExitCriterion,
    ForecastCall,
    QualificationFramework,
    RiskSignal,
    SignalKind,
    StageStatistic,
    StrategyCanvas,
)
from firstline.deals.selectors import deal_signals
from firstline.org.models import Person, Team
from firstline.org.scoping import PersonScope, viewer
from firstline.pipeline.models import Opportunity, Outcome, SalesStage
from firstline.relationships.views import deal_relationships

REVIEWERS = PersonScope("owner", owner_may_change=False)  # who may review a deal: above its owner
QUEUE_SIZE = 25
QUEUE_FOCUS = {
    "riskiest": "Riskiest",
    "largest": "Largest",
    "stalled": "Stalled",
    "closing": "Closing this quarter",
}


def _deal(request, pk, *, editable=False) -> Opportunity:
    deals = Opportunity.objects.select_related("stage", "account", "owner")
    deals = deals.editable_by(request.user) if editable else deals.visible_to(request.user)
    return get_object_or_404(deals, pk=pk)


def can_review(user, opportunity) -> bool:
    return Opportunity.objects.filter(REVIEWERS.q(user, "change"), pk=opportunity.pk).exists()


def deal_plan(request, pk):
    """Everything a seller and manager need to guide one deal, with why it is at risk."""
    opportunity = _deal(request, pk)
    editable = Opportunity.objects.editable_by(request.user).filter(pk=pk).exists()
    criteria = list(ExitCriterion.objects.filter(stage=opportunity.stage))
    met = set(opportunity.criterion_checks.values_list("criterion_id", flat=True))
    scorecard = getattr(opportunity, "scorecard", None)  # None when the deal has not been scored
    forecast = DealForecast.objects.filter(opportunity=opportunity).first()
    context = {
        "opportunity": opportunity,
        "editable": editable,
        "can_review": can_review(request.user, opportunity),
        "signals": deal_signals([opportunity]).get(opportunity.pk, []),
        "criteria": [(criterion, criterion.pk in met) for criterion in criteria],
        "criteria_form": CriteriaForm(criteria=criteria, initial={"met": [str(pk) for pk in met]}),
        "move_form": StageMoveForm(initial={"stage": opportunity.stage_id}),
        "skips": opportunity.stage_skips.select_related("from_stage", "to_stage", "actor")[:5],
        "scorecard": scorecard,
        "canvas": StrategyCanvas.objects.filter(opportunity=opportunity).select_related("author").first(),
        "reviews": opportunity.reviews.select_related("reviewer").prefetch_related("action_items__owner")[:5],
        "action_items": ActionItem.objects.filter(opportunity=opportunity).select_related("owner"),
        "category_form": CategoryForm(initial={"category": forecast.category if forecast else "pipeline"}),
        "forecast": forecast,
        **deal_relationships(request, opportunity),
    }
    return render(request, "deals/deal.html", context)


def _form_page(request, template, opportunity, form, title, **extra):
    context = {
        "opportunity": opportunity,
        "form": form,
        "title": title,
        "cancel_url": reverse("deals:deal", args=[opportunity.pk]),
        **extra,
    }
    return render(request, template, context)


def stage_move(request, pk):
    opportunity = _deal(request, pk, editable=True)
    form = StageMoveForm(request.POST or None, initial={"stage": opportunity.stage_id})
    if request.method == "POST" and form.is_valid():
        try:
            services.opportunity_move_stage(
                actor=request.user,
                opportunity=opportunity,
                stage=form.cleaned_data["stage"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"Moved to {opportunity.stage.name}.")
            return redirect("deals:deal", pk=pk)
        opportunity.refresh_from_db()
    unmet = (
        services.unmet_criteria(opportunity, form.cleaned_data["stage"])
        if form.is_bound and form.is_valid()
        else []
    )
    return _form_page(
        request, "deals/stage_move.html", opportunity, form, "Move to another stage", unmet=unmet
    )


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@require_POST
def criteria(request, pk):
    opportunity = _deal(request, pk, editable=True)
    stage_criteria = list(ExitCriterion.objects.filter(stage=opportunity.stage))
    form = CriteriaForm(request.POST, criteria=stage_criteria)
    if form.is_valid():
        services.criteria_check(actor=request.user, opportunity=opportunity, met=form.met_ids())
        messages.success(request, "Exit criteria saved.")
    else:
        messages.error(request, "Those criteria are not part of this stage; nothing was saved.")
    return redirect("deals:deal", pk=pk)


def scorecard(request, pk):
    opportunity = _deal(request, pk, editable=True)
    current = getattr(opportunity, "scorecard", None)
    frameworks = QualificationFramework.objects.all()
    chosen = request.GET.get("framework") or request.POST.get("framework")
    framework = (frameworks.filter(pk=chosen).first() if is_id(chosen) else None) or (
        current.framework if current else services.default_framework()
    )
    form = ScorecardForm(request.POST or None, framework=framework, scorecard=current)
    if request.method == "POST" and form.is_valid():
        services.scorecard_save(
            actor=request.user,
            opportunity=opportunity,
            framework=framework,
            scores=form.scores(),
            evidence=form.evidence(),
        )
        messages.success(request, f"{framework.name} scorecard saved.")
        return redirect("deals:deal", pk=pk)
    return _form_page(
        request,
        "deals/scorecard.html",
        opportunity,
        form,
        "Qualification scorecard",
        framework=framework,
        frameworks=frameworks,
    )


def canvas(request, pk):
    opportunity = _deal(request, pk, editable=True)
    versions = StrategyCanvas.objects.filter(opportunity=opportunity).select_related("author")
    latest = versions.first()
    form = CanvasForm(request.POST or None, initial=CanvasForm.initial_from(latest))
    if request.method == "POST" and form.is_valid():
        saved = services.canvas_save(actor=request.user, opportunity=opportunity, **form.canvas_fields())
        messages.success(request, f"Strategy saved as version {saved.version}.")
        return redirect("deals:deal", pk=pk)
    return _form_page(
        request, "deals/canvas.html", opportunity, form, "Deal strategy", versions=versions[:10]
    )


def review_create(request, pk):
    opportunity = _deal(request, pk)
    if not can_review(request.user, opportunity):
        raise Http404("No opportunity matches the given query.")
    people = Person.objects.visible_to(request.user).filter(
        Q(pk=opportunity.owner_id) | Q(pk=viewer(request.user).person_id)
    )
    form = ReviewForm(request.POST or None, people=people, initial={"next_step_owner": opportunity.owner_id})
    if request.method == "POST" and form.is_valid():
        services.deal_review_record(
            actor=request.user,
            opportunity=opportunity,
            notes=form.cleaned_data["notes"],
            next_steps=form.next_steps(),
        )
        messages.success(request, "Review recorded; the next steps are on the deal.")
        return redirect("deals:deal", pk=pk)
    signals = deal_signals([opportunity]).get(opportunity.pk, [])
    return _form_page(
        request, "deals/review_form.html", opportunity, form, "Review this deal", signals=signals
    )


@require_POST
def action_item_done(request, pk):
    item = get_object_or_404(ActionItem.objects.editable_by(request.user), pk=pk)
    services.action_item_complete(actor=request.user, item=item, done=request.POST.get("done") != "0")
    return redirect("deals:deal", pk=item.opportunity_id)


@require_POST
def category(request, pk):
    opportunity = _deal(request, pk, editable=True)
    form = CategoryForm(request.POST)
    if form.is_valid():
        services.deal_forecast_set(
            actor=request.user, opportunity=opportunity, category=form.cleaned_data["category"]
        )
        messages.success(request, "Forecast category saved.")
    else:
        messages.error(request, "Choose commit, best case, pipeline or omitted.")
    return redirect("deals:deal", pk=pk)


def review_queue(request):
    """The deals a manager should look at first, with the reasons, largest or riskiest first."""
    focus = request.GET.get("focus", "riskiest")
    focus = focus if focus in QUEUE_FOCUS else "riskiest"
    quarter = fiscal_calendar().quarter_of(timezone.localdate())
    deals = (
        Opportunity.objects.visible_to(request.user)
        .open()
        .select_related("account", "owner", "stage", "scorecard__framework")
    )
    if focus == "riskiest":
        page = _riskiest(deals)
    elif focus == "largest":
        deals = deals.order_by("-amount", "pk")
    elif focus == "stalled":
        stalled = RiskSignal.objects.filter(kind=SignalKind.STALLED).values("opportunity_id")
        deals = deals.filter(pk__in=stalled).order_by("-amount", "pk")
    else:
        deals = deals.closing_in(quarter).order_by("close_date", "-amount", "pk")
    if focus != "riskiest":
        page = list(deals[:QUEUE_SIZE])
    signals = {}
    for signal in RiskSignal.objects.filter(opportunity__in=[d.pk for d in page]).order_by("kind"):
        signals.setdefault(signal.opportunity_id, []).append(signal)
    rows = [(deal, signals.get(deal.pk, [])) for deal in page]
    checked = [signal.computed_on for found in signals.values() for signal in found]
    return render(
        request,
        "deals/review_queue.html",
        {
            "rows": rows,
            "focus": focus,
            "focus_label": QUEUE_FOCUS[focus],
            "focuses": QUEUE_FOCUS,
            "quarter": quarter,
            "checked_on": min(checked, default=None),
        },
    )


def _riskiest(deals) -> list:
    """Most signals first, then the largest: the few deals with several signals, counted and sorted,
    then the flagged deals by size (read down the amount index) — never counting every flagged deal."""
    several = RiskSignal.objects.values("opportunity_id").annotate(n=Count("pk")).filter(n__gte=2)
    first = list(
        deals.filter(pk__in=several.values("opportunity_id"))
        .annotate(risk_count=Count("risk_signals"))
        .order_by("-risk_count", "-amount", "pk")[:QUEUE_SIZE]
    )
    flagged = RiskSignal.objects.order_by().values("opportunity_id")
    shown = {deal.pk for deal in first}
    # Read down the amount index, keeping the flagged deals (about one open deal in ten), rather than
    # fetching every flagged deal and sorting them: `+id` keeps the database from starting at the list.
    largest = deals.filter(In(Unindexed(F("pk")), flagged)).order_by("-amount", "pk")[:QUEUE_SIZE]
    rest = [deal for deal in largest if deal.pk not in shown]
    return (first + rest)[:QUEUE_SIZE]


def _forecast_team(request):
    who = viewer(request.user)
    teams = Team.objects.visible_to(request.user)
    chosen = request.GET.get("team") or request.POST.get("team")
    if chosen:
        if not is_id(chosen):
            raise Http404("No team matches the given query.")
        return get_visible_or_404(Team.objects, request.user, pk=chosen)
    managed = teams.filter(manager_id=who.person_id).order_by("path").first() if who.person_id else None
    return managed or teams.order_by("path").first()


def _forecast_period(request):
    calendar = fiscal_calendar()
    label = request.GET.get("period") or request.POST.get("period")
    if not label:
        return calendar.quarter_of(timezone.localdate()), None
    try:
        period = calendar.parse(label)
    except PeriodError as error:
        return calendar.quarter_of(timezone.localdate()), str(error)
    return period, None


def forecast(request):
    """The team's forecast: calls and adjustments rolled up, beside the pipeline and the projection."""
    team = _forecast_team(request)
    period, period_error = _forecast_period(request)
    context = {"team": team, "period": period, "period_error": period_error, "period_help": PERIOD_HELP}
    if team is not None:
        result = team_forecast(user=request.user, team=team, period=period)
        children = Team.objects.visible_to(request.user).filter(parent=team).select_related("manager")
        context.update(result=result, children=[(child, result.calls.get(child.pk)) for child in children])
        context["may_adjust"] = (
            team.path.startswith(viewer(request.user).managed_paths or ("\0",))
            or viewer(request.user).is_admin
        )
        context["team_form"] = ForecastCallForm(prefix="team")
        context["own_form"] = ForecastCallForm(prefix="own")
        context["my_calls"] = _my_calls(request, period)
        context["team_calls"] = (
            ForecastCall.objects.visible_to(request.user)
            .filter(team=team, period=period.label)
            .select_related("author")[:10]
        )
    context["teams"] = Team.objects.visible_to(request.user).order_by("path")
    return render(request, "deals/forecast.html", context)


def _my_calls(request, period):
    person = viewer(request.user).person_id
    return ForecastCall.objects.filter(person_id=person, period=period.label)[:10] if person else []


@require_POST
def forecast_call(request):
    """A seller's own call (for=me) or a manager's adjusted call for a team (for=team)."""
    period, period_error = _forecast_period(request)
    team = _forecast_team(request) if request.POST.get("for") == "team" else None
    form = ForecastCallForm(request.POST, prefix="team" if team else "own")
    who = viewer(request.user)
    target = f"?team={team.pk}&period={period.label}" if team else f"?period={period.label}"
    if period_error or not form.is_valid():
        messages.error(
            request, period_error or "; ".join(e for errors in form.errors.values() for e in errors)
        )
        return redirect(f"{request.path.removesuffix('call/')}{target}")
    try:
        services.forecast_call_make(
            actor=request.user,
            period=period.label,
            person=None if team else Person.objects.filter(pk=who.person_id).first(),
            team=team,
            **form.cleaned_data,
        )
    except (ValidationError, OutOfScope) as error:
        messages.error(request, "; ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(request, "Call saved; earlier calls stay in the history.")
    return redirect(f"{request.path.removesuffix('call/')}{target}")


def process(request):
    """The standard sales process: stages, exit criteria, configured and calibrated probabilities."""
    stages = SalesStage.objects.prefetch_related("criteria")
    statistics = {row.stage_id: row for row in StageStatistic.objects.filter(team=None).defer("timing")}
    rows = [(stage, statistics.get(stage.pk)) for stage in stages if stage.outcome == Outcome.OPEN]
    return render(request, "deals/process.html", {"rows": rows})
