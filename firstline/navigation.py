from django.urls import reverse

from firstline.org.scoping import viewer

TERRITORY_PAGES = [
    ("Territories", "territories:territory_list"),
    ("Territory plans", "territories:plan_list"),
]
MANAGER_TERRITORY_PAGES = [
    ("Territory design", "territories:scenario_list"),
    ("Quotas", "territories:quota_list"),
]


def team_building_items(who) -> list[tuple[str, str]]:
    """Coaching, development, hiring and engagement: leaders see their team's, sellers their own."""
    if who.managed_paths or who.is_admin:
        return [
            ("Coaching", "coaching:cadence"),
            ("Competencies", "coaching:framework_list"),
            ("Hiring", "talent:position_list"),
            ("Engagement", "talent:engagement"),
            ("Pulses", "talent:pulse_list"),
        ]
    if who.person_id is not None:
        return [
            ("My coaching", "coaching:my_coaching"),
            ("Competencies", "coaching:framework_list"),
            ("Pulses", "talent:pulse_list"),
        ]
    return []


def navigation(request) -> dict:
    """The navigation, organised by the five responsibilities and showing only what exists and
    what this user has something to see in. It lives in the project package, not in core, because it
    knows every app (core imports none of them)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    who = viewer(user)
    deals = who.is_admin or (who.person_id is not None and not who.is_enablement)
    # A seller's people list would hold only themselves: "My page" is their entry.
    directory = who.managed_paths or who.is_admin or who.is_enablement
    sections = [
        (
            "Set territory strategy",
            [("Accounts", "pipeline:account_list")]
            + TERRITORY_PAGES
            + (MANAGER_TERRITORY_PAGES if who.managed_paths or who.is_admin else [])
            if deals
            else [],
        ),
        (
            "Build the team",
            ([("My team", "kpis:my_team")] if who.managed_paths or who.is_admin else [])
            + ([("People", "org:person_list")] if directory else [])
            + team_building_items(who),
        ),
        (
            "Raise the bar",
            ([("Targets", "targets:target_list")] if deals else [])
            + ([("Nudges", "kpis:nudge_list")] if who.person_id is not None else []),
        ),
        (
            "Guide opportunities",
            [
                ("Opportunities", "pipeline:opportunity_list"),
                # Reviews are the leaders' queue; a seller sees their deals' risks on the deals.
                *([("Deal reviews", "deals:review_queue")] if who.managed_paths or who.is_admin else []),
                ("Forecast", "deals:forecast"),
                ("Sales process", "deals:process"),
            ]
            if deals
            else [],
        ),
        # Managers and admins bring data in; a seller may too (her own deals), from /imports/.
        ("Data", [("Import", "io:import_list")] if who.managed_paths or who.is_admin else []),
    ]
    current = request.path
    nav = [
        {
            "title": title,
            "items": [
                {"label": label, "url": reverse(name), "current": current.startswith(reverse(name))}
                for label, name in items
            ],
        }
        for title, items in sections
        if items
    ]
    return {"navigation": nav, "viewer": who}
