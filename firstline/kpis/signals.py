"""Keep the pre-aggregated results current on every single-row write.

Saving or deleting a deal, a stage change or a membership refreshes the rows of the sellers it
touches, inside the same transaction, so a figure read right after a write already includes it.
Bulk writes (`bulk_create`, `QuerySet.update`, imports and their undo) bypass signals; they call
`firstline.kpis.rollup.results_refresh(person_ids=...)` themselves.
"""

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from firstline.kpis.rollup import results_refresh
from firstline.org.models import Membership
from firstline.pipeline.models import Opportunity, StageChange


@receiver(pre_save, sender=Opportunity, dispatch_uid="kpis_opportunity_previous_owner")
def _remember_previous_owner(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None:
        instance._kpis_previous_owner_id = None
        return
    previous = Opportunity.objects.filter(pk=instance.pk).values_list("owner_id", flat=True).first()
    instance._kpis_previous_owner_id = previous


@receiver(post_save, sender=Opportunity, dispatch_uid="kpis_opportunity_saved")
def _opportunity_saved(sender, instance, raw=False, **kwargs):
    if raw:
        return
    previous = getattr(instance, "_kpis_previous_owner_id", None)
    results_refresh(person_ids={instance.owner_id, previous})
    # A won deal may carry the seller or the team over a threshold: tell them now, not tomorrow.
    if instance.closed_on is not None:
        from firstline.kpis.nudges import nudges_check

        nudges_check(person_ids=[instance.owner_id])


@receiver(post_delete, sender=Opportunity, dispatch_uid="kpis_opportunity_deleted")
def _opportunity_deleted(sender, instance, **kwargs):
    results_refresh(person_ids={instance.owner_id})


@receiver(post_save, sender=StageChange, dispatch_uid="kpis_stage_change_saved")
@receiver(post_delete, sender=StageChange, dispatch_uid="kpis_stage_change_deleted")
def _stage_history_changed(sender, instance, raw=False, **kwargs):
    if raw:
        return
    owner = Opportunity.objects.filter(pk=instance.opportunity_id).values_list("owner_id", flat=True).first()
    if owner is not None:
        results_refresh(person_ids={owner})


@receiver(post_save, sender=Membership, dispatch_uid="kpis_membership_saved")
@receiver(post_delete, sender=Membership, dispatch_uid="kpis_membership_deleted")
def _membership_changed(sender, instance, raw=False, **kwargs):
    if raw:
        return
    results_refresh(person_ids={instance.person_id})
