"""CSV exports of coaching records. Private notes are never exported, for anyone: a file leaves the
app's scoping behind (it is forwarded, attached, kept), so only shared notes go in."""

import csv
import io

from django.db.models import Prefetch

from firstline.coaching.models import ActionItem, CoachingNote, NoteVisibility

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str:
    """A spreadsheet-safe cell: text that a spreadsheet would run as a formula is quoted."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


SESSION_COLUMNS = ["Date", "Kind", "Seller", "Coach", "Focus", "Shared notes", "Action items"]


def sessions_csv(*, user, sessions) -> str:
    """The sessions (already scoped and filtered) with their shared notes and action items."""
    sessions = sessions.select_related("seller", "coach").prefetch_related(
        "focus",
        Prefetch(
            "notes",
            queryset=CoachingNote.objects.visible_to(user).filter(visibility=NoteVisibility.SHARED),
            to_attr="shared_notes",
        ),
        Prefetch("action_items", queryset=ActionItem.objects.visible_to(user), to_attr="items"),
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(SESSION_COLUMNS)
    for session in sessions.iterator(chunk_size=500):
        writer.writerow(
            cell(value)
            for value in (
                session.held_on.isoformat(),
                session.get_kind_display(),
                session.seller.name,
                session.coach.name,
                "; ".join(c.name for c in session.focus.all()),
                "\n".join(note.body for note in session.shared_notes),
                "\n".join(
                    f"{item.description} (due {item.due_on.isoformat()}, "
                    f"{'done' if item.done_on else 'open'})"
                    for item in session.items
                ),
            )
        )
    return out.getvalue()


def _csv(header: list[str], rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow(cell(value) for value in row)
    return out.getvalue()


def frameworks_csv(*, user) -> str:
    from firstline.coaching.models import Competency

    competencies = Competency.objects.visible_to(user).select_related("framework")
    return _csv(
        ["Framework", "Audience", "Default", "Competency", "Description"],
        (
            (
                c.framework.name,
                c.framework.audience,
                "yes" if c.framework.is_default else "",
                c.name,
                c.description,
            )
            for c in competencies
        ),
    )


def assessments_csv(*, user) -> str:
    from firstline.coaching.models import Rating

    ratings = Rating.objects.visible_to(user).select_related(
        "assessment__person", "assessment__assessor", "competency"
    )
    return _csv(
        ["Person", "Kind", "Assessor", "Date", "Competency", "Score", "Evidence"],
        (
            (
                r.assessment.person.name,
                r.assessment.kind,
                r.assessment.assessor.name,
                r.assessment.assessed_on.isoformat(),
                r.competency.name,
                r.score,
                r.evidence,
            )
            for r in ratings.iterator(chunk_size=2000)
        ),
    )


def plans_csv(*, user) -> str:
    from firstline.coaching.models import DevelopmentGoal

    goals = DevelopmentGoal.objects.visible_to(user).select_related("plan__person", "competency")
    return _csv(
        ["Person", "Plan", "Goal", "Competency", "Due", "Status"],
        (
            (
                g.plan.person.name,
                g.plan.title,
                g.title,
                g.competency.name if g.competency else "",
                g.due_on.isoformat(),
                g.get_status_display(),
            )
            for g in goals.iterator(chunk_size=2000)
        ),
    )
