"""Writes for guiding deals. Views, API, CLI and the demo call these rather than saving directly."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from firstline.coaching.models import SessionKind
from firstline.coaching.services import session_record
from firstline.core.bulk import in_many, insert_rows, table_columns
from firstline.core.scoping import OutOfScope, save_in_scope, scoped_save
from firstline.deals.forecasting import calibration_refresh, rollup_refresh
from firstline.deals.models import (
    ActionItem,
    CriterionCheck,
    DealForecast,
    DealReview,
    ExitCriterion,
    ForecastCall,
    QualificationFramework,
    RiskSignal,
    Scorecard,
    StageSkip,
    StageStatistic,
    StrategyCanvas,
)
from firstline.deals.selectors import deal_rows, history_columns, risk_context, rows_signals, stage_entries
from firstline.kpis.forecast import History, learn_stage_days, percentile
from firstline.kpis.forecast_columns import learn
from firstline.org.scoping import viewer
from firstline.pipeline.models import Opportunity, Outcome, SalesStage
from firstline.pipeline.services import opportunity_save

RISK_BATCH = 2_000
RISK_SIGNAL_COLUMNS = table_columns(RiskSignal)[1:]  # the table numbers them, as bulk_create let it


def default_framework() -> QualificationFramework:
    """The default scorecard framework, putting the built-in ones back if a database lost them
    (a migration creates them; a flushed test database or a careless admin may not keep them)."""
    from firstline.deals.frameworks import FRAMEWORKS

    default = QualificationFramework.objects.filter(is_default=True).first()
    if default is not None:
        return default
    for name, elements, _is_default in FRAMEWORKS:
        QualificationFramework.objects.get_or_create(name=name, defaults={"elements": elements})
    QualificationFramework.objects.filter(name=FRAMEWORKS[0][0]).update(is_default=True)
    return QualificationFramework.objects.get(name=FRAMEWORKS[0][0])


def _require_editable(actor, opportunity: Opportunity) -> None:
    if not Opportunity.objects.editable_by(actor).filter(pk=opportunity.pk).exists():
        raise OutOfScope("You may not change this opportunity.")


def unmet_criteria(opportunity: Opportunity, stage: SalesStage) -> list[ExitCriterion]:
    """Exit criteria of the stages a move from the deal's current stage to `stage` passes, unmet."""
    current = opportunity.stage
    if stage.outcome == Outcome.LOST or stage.order <= current.order:
        return []  # losing a deal or moving it back needs no criteria
    passed = ExitCriterion.objects.filter(
        stage__order__gte=current.order, stage__order__lt=stage.order, stage__outcome=Outcome.OPEN
    )
    met = CriterionCheck.objects.filter(opportunity=opportunity).values("criterion_id")
    return list(passed.exclude(pk__in=met).select_related("stage"))


@transaction.atomic
def opportunity_move_stage(
    *, actor, opportunity: Opportunity, stage: SalesStage, reason: str = ""
) -> Opportunity:
    """Move a deal to `stage`. Passing a stage with unmet exit criteria is allowed, softly: the
    actor must say why, and the answer is kept beside the criteria that were skipped."""
    _require_editable(actor, opportunity)
    unmet = unmet_criteria(opportunity, stage)
    if unmet and not reason.strip():
        listed = "; ".join(criterion.text for criterion in unmet)
        raise ValidationError({"reason": f"Not met yet: {listed}. Say why the deal moves on anyway."})
    from_stage = opportunity.stage
    opportunity.stage = stage
    opportunity_save(actor=actor, instance=opportunity)
    if unmet:
        StageSkip.objects.create(
            opportunity=opportunity,
            from_stage=from_stage,
            to_stage=stage,
            unmet="\n".join(f"{criterion.stage.name}: {criterion.text}" for criterion in unmet),
            reason=reason.strip(),
            actor_id=viewer(actor).person_id,
            at=timezone.now(),
        )
    risk_refresh(opportunities=Opportunity.objects.filter(pk=opportunity.pk))
    return opportunity


@transaction.atomic
def criteria_check(*, actor, opportunity: Opportunity, met: set[int]) -> None:
    """Record which of the current stage's exit criteria are met (the rest are not)."""
    _require_editable(actor, opportunity)
    stage_criteria = set(ExitCriterion.objects.filter(stage=opportunity.stage).values_list("pk", flat=True))
    if met - stage_criteria:
        raise ValidationError({"met": "Tick only the criteria of the deal's current stage."})
    CriterionCheck.objects.filter(opportunity=opportunity, criterion_id__in=stage_criteria - met).delete()
    existing = set(
        CriterionCheck.objects.filter(opportunity=opportunity, criterion_id__in=met).values_list(
            "criterion_id", flat=True
        )
    )
    now, person = timezone.now(), viewer(actor).person_id
    CriterionCheck.objects.bulk_create(
        CriterionCheck(opportunity=opportunity, criterion_id=pk, checked_by_id=person, checked_at=now)
        for pk in sorted(met - existing)
    )


@transaction.atomic
def scorecard_save(
    *, actor, opportunity: Opportunity, framework: QualificationFramework, scores: dict, evidence: dict
) -> Scorecard:
    _require_editable(actor, opportunity)
    scorecard = Scorecard.objects.filter(opportunity=opportunity).first() or Scorecard(
        opportunity=opportunity
    )
    scorecard.framework = framework
    scorecard.scores = scores
    scorecard.evidence = {key: text for key, text in evidence.items() if text}
    scorecard.updated_by_id = viewer(actor).person_id
    scorecard.updated_at = timezone.now()
    return scoped_save(actor=actor, instance=scorecard)


def canvas_save(*, actor, opportunity: Opportunity, **fields) -> StrategyCanvas:
    """Save the deal's strategy as a new version; earlier versions stay as they were."""
    return canvas_version_save(actor=actor, instance=StrategyCanvas(opportunity=opportunity, **fields))


@transaction.atomic
def canvas_version_save(*, actor, instance: StrategyCanvas) -> StrategyCanvas:
    """Number and save a new canvas version (the API's create and the page both end here)."""
    _require_editable(actor, instance.opportunity)
    # Lock the deal's row so two people saving at once get versions n and n+1, not a clash.
    Opportunity.objects.select_for_update().filter(pk=instance.opportunity_id).first()
    latest = (
        StrategyCanvas.objects.filter(opportunity_id=instance.opportunity_id).order_by("-version").first()
    )
    instance.version = (latest.version + 1) if latest else 1
    instance.author_id = viewer(actor).person_id
    instance.created_at = timezone.now()
    return scoped_save(actor=actor, instance=instance)


@transaction.atomic
def deal_review_record(
    *, actor, opportunity: Opportunity, notes: str, held_on: date | None = None, next_steps=()
) -> DealReview:
    """Record a manager's review; each agreed next step becomes an action item for its owner.

    `next_steps` are (text, owner person, due date or None). The deal's own next step is left to
    the seller; an open action item counts as a next step for the risk rules.
    """
    review = deal_review_create(
        actor=actor, instance=DealReview(opportunity=opportunity, held_on=held_on, notes=notes)
    )
    for text, owner, due in next_steps:
        item = ActionItem(opportunity=opportunity, review=review, owner=owner, text=text, due=due)
        item.full_clean()
        item.save()
    risk_refresh(opportunities=Opportunity.objects.filter(pk=opportunity.pk))
    return review


def deal_review_save(*, actor, instance: DealReview) -> DealReview:
    """Save a review by the actor, noting the risk signals open at the time; only people above
    the deal's owner may review it (the scope refuses the owner reviewing their own deal)."""
    reviewer_id = viewer(actor).person_id
    if reviewer_id is None:
        raise OutOfScope("Only a person in the organisation can review a deal.")
    open_signals = RiskSignal.objects.filter(opportunity_id=instance.opportunity_id).order_by("kind")
    instance.reviewer_id = reviewer_id
    instance.held_on = instance.held_on or timezone.localdate()
    instance.risks_discussed = ", ".join(signal.get_kind_display() for signal in open_signals)[:300]
    instance.full_clean()
    save_in_scope(actor, instance, instance.save)
    return instance


@transaction.atomic
def deal_review_create(*, actor, instance: DealReview) -> DealReview:
    """Save a new review (page and API) and record it in the owner's coaching as a deal-review
    session with the deal and the notes: a deal review is coaching too, and counts in the cadence."""
    review = deal_review_save(actor=actor, instance=instance)
    opportunity = review.opportunity
    review.coaching_session = session_record(
        actor=actor,
        seller=opportunity.owner,
        kind=SessionKind.DEAL_REVIEW,
        held_on=review.held_on,
        opportunities=[opportunity],
        shared_note=review.notes,
    )
    review.save(update_fields=["coaching_session"])
    return review


def stamped_save(*, actor, instance):
    """Save a scorecard, category or call with who changed it and when (the API's writes)."""
    person = viewer(actor).person_id
    for by, at in (("updated_by_id", "updated_at"), ("author_id", "made_at")):
        if hasattr(instance, at):
            setattr(instance, by, person)
            setattr(instance, at, timezone.now())
    return scoped_save(actor=actor, instance=instance)


def action_item_complete(*, actor, item: ActionItem, done: bool = True) -> ActionItem:
    item.done_on = timezone.localdate() if done else None
    scoped_save(actor=actor, instance=item)
    risk_refresh(opportunities=Opportunity.objects.filter(pk=item.opportunity_id))
    return item


def deal_forecast_set(*, actor, opportunity: Opportunity, category: str) -> DealForecast:
    _require_editable(actor, opportunity)
    forecast = DealForecast.objects.filter(opportunity=opportunity).first() or DealForecast(
        opportunity=opportunity
    )
    forecast.category = category
    forecast.updated_by_id = viewer(actor).person_id
    forecast.updated_at = timezone.now()
    return scoped_save(actor=actor, instance=forecast)


def forecast_call_make(
    *, actor, period: str, commit: Decimal, best_case: Decimal, note: str = "", person=None, team=None
) -> ForecastCall:
    """A new call (history keeps the earlier ones): a seller's own, or a manager's for a team."""
    call = ForecastCall(
        period=period, person=person, team=team, commit=commit, best_case=best_case, note=note
    )
    return stamped_save(actor=actor, instance=call)


def risk_refresh(*, opportunities=None, today: date | None = None) -> int:
    """Recompute the stored signals of the given deals (all open deals by default), in batches.
    Returns how many signals are stored for them now. The deals are read as columns (no model
    instances) and the signals written through core.bulk: at a hundred thousand open deals those
    were most of the time. The ids come from the table's own sequence, as bulk_create's did."""
    today = today or timezone.localdate()
    if opportunities is None:
        RiskSignal.objects.exclude(opportunity__stage__outcome=Outcome.OPEN).delete()  # closed since
        opportunities = Opportunity.objects.open()
    context = risk_context(today)
    stored = 0
    for batch in deal_rows(opportunities, size=RISK_BATCH):
        found = rows_signals(batch, context)
        with transaction.atomic():
            RiskSignal.objects.filter(opportunity_id__in=in_many(row.pk for row in batch)).delete()
            stored += insert_rows(
                RiskSignal,
                RISK_SIGNAL_COLUMNS,
                (
                    (pk, signal.kind, signal.reason[:300], signal.since, today)
                    for pk, deal_found in found.items()
                    for signal in deal_found
                ),
            )
    return stored


@transaction.atomic
def stage_statistics_refresh(
    *, today: date | None = None, seed: int = 0, forecast: bool = True, stays: History | None = None
) -> int:
    """Learn calibration, stall thresholds and timing from every deal's history, and store them with
    how the forecast's chances did at today's point of past periods (`forecast`). Without it only the
    stall thresholds are learned and stored (the rows keep no calibration or timing, and the
    forecast's calibration and team figures are left as they are): what the demo's pacing needs
    before its own refresh at the end. The demo passes what `learn_stage_days` would learn as
    `stays`, counted while it drew the deals, rather than have four million stage changes read back."""
    if forecast and stays is not None:
        raise ValueError("Stage stays learned elsewhere stand in only for a refresh without the forecast.")
    today = today or timezone.localdate()
    if forecast:
        # Calibrating replays every deal against what learning found: the histories are read once,
        # as arrays, for both passes (about 150 MiB at a million deals, with what learning derives).
        deals = history_columns(Opportunity.objects.all(), dates=False)
        history = learn(deals, as_of=today, seed=seed)
        calibration_refresh(history, today, deals=deals)
        del deals
    else:
        history = (
            stays
            if stays is not None
            else learn_stage_days(stage_entries(Opportunity.objects.all()), as_of=today)
        )
    StageStatistic.objects.all().delete()
    by_team: dict[object, dict[int, list[int]]] = defaultdict(dict)
    for (team, stage), days in history.stage_days.items():
        by_team[team][stage] = days
    rows = []
    for stage in SalesStage.objects.all():
        everyone = [d for team_days in by_team.values() for d in team_days.get(stage.pk, [])]
        rate = history.rates.get(stage.pk)
        timing = history.timing.get(stage.pk)
        rows.append(
            StageStatistic(
                team=None,
                stage=stage,
                reached=rate.reached if rate else 0,
                won=rate.won if rate else 0,
                stall_days=percentile(everyone, 0.75) if everyone else None,
                stall_sample=len(everyone),
                timing=_timing_pairs(timing),
                computed_on=today,
            )
        )
        for team, team_days in by_team.items():
            days = team_days.get(stage.pk, [])
            if team is not None and len(days) >= 20:
                rows.append(
                    StageStatistic(
                        team_id=team,
                        stage=stage,
                        stall_days=percentile(days, 0.75),
                        stall_sample=len(days),
                        computed_on=today,
                    )
                )
    StageStatistic.objects.bulk_create(rows)
    if forecast:
        rollup_refresh(today)
    return len(rows)


def _timing_pairs(timing) -> list[list[int]]:
    return [list(sample) for sample in timing.samples] if timing is not None else []
