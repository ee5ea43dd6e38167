from auditlog.models import LogEntry
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from firstline.core.scoping import OutOfScope, get_visible_or_404
from firstline.core.views import ScopedDetailView, ScopedListView, is_htmx
from firstline.org.models import Person
from firstline.org.scoping import viewer
from firstline.pipeline.models import Account
from firstline.territories import design, services
from firstline.territories.filtersets import PlanFilterSet, ScenarioFilterSet, TerritoryFilterSet
from firstline.territories.forms import (
    ActionForm,
    AdjustForm,
    KeyAccountForm,
    PlanCreateForm,
    PlanForm,
    QuotaForm,
    ReviewForm,
    ScenarioForm,
    managed_teams,
)
from firstline.territories.models import (
    KeyAccount,
    PlanAction,
    QuotaAllocation,
    QuotaLine,
    Scenario,
    ScenarioStatus,
    Territory,
    TerritoryAssignment,
    TerritoryPlan,
)
from firstline.territories.quota import over_assignment
from firstline.territories.selectors import seller_segments, territory_totals
from firstline.territories.tasks import optimize_scenario


class TerritoryListView(ScopedListView):
    model = Territory
    filterset_class = TerritoryFilterSet
    select_related = ("owner", "team")
    template_name = "territories/territory_list.html"
    partial_template_name = "territories/_territory_table.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        totals = territory_totals([t.pk for t in context["object_list"]])
        for territory in context["object_list"]:
            territory.figures = totals.get(territory.pk, {"accounts": 0, "potential": 0})
        return context


class TerritoryDetailView(ScopedDetailView):
    model = Territory
    select_related = ("owner", "team")
    template_name = "territories/territory_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        assignments = TerritoryAssignment.objects.visible_to(self.request.user).filter(territory=self.object)
        context["current"] = (
            assignments.current().select_related("account").order_by("-account__market_potential")[:200]
        )
        context["history"] = assignments.exclude(end=None).select_related("account").order_by("-end")[:50]
        return context


@require_POST
def account_lock(request, pk):
    account = get_visible_or_404(Account.objects, request.user, pk=pk)
    locked = request.POST.get("locked") == "true"
    try:
        design.account_lock(actor=request.user, account=account, locked=locked)
    except OutOfScope:
        raise Http404("No account you may lock.") from None
    state = "locked in its territory" if locked else "free to move"
    messages.success(request, f"{account.name} is {state}.")
    current = TerritoryAssignment.objects.current().filter(account=account)
    territory = current.values_list("territory_id", flat=True).first()
    return redirect("territories:territory_detail", pk=territory) if territory else redirect(account)


class PlanListView(ScopedListView):
    model = TerritoryPlan
    filterset_class = PlanFilterSet
    select_related = ("seller",)
    template_name = "territories/plan_list.html"
    partial_template_name = "territories/_plan_table.html"


class PlanDetailView(ScopedDetailView):
    model = TerritoryPlan
    select_related = ("seller", "approved_by")
    template_name = "territories/plan_detail.html"

    def get_context_data(self, **kwargs):
        from firstline.core.periods import Period

        context = super().get_context_data(**kwargs)
        plan, who = self.object, viewer(self.request.user)
        period = Period(plan.period, plan.start, plan.end)
        context["segments"] = seller_segments(user=self.request.user, seller=plan.seller, period=period)
        context["key_accounts"] = plan.key_accounts.select_related("account")
        context["actions"] = plan.actions.select_related("owner")
        context["reviews"] = plan.reviews.select_related("reviewer", "version")
        context["versions"] = plan.versions.select_related("created_by")[:20]
        may_change = TerritoryPlan.objects.editable_by(self.request.user).filter(pk=plan.pk).exists()
        context["may_edit"] = may_change
        context["may_approve"] = may_change and (who.is_admin or who.person_id != plan.seller_id)
        context["review_form"] = ReviewForm()
        context.setdefault("key_account_form", KeyAccountForm(plan=plan, user=self.request.user))
        context.setdefault("action_form", ActionForm(plan=plan, user=self.request.user))
        return context


def _plan_part(request, pk, form_class, context_name, save):
    """Add to a plan from its page; a form with errors comes back on the page with what was typed."""
    plan = get_object_or_404(TerritoryPlan.objects.editable_by(request.user), pk=pk)
    form = form_class(request.POST, plan=plan, user=request.user)
    if form.is_valid():
        try:
            message = save(plan, form.cleaned_data)
        except (ValidationError, OutOfScope) as error:
            form.add_error(None, error)
        else:
            messages.success(request, message)
            return redirect(plan.get_absolute_url())
    page = PlanDetailView(request=request, kwargs={"pk": pk}, object=plan)
    context = page.get_context_data(object=plan, **{context_name: form})
    return render(request, page.template_name, context, status=400)


@require_POST
def plan_key_account(request, pk):
    def save(plan, data):
        services.key_account_set(actor=request.user, plan=plan, **data)
        return f"Key account {data['account'].name} saved; the plan is back in draft for approval."

    return _plan_part(request, pk, KeyAccountForm, "key_account_form", save)


@require_POST
def plan_action(request, pk):
    def save(plan, data):
        services.action_add(actor=request.user, plan=plan, **data)
        return "Action added; the plan is back in draft for approval."

    return _plan_part(request, pk, ActionForm, "action_form", save)


@require_POST
def key_account_remove(request, pk):
    key = get_object_or_404(
        KeyAccount.objects.editable_by(request.user).select_related("plan", "account"), pk=pk
    )
    services.key_account_remove(actor=request.user, key=key)
    messages.success(request, f"{key.account.name} is no longer a key account.")
    return redirect(key.plan.get_absolute_url())


@require_POST
def plan_action_done(request, pk):
    action = get_object_or_404(PlanAction.objects.editable_by(request.user).select_related("plan"), pk=pk)
    done = request.POST.get("done") == "1"
    services.action_done(actor=request.user, action=action, done=done)
    messages.success(request, f"{'Done' if done else 'Reopened'}: {action.description}")
    return redirect(action.plan.get_absolute_url())


def plan_create(request):
    """A seller starts their plan for a period (a manager may start one for a seller they lead)."""
    who = viewer(request.user)
    sellers = Person.objects.visible_to(request.user).filter(territories__isnull=False).distinct()
    form = PlanCreateForm(request.POST or None, sellers=sellers, initial={"seller": who.person_id})
    if request.method == "POST" and form.is_valid():
        plan = form.instance
        try:
            services.plan_save(actor=request.user, plan=plan)
        except (ValidationError, OutOfScope) as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Plan created. Fill it in and ask your manager to approve it.")
            return redirect(plan.get_absolute_url())
    return render(request, "territories/plan_create.html", {"form": form})


def plan_update(request, pk):
    plan = get_object_or_404(TerritoryPlan.objects.editable_by(request.user), pk=pk)
    form = PlanForm(request.POST or None, instance=plan)
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_save(actor=request.user, plan=form.instance)
        except (ValidationError, OutOfScope) as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Plan saved as a new version.")
            return redirect(plan.get_absolute_url())
    return render(request, "territories/plan_form.html", {"form": form, "object": plan})


@require_POST
def plan_approve(request, pk):
    plan = get_visible_or_404(TerritoryPlan.objects, request.user, pk=pk)
    try:
        services.plan_approve(actor=request.user, plan=plan)
    except OutOfScope:
        raise Http404("No plan you may approve.") from None
    messages.success(request, "Plan approved.")
    return redirect(plan.get_absolute_url())


@require_POST
def plan_review(request, pk):
    plan = get_visible_or_404(TerritoryPlan.objects, request.user, pk=pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "A review needs what changed and the adjustment decided.")
        return redirect(plan.get_absolute_url())
    try:
        services.plan_review(actor=request.user, plan=plan, **form.cleaned_data)
    except OutOfScope:
        raise Http404("No plan you may review.") from None
    messages.success(request, "Review recorded with a progress snapshot.")
    return redirect(plan.get_absolute_url())


def scenario_list(request):
    scenarios = ScenarioFilterSet(
        request.GET, Scenario.objects.visible_to(request.user).select_related("team"), request=request
    )
    form = ScenarioForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            scenario = design.scenario_create(
                actor=request.user,
                team=data["team"],
                balance=data["balance"],
                tolerance=float(data["tolerance"]),
                max_moves=data["max_moves"],
            )
        except (OutOfScope, ValueError) as error:
            form.add_error(None, str(error))
        else:
            transaction.on_commit(lambda: optimize_scenario.enqueue(scenario.pk))
            return redirect(scenario.get_absolute_url())
    context = {
        "filter": scenarios,
        "object_list": scenarios.qs[:50],
        "form": form,
        "may_optimize": managed_teams(request.user).exists(),
    }
    return render(request, "territories/scenario_list.html", context)


@vary_on_headers("HX-Request")
def scenario_detail(request, pk):
    scenario = get_visible_or_404(Scenario.objects.select_related("team", "applied_by"), request.user, pk=pk)
    if is_htmx(request):
        return render(request, "territories/_scenario_progress.html", {"scenario": scenario})
    may_change = Scenario.objects.editable_by(request.user).filter(pk=scenario.pk).exists()
    context = {
        "scenario": scenario,
        "result": scenario.result,
        "may_apply": may_change and scenario.status == ScenarioStatus.READY,
        "may_undo": may_change and scenario.status == ScenarioStatus.APPLIED,
        "history": LogEntry.objects.get_for_object(scenario).select_related("actor")[:10],
        "map_data": _map_data(scenario.result),
    }
    return render(request, "territories/scenario_detail.html", context)


def _map_data(result: dict) -> dict | None:
    points = result.get("points")
    if not points:
        return None
    return {**points, "moved": [m["account_id"] for m in result.get("moves", [])]}


@require_POST
def scenario_apply(request, pk):
    return _scenario_change(request, pk, design.scenario_apply, "Scenario applied: the accounts have moved.")


@require_POST
def scenario_undo(request, pk):
    return _scenario_change(request, pk, design.scenario_undo, "Scenario undone: the accounts are back.")


def _scenario_change(request, pk, service, success):
    scenario = get_visible_or_404(Scenario.objects, request.user, pk=pk)
    try:
        service(actor=request.user, scenario=scenario)
    except OutOfScope:
        raise Http404("No scenario you may change.") from None
    except ValueError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, success)
    return redirect(scenario.get_absolute_url())


def quota_list(request):
    allocations = QuotaAllocation.objects.visible_to(request.user).select_related("team")[:50]
    form = QuotaForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            allocation = services.quota_allocate(
                actor=request.user,
                team=data["team"],
                period=data["period"],
                team_target=data["team_target"],
                weights={n: data[f"weight_{n}"] for n in ("history", "potential", "pipeline")},
            )
        except (OutOfScope, ValueError, ValidationError) as error:
            form.add_error(None, str(error))
        else:
            return redirect(allocation.get_absolute_url())
    context = {"allocations": allocations, "form": form, "may_allocate": managed_teams(request.user).exists()}
    return render(request, "territories/quota_list.html", context)


def quota_detail(request, pk):
    allocation = get_visible_or_404(QuotaAllocation.objects.select_related("team"), request.user, pk=pk)
    lines = list(
        QuotaLine.objects.visible_to(request.user).filter(allocation=allocation).select_related("seller")
    )
    ratio, gap = over_assignment(allocation.team_target, [line.final for line in lines])
    context = {
        "allocation": allocation,
        "lines": lines,
        "ratio": ratio,
        "gap": gap,
        "proposed_total": sum(line.proposed for line in lines),
        "form": AdjustForm(),
    }
    return render(request, "territories/quota_detail.html", context)


@require_POST
def quota_adjust(request, pk):
    line = get_visible_or_404(QuotaLine.objects.select_related("allocation"), request.user, pk=pk)
    form = AdjustForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The adjustment must be an amount, like 25000 or -10000.")
    else:
        try:
            services.quota_adjust(actor=request.user, line=line, adjustment=form.cleaned_data["adjustment"])
        except OutOfScope:
            raise Http404("No quota line you may adjust.") from None
        messages.success(request, f"Adjustment for {line.seller} saved.")
    return redirect(line.allocation.get_absolute_url())
