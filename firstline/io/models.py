from auditlog.registry import auditlog
from django.conf import settings
from django.db import models
from django.db.models import Q

from firstline.core.scoping import ScopedQuerySet


class ImportState(models.TextChoices):
    PREVIEW = "preview", "Not imported yet"
    IMPORTED = "imported", "Imported"
    REJECTED = "rejected", "Rejected"
    UNDONE = "undone", "Undone"


class ImportScope:
    """An import is seen by whoever ran it and by superusers; it holds their file."""

    def q(self, user, action):
        return Q() if user.is_superuser else Q(actor=user)


class ImportRun(models.Model):
    """One file brought in: who, when, what, the counts, and what undo needs to put things back.

    `changes` records, per table, the ids the import created and the previous values of the rows it
    updated; undo deletes the first and restores the second.
    """

    kind = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="import_runs"
    )
    file_name = models.CharField(max_length=255)
    data = models.BinaryField(
        help_text="The uploaded file as it was, for the preview, the check and the import."
    )
    mapping = models.TextField(blank=True, help_text="The mapping used, as TOML.")
    skip_bad_rows = models.BooleanField(default=False)
    state = models.CharField(max_length=20, choices=ImportState, default=ImportState.PREVIEW)
    counts = models.JSONField(default=dict, blank=True)
    report = models.JSONField(default=dict, blank=True, help_text="Rejected rows, matches, notes.")
    changes = models.JSONField(default=dict, blank=True)
    job = models.ForeignKey("core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    imported_at = models.DateTimeField(null=True, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = ImportScope()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.kind} from {self.file_name} ({self.get_state_display()})"


auditlog.register(ImportRun, exclude_fields=["data", "changes", "report"])
