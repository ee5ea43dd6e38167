"""Every URL pattern and API route, for every persona: who may list, read and change what.

The walk over the URL resolver makes a new route fail here until its expectations are written down.
"""

import json
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.test import TestCase
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from firstline.core.models import Job
from firstline.core.periods import fiscal_calendar
from firstline.io.models import ImportRun
from tests.deals.world import build_deal_objects
from tests.team_matrix import api_routes, page_routes, team_objects
from tests.territories.world import build_territories
from tests.world import PERSONAS, build_world

SIGNED_IN = frozenset(PERSONAS) - {"anonymous"}
# Who may see Alice's deals, accounts and targets: Alice, her manager, the executive above, the admin.
ALICE_CIRCLE = frozenset({"seller_a", "manager_1", "executive", "admin"})
ALICE_MANAGERS = frozenset({"manager_1", "executive", "admin"})
DIRECTORY = ALICE_CIRCLE | {"enablement"}
EAST_TEAM = frozenset({"seller_a", "seller_b", "manager_1", "executive", "enablement", "admin"})
ADMIN = frozenset({"admin"})
MANAGERS = frozenset({"manager_1", "manager_2", "executive", "admin"})
MIA_AND_ADMIN = frozenset({"manager_1", "admin"})


@dataclass
class Check:
    method: str
    allowed: frozenset
    ok: int  # status for personas in `allowed`
    denied: int = 404  # status for other signed-in personas
    forbidden: frozenset = frozenset()  # personas who see the object but may not change it: 403
    anonymous: int = 302  # pages redirect to sign-in; the API answers 401
    data: dict | None = None
    path: str = ""  # appended to the reversed URL (a query string)
    in_list: str | None = None  # for lists: the world attribute whose id appears only to `allowed`
    others: dict = field(default_factory=dict)  # persona → status, where one differs from the above

    def expected(self, persona: str) -> int:
        if persona in self.others:
            return self.others[persona]
        if persona == "anonymous":
            return self.anonymous
        if persona in self.allowed:
            return self.ok
        return 403 if persona in self.forbidden else self.denied


@dataclass
class Route:
    args: tuple = ()  # world attribute names whose pk fills the URL
    literal_args: tuple = ()  # plain values appended to the URL's arguments
    checks: list[Check] = field(default_factory=list)


def page_list(in_list=None, allowed=SIGNED_IN):
    return Route(checks=[Check("get", SIGNED_IN, 200, in_list=in_list and (in_list, allowed))])


def api_list(in_list, visible, create=None):
    checks = [Check("get", SIGNED_IN, 200, anonymous=401, in_list=(in_list, visible))]
    if create:
        checks.append(create)
    return Route(checks=checks)


def api_detail(obj, visible, changeable, patch):
    """Read and change one object: invisible is 404, visible but not changeable is 403."""
    return Route(
        args=(obj,),
        checks=[
            Check("get", visible, 200, anonymous=401),
            Check("patch", changeable, 200, anonymous=401, data=patch, forbidden=visible - changeable),
        ],
    )


def admin_only_create(data):
    """A POST to a list that only admins may make: 403 for everyone else signed in."""
    return Check("post", ADMIN, 201, denied=403, anonymous=401, data=data)


def opportunity_create_data(world):
    today = timezone.localdate()
    return {
        "name": "New Acme deal",
        "account": world.account_a.pk,
        "owner": world.people["seller_a"].pk,
        "amount": "1000.00",
        "stage": world.stages["prospect"].pk,
        "created": today.isoformat(),
        "close_date": (today + timedelta(days=60)).isoformat(),
    }


def read_only(obj, visible, api=True):
    return Route(args=(obj,), checks=[Check("get", visible, 200, anonymous=401 if api else 302)])


def post_on(obj, allowed, ok=302, data=None, **kwargs):
    return Route(args=(obj,), checks=[Check("post", allowed, ok, data=data or {}, **kwargs)])


PLAN_FORM = {"period": "2031", "objective_amount": "310000", "resources_budget": "0", "objectives": "Grow"}
# Territories: Alice's territory and plan follow her circle; East's scenario and quota are for East's
# managers only (manager_1, the executive above, the admin); a seller may not approve or review her own plan.
TERRITORY_ROUTES = {
    "territories:territory_list": page_list("territory_a", ALICE_CIRCLE),
    "territories:territory_detail": read_only("territory_a", ALICE_CIRCLE, api=False),
    "territories:account_lock": post_on("account_a", ALICE_MANAGERS, data={"locked": "true"}),
    "territories:plan_list": page_list("territory_plan_a", ALICE_CIRCLE),
    "territories:plan_detail": read_only("territory_plan_a", ALICE_CIRCLE, api=False),
    # Everyone may open the form; only Alice's circle can name her, others get the form back.
    "territories:plan_create": Route(
        checks=[
            Check("get", SIGNED_IN, 200),
            Check(
                "post",
                ALICE_CIRCLE,
                302,
                denied=200,
                data=lambda _world, o: {"seller": o["person_a"].pk, "period": "2031"},
            ),
        ]
    ),
    "territories:plan_update": Route(
        args=("territory_plan_a",),
        checks=[Check("get", ALICE_CIRCLE, 200), Check("post", ALICE_CIRCLE, 302, data=PLAN_FORM)],
    ),
    "territories:plan_approve": post_on("territory_plan_a", ALICE_MANAGERS),
    "territories:plan_review": post_on(
        "territory_plan_a", ALICE_MANAGERS, data={"what_changed": "A", "adjustment": "B"}
    ),
    "territories:plan_key_account": post_on(
        "territory_plan_a",
        ALICE_CIRCLE,
        data=lambda world, _o: {"key-account": world.account_a.pk, "key-strategy": "Land the EU arm"},
    ),
    "territories:plan_action": post_on(
        "territory_plan_a",
        ALICE_CIRCLE,
        data=lambda world, _o: {
            "action-description": "Call the CFO",
            "action-owner": world.people["seller_a"].pk,
            "action-due": "2031-01-15",
        },
    ),
    "territories:key_account_remove": post_on("key_account_a", ALICE_CIRCLE),
    "territories:plan_action_done": post_on("plan_action_a", ALICE_CIRCLE, data={"done": "1"}),
    "territories:scenario_list": Route(
        checks=[
            Check("get", SIGNED_IN, 200, in_list=("scenario_east", ALICE_MANAGERS)),
            # Everyone else gets the form back: East is not a team they may choose.
            Check(
                "post",
                ALICE_MANAGERS,
                302,
                denied=200,
                data=lambda _world, o: {
                    "team": o["east"].pk,
                    "balance": ["potential", "workload"],
                    "tolerance": "0.02",
                },
            ),
        ]
    ),
    "territories:scenario_detail": read_only("scenario_east", ALICE_MANAGERS, api=False),
    "territories:scenario_apply": post_on("scenario_east", ALICE_MANAGERS),
    "territories:scenario_undo": post_on("scenario_east", ALICE_MANAGERS),
    "territories:quota_list": Route(
        checks=[
            Check("get", SIGNED_IN, 200),
            Check(
                "post",
                ALICE_MANAGERS,
                302,
                denied=200,
                data=lambda _world, o: {
                    "team": o["east"].pk,
                    "period": "2031",
                    "team_target": "900000",
                    "weight_history": "0.5",
                    "weight_potential": "0.3",
                    "weight_pipeline": "0.2",
                },
            ),
        ]
    ),
    "territories:quota_detail": read_only("allocation_east", ALICE_MANAGERS, api=False),
    "territories:quota_adjust": post_on("quota_line_a", ALICE_MANAGERS, data={"adjustment": "1000"}),
    "api:territory-list": api_list("territory_a", ALICE_CIRCLE),
    "api:territory-detail": read_only("territory_a", ALICE_CIRCLE),
    "api:territoryassignment-list": api_list("assignment_a", ALICE_CIRCLE),
    "api:territoryassignment-detail": read_only("assignment_a", ALICE_CIRCLE),
    "api:territoryplan-list": api_list(
        "territory_plan_a",
        ALICE_CIRCLE,
        # Others cannot name Alice as the seller: the reference is invalid to them.
        Check(
            "post",
            ALICE_CIRCLE,
            201,
            denied=400,
            anonymous=401,
            data=lambda _world, o: {"seller": o["person_a"].pk, "period": "2031"},
            forbidden=frozenset({"enablement"}),  # sees Alice in the directory, may not plan for her
        ),
    ),
    "api:territoryplan-detail": api_detail(
        "territory_plan_a", ALICE_CIRCLE, ALICE_CIRCLE, {"objectives": "Grow in retail"}
    ),
    "api:planreview-list": api_list("plan_review_a", ALICE_CIRCLE),
    "api:planreview-detail": read_only("plan_review_a", ALICE_CIRCLE),
    "api:scenario-list": api_list(
        "scenario_east",
        ALICE_MANAGERS,
        # East's own sellers and enablement can name the team but may not optimize it; others cannot name it.
        Check(
            "post",
            ALICE_MANAGERS,
            201,
            denied=400,
            anonymous=401,
            data=lambda _world, o: {"team": o["east"].pk},
            forbidden=frozenset({"seller_a", "seller_b", "enablement"}),
        ),
    ),
    "api:scenario-detail": read_only("scenario_east", ALICE_MANAGERS),
    "api:scenario-apply": post_on("scenario_east", ALICE_MANAGERS, ok=200, anonymous=401),
    "api:scenario-undo": post_on("scenario_east", ALICE_MANAGERS, ok=409, anonymous=401),
    "api:quotaallocation-list": api_list("allocation_east", ALICE_MANAGERS),
    "api:quotaallocation-detail": read_only("allocation_east", ALICE_MANAGERS),
    "api:quotaline-list": api_list("quota_line_a", ALICE_CIRCLE),
    "api:quotaline-detail": read_only("quota_line_a", ALICE_CIRCLE),
}


ROUTES = {
    "home": Route(checks=[Check("get", SIGNED_IN, 302)]),
    "login": Route(checks=[Check("get", frozenset(), 200, denied=302, anonymous=200)]),
    "logout": Route(checks=[Check("post", SIGNED_IN, 302, data={})]),
    "kpis:my_team": Route(checks=[Check("get", MANAGERS, 200)]),
    # Everyone's own nudges (admins see all); marking them read touches only one's own.
    "kpis:nudge_list": Route(checks=[Check("get", SIGNED_IN, 200), Check("post", SIGNED_IN, 302, data={})]),
    # Kudos for Alice: only the people above her may give them.
    "targets:kudos_give": Route(
        args=("person_a",), checks=[Check("post", ALICE_MANAGERS, 302, data={"message": "Great close!"})]
    ),
    "org:person_list": page_list("person_a", DIRECTORY),
    "org:person_detail": Route(args=("person_a",), checks=[Check("get", DIRECTORY, 200)]),
    "pipeline:account_list": page_list("account_a", ALICE_CIRCLE),
    "pipeline:account_detail": Route(args=("account_a",), checks=[Check("get", ALICE_CIRCLE, 200)]),
    "pipeline:account_update": Route(
        args=("account_a",),
        checks=[
            Check("get", ALICE_CIRCLE, 200),
            Check(
                "post",
                ALICE_CIRCLE,
                302,
                data={"name": "Acme Corporation", "segment": "enterprise", "market_potential": "600000"},
            ),
        ],
    ),
    "pipeline:opportunity_list": page_list("opportunity_a", ALICE_CIRCLE),
    "pipeline:opportunity_detail": Route(args=("opportunity_a",), checks=[Check("get", ALICE_CIRCLE, 200)]),
    "pipeline:opportunity_update": Route(
        args=("opportunity_a",),
        checks=[
            Check("get", ALICE_CIRCLE, 200),
            Check("post", ALICE_CIRCLE, 302, data="opportunity_form"),
        ],
    ),
    "targets:target_list": page_list("target_a", ALICE_CIRCLE),
    "targets:target_detail": Route(args=("target_a",), checks=[Check("get", ALICE_CIRCLE, 200)]),
    # Outside their scope the seller or team is not a valid choice: the form answers with an error.
    "targets:target_create": Route(
        checks=[
            Check("get", SIGNED_IN, 200),
            Check("post", ALICE_MANAGERS, 302, denied=200, data="target_create"),
        ]
    ),
    "targets:target_update": Route(
        args=("target_a",),
        checks=[
            Check("get", ALICE_MANAGERS, 200),
            Check("post", ALICE_MANAGERS, 302, data="target_form"),
        ],
    ),
    "targets:target_raise": Route(
        checks=[
            Check("get", SIGNED_IN, 200),
            Check("post", ALICE_MANAGERS, 302, denied=200, data="target_raise"),
        ]
    ),
    # Imports: everyone signed in has a history (their own); a run is seen by whoever uploaded it
    # (Mia here) and superusers. Exports read through the page's scope and FilterSet.
    "io:import_list": Route(checks=[Check("get", SIGNED_IN, 200)]),
    "io:import_start": Route(checks=[Check("get", SIGNED_IN, 200)]),
    "io:import_detail": Route(args=("import_run",), checks=[Check("get", MIA_AND_ADMIN, 200)]),
    "io:import_commit": Route(args=("import_run",), checks=[Check("post", MIA_AND_ADMIN, 302, data={})]),
    "io:import_undo": Route(args=("import_run",), checks=[Check("post", MIA_AND_ADMIN, 302, data={})]),
    "io:export": Route(
        literal_args=("opportunities", "csv"),
        checks=[Check("get", SIGNED_IN, 200), Check("get", SIGNED_IN, 200, path="?outcome=won")],
    ),
    "api:importrun-list": api_list("import_run", MIA_AND_ADMIN),
    "api:importrun-detail": Route(
        args=("import_run",), checks=[Check("get", MIA_AND_ADMIN, 200, anonymous=401)]
    ),
    "api:job-list": api_list("job", MIA_AND_ADMIN),
    "api:job-detail": Route(args=("job",), checks=[Check("get", MIA_AND_ADMIN, 200, anonymous=401)]),
    # A background job is seen by whoever started it (Mia here) and superusers.
    "job_progress": Route(args=("job",), checks=[Check("get", MIA_AND_ADMIN, 200)]),
    "api:api-root": Route(checks=[Check("get", SIGNED_IN, 200, anonymous=401)]),
    "api:schema": Route(checks=[Check("get", SIGNED_IN, 200, anonymous=401)]),
    "api:docs": Route(checks=[Check("get", SIGNED_IN, 200, anonymous=401)]),
    # Everyone signed in has figures of their own (their team's, or their own); out-of-scope teams
    # and sellers are 404, checked in tests/kpis/test_api.py.
    "api:kpis": Route(checks=[Check("get", SIGNED_IN, 200, anonymous=401)]),
    "api:token": Route(checks=[Check("get", frozenset(), 0, denied=405, anonymous=405)]),
    "api:person-list": api_list(
        "person_a",
        DIRECTORY,
        admin_only_create({"name": "New Hire", "email": "new@example.com"}),
    ),
    "api:person-detail": api_detail("person_a", DIRECTORY, ADMIN, {"title": "Senior Account Executive"}),
    "api:team-list": api_list(
        "east",
        EAST_TEAM,
        admin_only_create({"name": "North", "kind": "team"}),
    ),
    "api:team-detail": api_detail("east", EAST_TEAM, ADMIN, {"name": "East Coast"}),
    "api:membership-list": api_list("membership_a", DIRECTORY),
    "api:membership-detail": api_detail("membership_a", DIRECTORY, ADMIN, {"end": None}),
    # A new account belongs to whoever creates it unless an owner is named.
    "api:account-list": api_list(
        "account_a",
        ALICE_CIRCLE,
        Check("post", SIGNED_IN, 201, anonymous=401, data={"name": "Fresh Prospect"}),
    ),
    "api:account-detail": api_detail("account_a", ALICE_CIRCLE, ALICE_CIRCLE, {"industry": "Retail"}),
    "api:product-list": api_list(
        "product",
        SIGNED_IN,
        admin_only_create({"name": "Pulse", "code": "PULSE"}),
    ),
    "api:product-detail": api_detail("product", SIGNED_IN, ADMIN, {"family": "Analytics"}),
    "api:salesstage-list": api_list("stage_prospect", SIGNED_IN),
    "api:salesstage-detail": api_detail("stage_prospect", SIGNED_IN, ADMIN, {"probability": 15}),
    "api:opportunity-list": api_list(
        "opportunity_a",
        ALICE_CIRCLE,
        Check(
            # Others cannot even name Alice's account and owner: the references are invalid to them.
            "post",
            ALICE_CIRCLE,
            201,
            denied=400,
            anonymous=401,
            data="opportunity_create",
        ),
    ),
    "api:opportunity-detail": api_detail(
        "opportunity_a", ALICE_CIRCLE, ALICE_CIRCLE, {"next_step": "Call CFO"}
    ),
    "api:target-list": api_list("target_a", ALICE_CIRCLE),
    "api:target-detail": api_detail("target_a", ALICE_CIRCLE, ALICE_MANAGERS, {"amount": "320000.00"}),
    **TERRITORY_ROUTES,
}

from tests.deals.matrix import deal_routes  # noqa: E402 -- needs the helpers above

ROUTES.update(deal_routes())


ROUTES.update(page_routes(Route, Check))
ROUTES.update(api_routes(Route, Check))


def walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from walk(entry.url_patterns, namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{prefix}{entry.name}"
        elif isinstance(entry, URLPattern):
            yield f"<unnamed {entry.pattern}>"


class AuthorizationMatrixTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()
        cls.objects = {
            "person_a": cls.world.people["seller_a"],
            "membership_a": cls.world.people["seller_a"].memberships.get(),
            "east": cls.world.east,
            "account_a": cls.world.account_a,
            "opportunity_a": cls.world.opportunity_a,
            "target_a": cls.world.target_a,
            "product": cls.world.product,
            "stage_prospect": cls.world.stages["prospect"],
            "job": Job.objects.create(actor=cls.world.users["manager_1"], kind="io.import"),
            "import_run": ImportRun.objects.create(
                actor=cls.world.users["manager_1"],
                kind="opportunities",
                file_name="deals.csv",
                data=b"Owner,Stage,Created\nBob Baker,Prospect,2024-01-05\n",
            ),
        }
        # Each domain names its probe objects; a name used twice would silently test the wrong object.
        for extra in (build_deal_objects(cls.world), build_territories(cls.world), team_objects(cls.world)):
            clash = cls.objects.keys() & extra.keys()
            assert not clash, f"matrix objects named twice: {sorted(clash)}"
            cls.objects.update(extra)

    def test_every_route_has_expectations(self):
        routes = set(walk(get_resolver().url_patterns))
        self.assertEqual(routes - set(ROUTES), set(), "routes without expectations in ROUTES")
        self.assertEqual(set(ROUTES) - routes, set(), "expectations for routes that do not exist")

    def _data(self, data):
        quarter = fiscal_calendar().quarter_of(timezone.localdate()).label
        person = self.world.people["seller_a"].pk
        if data == "target_create":
            return {"person": person, "metric": "revenue", "period": "2031Q1", "amount": "1000"}
        if data == "target_form":
            return {"person": person, "metric": "revenue", "period": quarter, "amount": "330000"}
        if data == "target_raise":
            return {"team": self.world.east.pk, "period": quarter, "metric": "revenue", "percent": "10"}
        if callable(data):
            return data(self.world, self.objects)
        if data == "opportunity_create":
            return opportunity_create_data(self.world)
        if data == "opportunity_form":
            opportunity = self.world.opportunity_a
            return {
                "name": opportunity.name,
                "stage": self.world.stages["propose"].pk,
                "amount": "125000",
                "close_date": opportunity.close_date.isoformat(),
                "next_step": "Workshop",
            }
        return data

    def _request(self, name, route, check, persona):
        self.client.logout()
        if persona != "anonymous":
            self.client.force_login(self.world.users[persona])
        args = [self.objects[key].pk for key in route.args] + list(route.literal_args)
        url = reverse(name, args=args) + check.path
        data = self._data(check.data)
        if name.startswith("api:") and check.method in {"post", "patch"}:
            return getattr(self.client, check.method)(url, json.dumps(data), content_type="application/json")
        if check.method == "get":
            return self.client.get(url)
        return self.client.post(url, data or {})

    def test_matrix(self):
        for name, route in ROUTES.items():
            for check in route.checks:
                for persona in PERSONAS:
                    expected = check.expected(persona)
                    if expected is None:
                        continue
                    with self.subTest(route=name, method=check.method, persona=persona):
                        # Each request runs on fresh data, so one persona's change cannot mask another's.
                        with transaction.atomic():
                            response = self._request(name, route, check, persona)
                            transaction.set_rollback(True)
                        self.assertEqual(
                            response.status_code, expected, getattr(response, "content", b"")[:300]
                        )
                        if check.in_list and response.status_code == 200:
                            self._assert_listed(response, name, check, persona)

    def _assert_listed(self, response, name, check, persona):
        key, visible = check.in_list
        obj = self.objects[key]
        if name.startswith("api:"):
            ids = {row["id"] for row in response.json()["results"]}
            listed = obj.pk in ids
        else:
            listed = obj in response.context["object_list"]
        self.assertEqual(listed, persona in visible, f"{key} listed={listed} for {persona}")


def filtersets():
    """Every FilterSet a route uses, page or API, found by the same resolver walk."""
    from firstline.core.filtersets import ScopedFilterBackend

    found = {}
    for pattern in _patterns(get_resolver().url_patterns):
        view = pattern.callback
        view_class = getattr(view, "view_class", None) or getattr(view, "cls", None)
        if view_class is None:
            continue
        filterset_class = getattr(view_class, "filterset_class", None)
        if filterset_class is None and getattr(view_class, "filterset_fields", None):
            instance = view_class(**getattr(view, "initkwargs", {}))
            model = instance.get_serializer_class().Meta.model
            filterset_class = ScopedFilterBackend().get_filterset_class(instance, model.objects.none())
        if filterset_class is not None:
            found[filterset_class.__name__] = filterset_class
    return found


def _patterns(patterns):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns)
        else:
            yield entry


class FilterChoicesTests(TestCase):
    """A filter's choices are part of what a page or the browsable API shows: only what the user may see."""

    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()

    def test_every_filterset_offers_only_visible_choices_to_every_persona(self):
        from django.test import RequestFactory
        from django_filters.filters import QuerySetRequestMixin

        classes = filtersets()
        expected = {"OpportunityFilterSet", "TeamFilterSet", "MembershipFilterSet", "TargetFilterSet"}
        assert expected <= set(classes)
        for persona in SIGNED_IN:
            request = RequestFactory().get("/")
            request.user = self.world.users[persona]
            for name, filterset_class in classes.items():
                filterset = filterset_class(data={}, request=request)
                for field_name, filter_ in filterset.filters.items():
                    if not isinstance(filter_, QuerySetRequestMixin):
                        continue
                    with self.subTest(persona=persona, filterset=name, filter=field_name):
                        choices = set(filterset.form.fields[field_name].queryset)
                        model = filterset.form.fields[field_name].queryset.model
                        visible = set(model.objects.visible_to(request.user))
                        assert choices <= visible, choices - visible

    def test_an_out_of_scope_id_in_a_filter_reads_like_a_missing_one(self):
        self.client.force_login(self.world.users["seller_a"])
        outsider = self.world.people["seller_c"].pk
        for url, param in [
            ("api:team-list", "manager"),
            ("api:membership-list", "person"),
            ("api:opportunity-list", "owner"),
            ("api:target-list", "person"),
        ]:
            with self.subTest(url=url):
                out_of_scope = self.client.get(reverse(url), {param: outsider})
                missing = self.client.get(reverse(url), {param: 987654})
                assert out_of_scope.status_code == missing.status_code == 400
                assert out_of_scope.json()[param][0].replace(str(outsider), "ID") == missing.json()[param][
                    0
                ].replace("987654", "ID")
