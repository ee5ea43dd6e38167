from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from firstline.coaching.exports import assessments_csv, frameworks_csv, plans_csv, sessions_csv
from firstline.coaching.filtersets import CoachingSessionFilterSet
from firstline.coaching.models import CoachingSession


class _Request:
    """Just enough of a request for the shared FilterSet: who is asking."""

    def __init__(self, user) -> None:
        self.user = user


class Command(BaseCommand):
    help = (
        "Export competency frameworks, assessments, coaching sessions or development plans as CSV, "
        "seen as one user sees them: the same scoping as the pages and the API, and never private notes."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("what", choices=["frameworks", "assessments", "sessions", "plans"])
        parser.add_argument("--as", dest="username", required=True, help="Export what this user may see.")
        parser.add_argument("--seller", type=int, help="Sessions: only this seller's (person id).")
        parser.add_argument("--search", help="Sessions: only those whose shared notes mention this.")

    def handle(self, *args, what: str, username: str, seller=None, search=None, **options) -> None:
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user named {username!r}.")
        if what == "sessions":
            params = {key: value for key, value in (("seller", seller), ("q", search)) if value is not None}
            queryset = CoachingSession.objects.visible_to(user)
            filterset = CoachingSessionFilterSet(params, queryset=queryset, request=_Request(user))
            if not filterset.is_valid():
                raise CommandError(f"Bad filter: {filterset.errors.as_text()}")
            text = sessions_csv(user=user, sessions=filterset.qs)
        else:
            text = {"frameworks": frameworks_csv, "assessments": assessments_csv, "plans": plans_csv}[what](
                user=user
            )
        self.stdout.write(text, ending="")
