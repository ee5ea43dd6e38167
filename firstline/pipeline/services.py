"""Writes to the pipeline. Views, API and imports call these rather than saving directly."""

from django.core.exceptions import ValidationError
from django.utils import timezone

from firstline.core.scoping import full_clean_in_scope, save_in_scope
from firstline.org.scoping import viewer
from firstline.pipeline.models import Opportunity, Outcome, SalesStage, StageChange


def _follow_outcome(opportunity: Opportunity, previous_outcome: str | None) -> None:
    """`closed_on` and the loss reason follow every change of outcome: entering won or lost sets the
    day it happened, reopening clears it (so an old close cannot be re-won into a past quarter), and
    only a lost deal keeps a loss reason. A deal created already closed (an import of history) keeps
    the close day it comes with."""
    outcome = opportunity.stage.outcome
    if outcome == Outcome.OPEN:
        opportunity.closed_on = None
    elif outcome != previous_outcome and not (previous_outcome is None and opportunity.closed_on):
        opportunity.closed_on = timezone.localdate()
    if outcome != Outcome.LOST:
        opportunity.loss_reason = ""


def _contradictions(opportunity: Opportunity, *, close_date_changed: bool) -> dict[str, list[str]]:
    errors = {}
    outcome = opportunity.stage.outcome
    if outcome == Outcome.LOST and not opportunity.loss_reason.strip():
        errors["loss_reason"] = ["Say why the deal was lost: it is how the team learns from it."]
    # An open deal is still to be won, so its expected close lies ahead; one that has slipped may keep
    # its date until someone touches it, but nobody may set an open deal's close in the past.
    if (
        outcome == Outcome.OPEN
        and close_date_changed
        and opportunity.close_date
        and opportunity.close_date < timezone.localdate()
    ):
        errors["close_date"] = [
            "An open deal is expected to close today or later; if it has closed, set its stage."
        ]
    return errors


def opportunity_save(*, actor, instance: Opportunity) -> Opportunity:
    """Validate and save an opportunity the actor may change, keeping stage history, the won/lost
    date and the loss reason in step with the stage."""
    opportunity = instance
    before = (
        Opportunity.objects.filter(pk=opportunity.pk).values("stage_id", "close_date").first()
        if opportunity.pk
        else None
    ) or {"stage_id": None, "close_date": None}
    stage_changed = before["stage_id"] != opportunity.stage_id
    contradictions = {}
    if opportunity.stage_id is not None:
        previous_outcome = (
            SalesStage.objects.filter(pk=before["stage_id"]).values_list("outcome", flat=True).first()
            if stage_changed
            else opportunity.stage.outcome
        )
        _follow_outcome(opportunity, previous_outcome)
        close_date_changed = before["close_date"] != opportunity.close_date
        contradictions = _contradictions(opportunity, close_date_changed=close_date_changed)
    try:
        full_clean_in_scope(actor, opportunity)
    except ValidationError as error:
        # One answer with every problem, not one problem per attempt.
        raise ValidationError(error.update_error_dict(contradictions)) from None
    if contradictions:
        raise ValidationError(contradictions)

    def save() -> None:
        opportunity.save()
        if stage_changed:
            StageChange.objects.create(
                opportunity=opportunity,
                stage=opportunity.stage,
                changed_at=timezone.now(),
                # The actor's person is already known from the scope check: no extra query.
                changed_by_id=viewer(actor).person_id,
            )

    save_in_scope(actor, opportunity, save)
    return opportunity
