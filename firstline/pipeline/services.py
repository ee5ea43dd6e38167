"""Writes to the pipeline. Views, API and imports call these rather than saving directly."""

from django.utils import timezone

from firstline.core.scoping import full_clean_in_scope, save_in_scope
from firstline.org.scoping import viewer
from firstline.pipeline.models import Opportunity, Outcome, StageChange


def opportunity_save(*, actor, instance: Opportunity) -> Opportunity:
    """Validate and save an opportunity the actor may change, keeping stage history and the
    won/lost date in step with the stage."""
    opportunity = instance
    previous_stage_id = (
        Opportunity.objects.filter(pk=opportunity.pk).values_list("stage_id", flat=True).first()
        if opportunity.pk
        else None
    )
    stage_changed = previous_stage_id != opportunity.stage_id
    if stage_changed:
        if opportunity.stage.outcome == Outcome.OPEN:
            opportunity.closed_on = None
        elif opportunity.closed_on is None:
            opportunity.closed_on = timezone.localdate()
    full_clean_in_scope(actor, opportunity)

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
