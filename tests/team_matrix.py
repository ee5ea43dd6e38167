"""Authorization-matrix expectations for the coaching and talent routes (merged into ROUTES in
tests/test_authorization_matrix.py). `data` may be a function of (world, objects) for ids and dates."""

from django.utils import timezone

from tests.team_world import build_team_world

SIGNED_IN = frozenset(
    {"seller_a", "seller_b", "seller_c", "manager_1", "manager_2", "executive", "enablement", "admin"}
)
MANAGERS = frozenset({"manager_1", "manager_2", "executive", "admin"})
ALICE_CIRCLE = frozenset({"seller_a", "manager_1", "executive", "admin"})
DIRECTORY = ALICE_CIRCLE | {"enablement"}
# Who may coach Alice: anyone who sees her in the directory, except Alice herself.
ALICE_COACHES = DIRECTORY - {"seller_a"}
EAST_MANAGERS = frozenset({"manager_1", "executive", "admin"})


def team_objects(world) -> dict:
    team = build_team_world(world)
    return {
        "competency_framework": team.framework,
        "competency": team.framework.competencies.first(),
        "session_a": team.session_a,
        "coaching_action_item_a": team.action_item_a,
        "assessment_a": team.assessment_a,
        "plan_a": team.plan_a,
        "goal_a": team.goal_a,
        "development_action_a": team.development_action_a,
        "schedule_a": team.schedule_a,
        "position_east": team.position_east,
        "candidate_east": team.candidate_east,
        "scorecard_east": team.scorecard_east,
        "pulse": team.pulse,
    }


def team_ids(world) -> dict:
    """API path → id of a real object, for the coaching and talent detail routes (schemathesis)."""
    objects = team_objects(world)
    return {
        "competency-frameworks": objects["competency_framework"].pk,
        "competencies": objects["competency"].pk,
        "assessments": objects["assessment_a"].pk,
        "coaching-sessions": objects["session_a"].pk,
        "action-items": objects["coaching_action_item_a"].pk,
        "development-plans": objects["plan_a"].pk,
        "positions": objects["position_east"].pk,
        "candidates": objects["candidate_east"].pk,
        "scorecards": objects["scorecard_east"].pk,
        "pulses": objects["pulse"].pk,
    }


def today() -> str:
    return timezone.localdate().isoformat()


def all_ratings(world, objects):
    data = {}
    for competency in objects["competency_framework"].competencies.all():
        data[f"score_{competency.pk}"] = "3"
        data[f"evidence_{competency.pk}"] = "Seen on calls"
    return data


def new_position(world, objects):
    return {"title": "Account Executive", "team": world.east.pk, "opened_on": today()}


def new_pulse(world, objects):
    return {"title": "East check-in", "team": world.east.pk, "opens_on": today(), "closes_on": today()}


def page_routes(route, check) -> dict:
    """The page routes; `route` and `check` are the matrix's Route and Check classes."""

    def get(allowed, *args, ok=200):
        return route(args=args, checks=[check("get", allowed, ok)])

    def listed(key, visible):
        return route(checks=[check("get", SIGNED_IN, 200, in_list=(key, visible))])

    return {
        "coaching:cadence": get(MANAGERS),
        "coaching:my_coaching": get(SIGNED_IN, ok=302),
        "coaching:person_overview": get(DIRECTORY, "person_a"),
        "coaching:session_create": route(
            args=("person_a",),
            checks=[
                check("get", ALICE_COACHES, 200),
                check(
                    "post",
                    ALICE_COACHES,
                    302,
                    data=lambda w, o: {"kind": "one_on_one", "held_on": today(), "shared_note": "Good call"},
                ),
            ],
        ),
        "coaching:schedule_set": route(
            args=("person_a",),
            checks=[
                check("get", ALICE_COACHES, 200),
                check("post", ALICE_COACHES, 302, data=lambda w, o: {"every_days": "7", "next_on": today()}),
            ],
        ),
        "coaching:person_competencies": get(DIRECTORY, "person_a"),
        # Enablement sees Alice in the directory but neither manages nor is her: no assessment, no plan.
        "coaching:assessment_create": route(
            args=("person_a",),
            checks=[check("get", DIRECTORY, 200), check("post", ALICE_CIRCLE, 302, data=all_ratings)],
        ),
        "coaching:plan_create": route(
            args=("person_a",),
            checks=[
                check("get", DIRECTORY, 200),
                check(
                    "post",
                    ALICE_CIRCLE,
                    302,
                    data=lambda w, o: {
                        "title": "Grow",
                        "starts_on": today(),
                        "ends_on": today(),
                        "goal": "Run discovery",
                        "goal_due_on": today(),
                    },
                ),
            ],
        ),
        "coaching:session_list": listed("session_a", ALICE_CIRCLE),
        "coaching:session_export": get(SIGNED_IN),
        "coaching:session_detail": get(ALICE_CIRCLE, "session_a"),
        "coaching:action_item_done": route(
            args=("coaching_action_item_a",), checks=[check("post", ALICE_CIRCLE, 302, data={"done": "1"})]
        ),
        "coaching:heatmap": get(MANAGERS),
        "coaching:framework_list": get(SIGNED_IN),
        "coaching:framework_detail": get(SIGNED_IN, "competency_framework"),
        "coaching:plan_detail": get(ALICE_CIRCLE, "plan_a"),
        "coaching:goal_create": route(
            args=("plan_a",),
            checks=[
                check("get", ALICE_CIRCLE, 200),
                check(
                    "post", ALICE_CIRCLE, 302, data=lambda w, o: {"goal": "Negotiate", "goal_due_on": today()}
                ),
            ],
        ),
        "coaching:goal_status": route(
            args=("goal_a",), checks=[check("post", ALICE_CIRCLE, 302, data={"status": "in_progress"})]
        ),
        "coaching:development_action_done": route(
            args=("development_action_a",), checks=[check("post", ALICE_CIRCLE, 302, data={"done": "1"})]
        ),
        "talent:position_list": listed("position_east", EAST_MANAGERS),
        # Nate leads West, not East: the form comes back saying East is not one of his teams.
        "talent:position_create": route(
            checks=[
                check("get", MANAGERS, 200),
                check("post", EAST_MANAGERS, 302, others={"manager_2": 200}, data=new_position),
            ]
        ),
        "talent:position_detail": get(EAST_MANAGERS, "position_east"),
        "talent:candidate_create": route(
            args=("position_east",),
            checks=[
                check("get", EAST_MANAGERS, 200),
                check(
                    "post",
                    EAST_MANAGERS,
                    302,
                    data=lambda w, o: {"name": "Lee Park", "email": "lee@example.com", "applied_on": today()},
                ),
            ],
        ),
        "talent:candidate_detail": get(EAST_MANAGERS, "candidate_east"),
        "talent:candidate_stage": route(
            args=("candidate_east",), checks=[check("post", EAST_MANAGERS, 302, data={"stage": "interview"})]
        ),
        "talent:candidate_hire": route(
            args=("candidate_east",),
            checks=[check("post", EAST_MANAGERS, 302, data=lambda w, o: {"starts_on": today()})],
        ),
        "talent:engagement": get(MANAGERS),
        "talent:engagement_export": get(MANAGERS),
        "talent:retention": get(MANAGERS),
        "talent:pulse_list": get(SIGNED_IN),
        "talent:pulse_create": route(
            checks=[
                check("get", MANAGERS, 200),
                check("post", EAST_MANAGERS, 302, others={"manager_2": 200}, data=new_pulse),
            ]
        ),
        # Everyone in the company answers the company pulse; the admin is in no team, so the form
        # comes back with the reason instead.
        "talent:pulse_answer": route(
            args=("pulse",),
            checks=[
                check("get", SIGNED_IN, 200),
                check(
                    "post",
                    SIGNED_IN - {"admin"},
                    302,
                    denied=200,
                    data={"enps": "8", "tools": "4", "manager": "4", "stay": "3"},
                ),
            ],
        ),
    }


ADMIN = frozenset({"admin"})


def api_routes(route, check) -> dict:
    """The API routes of coaching: frameworks, assessments, sessions, action items, plans."""

    def listed(key, visible, *extra):
        return route(checks=[check("get", SIGNED_IN, 200, anonymous=401, in_list=(key, visible)), *extra])

    def read_only(key, visible):
        # Assessments and sessions are history: read them, never edit them through the API.
        return route(
            args=(key,),
            checks=[
                check("get", visible, 200, anonymous=401),
                check("patch", frozenset(), 0, denied=405, anonymous=401, data={}),
            ],
        )

    def read_write(key, visible, changeable, patch):
        return route(
            args=(key,),
            checks=[
                check("get", visible, 200, anonymous=401),
                check("patch", changeable, 200, anonymous=401, data=patch, forbidden=visible - changeable),
            ],
        )

    def assessment(world, objects):
        ratings = [
            {"competency": c.pk, "score": 3} for c in objects["competency_framework"].competencies.all()
        ]
        alice = world.people["seller_a"].pk
        return {
            "person": alice,
            "framework": objects["competency_framework"].pk,
            "assessed_on": today(),
            "ratings": ratings,
        }

    def competency(world, objects):
        return {
            "framework": objects["competency_framework"].pk,
            "name": "Forecasting",
            "behaviours": list("12345"),
        }

    def session(world, objects):
        return {"seller": world.people["seller_a"].pk, "held_on": today(), "private_note": "Between us"}

    def plan(world, objects):
        return {
            "person": world.people["seller_a"].pk,
            "title": "Grow",
            "starts_on": today(),
            "ends_on": today(),
        }

    return {
        "api:competencyframework-list": listed(
            "competency_framework",
            SIGNED_IN,
            check(
                "post", ADMIN, 201, denied=403, anonymous=401, data={"name": "Custom", "audience": "seller"}
            ),
        ),
        "api:competencyframework-detail": read_write(
            "competency_framework", SIGNED_IN, ADMIN, {"description": "Ours"}
        ),
        # Enablement sees Alice (the directory) but may not assess her: 403. Others cannot even name her: 400.
        "api:competency-list": listed(
            "competency",
            SIGNED_IN,
            check("post", ADMIN, 201, denied=403, anonymous=401, data=competency),
        ),
        "api:competency-detail": read_write(
            "competency", SIGNED_IN, ADMIN, {"behaviours": ["Starts", "Grows", "Does", "Leads", "Teaches"]}
        ),
        "api:assessment-list": listed(
            "assessment_a",
            ALICE_CIRCLE,
            check(
                "post",
                ALICE_CIRCLE,
                201,
                denied=400,
                forbidden={"enablement"},
                anonymous=401,
                data=assessment,
            ),
        ),
        "api:assessment-detail": read_only("assessment_a", ALICE_CIRCLE),
        "api:coachingsession-list": listed(
            "session_a",
            ALICE_CIRCLE,
            check("post", ALICE_COACHES, 201, denied=400, anonymous=401, data=session),
        ),
        "api:coachingsession-detail": read_only("session_a", ALICE_CIRCLE),
        "api:actionitem-list": listed(
            "coaching_action_item_a",
            ALICE_CIRCLE,
            check("post", frozenset(), 0, denied=405, anonymous=401, data={}),
        ),
        "api:actionitem-detail": read_write(
            "coaching_action_item_a", ALICE_CIRCLE, ALICE_CIRCLE, {"done_on": "2026-01-02"}
        ),
        "api:developmentplan-list": listed(
            "plan_a",
            ALICE_CIRCLE,
            check("post", ALICE_CIRCLE, 201, denied=400, forbidden={"enablement"}, anonymous=401, data=plan),
        ),
        "api:developmentplan-detail": read_write("plan_a", ALICE_CIRCLE, ALICE_CIRCLE, {"title": "Renamed"}),
        **talent_api_routes(listed, read_only, read_write, check),
    }


# Alice and Bob (members of East) and enablement (the directory) can name East but may not hire into
# it or survey it: 403. Carol and Nate cannot even name East: 400.
SEE_EAST_ONLY = frozenset({"seller_a", "seller_b", "enablement"})


def talent_api_routes(listed, read_only, read_write, check) -> dict:
    def position(world, objects):
        return {"team": world.east.pk, "title": "Account Executive", "opened_on": today()}

    def candidate(world, objects):
        return {
            "position": objects["position_east"].pk,
            "name": "Ann Lee",
            "email": "ann@example.com",
            "applied_on": today(),
        }

    def scorecard(world, objects):
        competency = objects["competency_framework"].competencies.first()
        return {
            "candidate": objects["candidate_east"].pk,
            "interviewed_on": today(),
            "recommendation": "yes",
            "scores": [{"competency": competency.pk, "score": 4}],
        }

    def pulse(world, objects):
        return {"team": world.east.pk, "title": "East check-in", "opens_on": today(), "closes_on": today()}

    return {
        "api:position-list": listed(
            "position_east",
            EAST_MANAGERS,
            check(
                "post", EAST_MANAGERS, 201, denied=400, forbidden=SEE_EAST_ONLY, anonymous=401, data=position
            ),
        ),
        "api:position-detail": read_write(
            "position_east", EAST_MANAGERS, EAST_MANAGERS, {"title": "Senior AE"}
        ),
        "api:candidate-list": listed(
            "candidate_east",
            EAST_MANAGERS,
            check("post", EAST_MANAGERS, 201, denied=400, anonymous=401, data=candidate),
        ),
        "api:candidate-detail": read_write(
            "candidate_east", EAST_MANAGERS, EAST_MANAGERS, {"stage": "screen"}
        ),
        "api:scorecard-list": listed(
            "scorecard_east",
            EAST_MANAGERS,
            check("post", EAST_MANAGERS, 201, denied=400, anonymous=401, data=scorecard),
        ),
        "api:scorecard-detail": read_only("scorecard_east", EAST_MANAGERS),
        "api:pulse-list": listed(
            "pulse",
            SIGNED_IN,
            check("post", EAST_MANAGERS, 201, denied=400, forbidden=SEE_EAST_ONLY, anonymous=401, data=pulse),
        ),
        # The company-wide pulse: the executive (who leads the company) and the admin change it.
        "api:pulse-detail": read_write(
            "pulse", SIGNED_IN, frozenset({"executive", "admin"}), {"title": "Renamed"}
        ),
    }
