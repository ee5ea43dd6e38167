"""Private coaching notes and individual pulse answers never reach anyone outside their audience:
not through pages, the API, CSV exports, the CLI, search or the audit log."""

from io import StringIO

from auditlog.models import LogEntry
from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from firstline.api_urls import router
from firstline.coaching.services import session_record
from firstline.talent.models import PulseParticipation, PulseResponse
from firstline.talent.services import PulseAnswer, pulse_answer
from tests.team_world import PRIVATE_WORD, SHARED_WORD, build_team_world
from tests.world import build_world

EVERYONE = ("seller_a", "seller_b", "seller_c", "manager_1", "manager_2", "executive", "enablement", "admin")
NOTE_AUDIENCE = {"seller_a", "manager_1"}  # Alice and her coach
SESSION_AUDIENCE = {"seller_a", "manager_1", "executive", "admin"}


class PrivateNoteTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()
        cls.team = build_team_world(cls.world)

    def as_persona(self, persona):
        self.client.force_login(self.world.users[persona])

    def test_the_session_page_shows_the_private_note_to_the_coach_and_the_seller_only(self):
        url = reverse("coaching:session_detail", args=[self.team.session_a.pk])
        for persona in EVERYONE:
            with self.subTest(persona=persona):
                self.as_persona(persona)
                response = self.client.get(url)
                body = response.content.decode()
                assert (PRIVATE_WORD in body) == (persona in NOTE_AUDIENCE)
                # The positive control: whoever sees the session reads the shared note.
                assert (SHARED_WORD in body) == (persona in SESSION_AUDIENCE)

    def test_other_pages_never_show_a_private_note(self):
        alice = self.world.people["seller_a"].pk
        urls = [
            reverse("coaching:person_overview", args=[alice]),
            reverse("coaching:session_list"),
            reverse("coaching:cadence"),
            reverse("org:person_detail", args=[alice]),
        ]
        for persona in EVERYONE:
            self.as_persona(persona)
            for url in urls:
                with self.subTest(persona=persona, url=url):
                    assert PRIVATE_WORD not in self.client.get(url).content.decode()

    def test_the_api_returns_the_private_note_to_the_coach_and_the_seller_only(self):
        list_url = reverse("api:coachingsession-list")
        detail_url = reverse("api:coachingsession-detail", args=[self.team.session_a.pk])
        for persona in EVERYONE:
            with self.subTest(persona=persona):
                self.as_persona(persona)
                for url in (list_url, detail_url):
                    body = self.client.get(url).content.decode()
                    assert (PRIVATE_WORD in body) == (persona in NOTE_AUDIENCE), url
                    assert (SHARED_WORD in body) == (persona in SESSION_AUDIENCE), url

    def test_search_never_finds_a_session_by_its_private_note_but_does_by_a_shared_one(self):
        for persona in EVERYONE:
            with self.subTest(persona=persona):
                self.as_persona(persona)
                page = self.client.get(reverse("coaching:session_list"), {"q": PRIVATE_WORD})
                assert list(page.context["object_list"]) == []
                api = self.client.get(reverse("api:coachingsession-list"), {"q": PRIVATE_WORD}).json()
                assert api["results"] == []
                found = self.client.get(reverse("coaching:session_list"), {"q": SHARED_WORD})
                assert (self.team.session_a in found.context["object_list"]) == (persona in SESSION_AUDIENCE)

    def test_csv_exports_never_contain_private_notes_even_for_the_coach(self):
        for persona in EVERYONE:
            with self.subTest(persona=persona):
                self.as_persona(persona)
                body = self.client.get(reverse("coaching:session_export")).content.decode()
                assert PRIVATE_WORD not in body
                assert (SHARED_WORD in body) == (persona in SESSION_AUDIENCE)

    def test_the_cli_export_never_contains_private_notes(self):
        for persona in ("manager_1", "seller_a", "executive", "admin"):
            with self.subTest(persona=persona):
                out = StringIO()
                call_command("coaching", "sessions", "--as", persona, stdout=out)
                assert PRIVATE_WORD not in out.getvalue()
                assert SHARED_WORD in out.getvalue()

    def test_the_audit_log_keeps_no_copy_of_a_private_note(self):
        session_record(
            actor=self.world.users["manager_1"],
            seller=self.world.people["seller_a"],
            held_on=timezone.localdate(),
            private_note=f"{PRIVATE_WORD} once more",
        )
        assert LogEntry.objects.exists()  # sessions are audited…
        assert not LogEntry.objects.filter(changes_text__icontains=PRIVATE_WORD).exists()
        assert not any(PRIVATE_WORD in str(entry.changes) for entry in LogEntry.objects.all())


class PulseAnswerPrivacyTests(TestCase):
    """The world's pulse has three answers from East (10, 9, 3) and two from West (2, 8)."""

    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()
        cls.team = build_team_world(cls.world)

    def test_no_api_route_serves_individual_answers_or_who_answered(self):
        models = {viewset.serializer_class.Meta.model for _prefix, viewset, _name in router.registry}
        assert PulseResponse not in models and PulseParticipation not in models
        self.client.force_login(self.world.users["admin"])
        schema = self.client.get(reverse("api:schema")).content.decode().lower()
        assert "pulseresponse" not in schema and "participation" not in schema
        assert "/api/pulses/" in schema  # the aggregates only, below

    def test_the_pulse_api_gives_aggregates_of_three_or_more_and_nothing_else(self):
        w = self.world
        for persona, expected in [
            ("manager_2", {w.west.pk: (False, None, None)}),
            ("manager_1", {w.east.pk: (True, 3, 33.3)}),
            (
                "executive",
                {
                    w.company.pk: (False, None, None),
                    w.east.pk: (True, 3, 33.3),
                    w.west.pk: (False, None, None),
                },
            ),
            ("seller_c", {}),
        ]:
            with self.subTest(persona=persona):
                self.client.force_login(w.users[persona])
                body = self.client.get(reverse("api:pulse-detail", args=[self.team.pulse.pk])).json()
                results = {
                    r["team"]: (r["shown"], r["answers"], r["enps"] and float(r["enps"]))
                    for r in body["results"]
                }
                assert results == expected
                assert set(body) == {"id", "team", "title", "opens_on", "closes_on", "results"}

    def test_the_west_manager_sees_neither_the_score_nor_the_count_of_two_answers(self):
        self.client.force_login(self.world.users["manager_2"])
        page = self.client.get(reverse("talent:engagement")).content.decode()
        assert "hidden, small group" in page
        assert "−50" not in page and "-50" not in page and "(2 answers)" not in page
        export = self.client.get(reverse("talent:engagement_export")).content.decode()
        assert "-50" not in export and ",2," not in export
        assert "hidden" in export

    def test_the_east_manager_sees_east_but_not_the_company_total_that_would_reveal_west(self):
        self.client.force_login(self.world.users["manager_1"])
        response = self.client.get(reverse("talent:engagement"))
        rows = dict((team.name, results[0]) for team, results in response.context["table"])
        assert rows["East"].shown and rows["East"].answers == 3
        self.client.force_login(self.world.users["executive"])
        response = self.client.get(reverse("talent:engagement"))
        rows = dict((team.name, results[0]) for team, results in response.context["table"])
        assert rows["East"].shown and not rows["West"].shown and not rows["Northwind"].shown
        assert "(5 answers)" not in response.content.decode()

    def test_answering_leaves_no_trace_linking_the_person_to_the_answer(self):
        before = set(PulseResponse.objects.values_list("pk", flat=True))
        pulse_answer(
            actor=self.world.users["seller_b"], pulse=self.team.pulse, answer=PulseAnswer(0, 1, 1, 1)
        )
        new = PulseResponse.objects.exclude(pk__in=before).get()
        assert new.team == self.world.east  # the team it counts towards, nothing about who
        assert not LogEntry.objects.filter(object_pk=str(new.pk)).exists()
        assert not LogEntry.objects.filter(content_type__model="pulseresponse").exists()
