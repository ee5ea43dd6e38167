from django.urls import reverse

from firstline.org.scoping import viewer


def navigation(request) -> dict:
    """The navigation, organised by the five responsibilities and showing only what exists and
    what this user has something to see in."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    who = viewer(user)
    deals = who.is_admin or (who.person_id is not None and not who.is_enablement)
    sections = [
        ("Set territory strategy", [("Accounts", "pipeline:account_list")] if deals else []),
        (
            "Build the team",
            ([("My team", "org:my_team")] if who.managed_paths or who.is_admin else [])
            + [("People", "org:person_list")],
        ),
        ("Raise the bar", [("Targets", "targets:target_list")] if deals else []),
        ("Guide opportunities", [("Opportunities", "pipeline:opportunity_list")] if deals else []),
        ("Data", [("Import", "io:import_list")] if deals else []),
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
