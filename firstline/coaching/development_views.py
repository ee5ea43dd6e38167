"""Competency pages: frameworks, assessments side by side, the team heat map, development plans."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from firstline.coaching.forms import AssessmentForm, GoalForm, GoalStatusForm, PlanForm
from firstline.coaching.models import (
    SCALE_LABELS,
    CompetencyFramework,
    DevelopmentAction,
    DevelopmentGoal,
    DevelopmentPlan,
    LearningResource,
)
from firstline.coaching.selectors import (
    assessment_comparison,
    default_framework,
    drill_down,
    heatmap_rollup,
    team_heatmap,
)
from firstline.coaching.services import (
    RatingInput,
    assessment_record,
    development_action_set_done,
    goal_set_status,
)
from firstline.coaching.views import leader_or_404
from firstline.core.scoping import OutOfScope, get_visible_or_404, scoped_save
from firstline.org.models import Person
from firstline.org.scoping import viewer


def framework_list(request):
    frameworks = CompetencyFramework.objects.visible_to(request.user).prefetch_related("competencies")
    return render(request, "coaching/framework_list.html", {"frameworks": frameworks})


def framework_detail(request, pk: int):
    framework = get_visible_or_404(CompetencyFramework.objects, request.user, pk=pk)
    competencies = framework.competencies.prefetch_related("levels")
    return render(
        request,
        "coaching/framework_detail.html",
        {"framework": framework, "competencies": competencies, "scale": SCALE_LABELS},
    )


def _framework_for(person):
    return default_framework("manager" if person.role == "manager" else "seller")


def person_competencies(request, pk: int):
    """The manager's and the seller's own latest ratings side by side, with movement and gaps."""
    person = get_visible_or_404(Person.objects, request.user, pk=pk)
    framework = _framework_for(person)
    if framework is None:
        raise Http404("No competency framework is set up.")
    rows, heads = assessment_comparison(user=request.user, person=person, framework=framework)
    return render(
        request,
        "coaching/person_competencies.html",
        {
            "person": person,
            "framework": framework,
            "rows": rows,
            "manager_assessment": heads.get("manager"),
            "self_assessment": heads.get("self"),
            "is_self": person.pk == viewer(request.user).person_id,
        },
    )


def assessment_create(request, pk: int):
    """Rate a person on every competency: a self-assessment for yourself, else a manager one."""
    person = get_visible_or_404(Person.objects, request.user, pk=pk)
    framework = _framework_for(person)
    if framework is None:
        raise Http404("No competency framework is set up.")
    form = AssessmentForm(request.POST or None, competencies=framework.competencies.all())
    if request.method == "POST" and form.is_valid():
        ratings = [
            RatingInput(c, form.cleaned_data[f"score_{c.pk}"], form.cleaned_data[f"evidence_{c.pk}"])
            for c in form.competencies
        ]
        try:
            assessment_record(
                actor=request.user,
                person=person,
                framework=framework,
                assessed_on=timezone.localdate(),
                ratings=ratings,
            )
        except ValidationError as error:
            form.add_error(None, error)
        except OutOfScope:
            raise Http404("You may not assess this person.") from None
        else:
            messages.success(request, "Assessment saved.")
            return redirect("coaching:person_competencies", pk=person.pk)
    is_self = person.pk == viewer(request.user).person_id
    return render(
        request,
        "coaching/assessment_form.html",
        {"person": person, "framework": framework, "form": form, "is_self": is_self},
    )


def heatmap(request):
    """Strengths and development needs: the latest manager ratings of one team's sellers, with
    movement; for a manager of several teams, also each team's average per competency."""
    leader_or_404(request)
    framework = default_framework()
    drill = drill_down(request.user, request.GET.get("team"))
    if framework is None or not drill.sellers:
        return render(request, "coaching/heatmap.html", {"heatmap": None, "framework": framework})
    result = team_heatmap(user=request.user, people=drill.direct, framework=framework)
    return render(
        request,
        "coaching/heatmap.html",
        {
            "framework": framework,
            "drill": drill,
            "team": drill.team,
            "heatmap": result,
            "competencies": result.competencies,
            "team_averages": heatmap_rollup(
                user=request.user, groups=drill.groups, person_ids=drill.within_ids, framework=framework
            ),
        },
    )


def plan_detail(request, pk: int):
    plan = get_visible_or_404(DevelopmentPlan.objects.select_related("person"), request.user, pk=pk)
    goals = (
        DevelopmentGoal.objects.visible_to(request.user)
        .filter(plan=plan)
        .select_related("competency")
        .prefetch_related("actions", "resources")
        .annotate(
            actions_total=Count("actions", distinct=True),
            actions_done=Count("actions", filter=Q(actions__done_on__isnull=False), distinct=True),
        )
    )
    may_change = DevelopmentPlan.objects.editable_by(request.user).filter(pk=plan.pk).exists()
    return render(
        request,
        "coaching/plan_detail.html",
        {"plan": plan, "goals": goals, "may_change": may_change, "statuses": GoalStatusForm.base_fields},
    )


def plan_create(request, pk: int):
    """A new plan for a person, with its first goal, action and learning resource, in one go."""
    person = get_visible_or_404(Person.objects, request.user, pk=pk)
    today = timezone.localdate()
    initial = {"starts_on": today, "ends_on": today + timedelta(days=182)}
    form = PlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            plan = _plan_save(request.user, person, form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        except OutOfScope:
            raise Http404("You may not plan for this person.") from None
        else:
            messages.success(request, "Development plan created.")
            return redirect(plan)
    return render(request, "coaching/plan_form.html", {"person": person, "form": form})


@transaction.atomic
def _plan_save(actor, person, data) -> DevelopmentPlan:
    plan = DevelopmentPlan(
        person=person,
        title=data["title"],
        starts_on=data["starts_on"],
        ends_on=data["ends_on"],
        created_by_id=viewer(actor).person_id,
    )
    scoped_save(actor=actor, instance=plan)
    _goal_save(plan, data)
    return plan


def _goal_save(plan, data) -> DevelopmentGoal:
    goal = DevelopmentGoal(
        plan=plan, competency=data["competency"], title=data["goal"], due_on=data["goal_due_on"]
    )
    goal.full_clean()
    goal.save()
    if data["action"]:
        action = DevelopmentAction(goal=goal, description=data["action"], due_on=data["action_due_on"])
        action.full_clean()
        action.save()
    if data["resource_title"]:
        resource = LearningResource(goal=goal, title=data["resource_title"], url=data["resource_url"])
        resource.full_clean()
        resource.save()
    return goal


def goal_create(request, pk: int):
    """Add a goal (with its first action and resource) to a plan the user may change."""
    plan = get_visible_or_404(DevelopmentPlan.objects.select_related("person"), request.user, pk=pk)
    if not DevelopmentPlan.objects.editable_by(request.user).filter(pk=plan.pk).exists():
        raise Http404("You may not change this plan.")
    form = GoalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                _goal_save(plan, form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Goal added.")
            return redirect(plan)
    return render(request, "coaching/goal_form.html", {"plan": plan, "form": form})


@require_POST
def goal_status(request, pk: int):
    goal = get_visible_or_404(DevelopmentGoal.objects, request.user, pk=pk)
    form = GoalStatusForm(request.POST)
    if form.is_valid():
        try:
            goal_set_status(actor=request.user, goal=goal, status=form.cleaned_data["status"])
        except OutOfScope:
            raise Http404("No goal matches the given query.") from None
        messages.success(request, f"“{goal.title}” is now {goal.get_status_display().lower()}.")
    else:
        messages.error(request, "Choose one of the listed statuses.")
    return redirect("coaching:plan_detail", pk=goal.plan_id)


@require_POST
def development_action_done(request, pk: int):
    action = get_visible_or_404(DevelopmentAction.objects.select_related("goal"), request.user, pk=pk)
    try:
        done = request.POST.get("done", "1") == "1"
        development_action_set_done(actor=request.user, action=action, done=done)
    except OutOfScope:
        raise Http404("No action matches the given query.") from None
    return redirect("coaching:plan_detail", pk=action.goal.plan_id)
