"""Tell cached viewers that team membership changed (see org.scoping.Viewer.team_person_ids)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from firstline.org.models import Membership
from firstline.org.scoping import MEMBERSHIPS_CHANGED


@receiver(post_save, sender=Membership, dispatch_uid="org_membership_saved")
@receiver(post_delete, sender=Membership, dispatch_uid="org_membership_deleted")
def _memberships_changed(sender, **kwargs):
    MEMBERSHIPS_CHANGED[0] += 1
