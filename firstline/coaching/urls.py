from django.urls import path

from firstline.coaching import development_views, views

app_name = "coaching"
urlpatterns = [
    path("coaching/cadence/", views.cadence_view, name="cadence"),
    path("coaching/me/", views.my_coaching, name="my_coaching"),
    path("coaching/people/<int:pk>/", views.person_overview, name="person_overview"),
    path("coaching/people/<int:pk>/sessions/new/", views.session_create, name="session_create"),
    path("coaching/people/<int:pk>/schedule/", views.schedule_set, name="schedule_set"),
    path(
        "coaching/people/<int:pk>/competencies/",
        development_views.person_competencies,
        name="person_competencies",
    ),
    path("coaching/people/<int:pk>/assess/", development_views.assessment_create, name="assessment_create"),
    path("coaching/people/<int:pk>/plans/new/", development_views.plan_create, name="plan_create"),
    path("coaching/sessions/", views.CoachingSessionListView.as_view(), name="session_list"),
    path("coaching/sessions/export.csv", views.session_export, name="session_export"),
    path("coaching/sessions/<int:pk>/", views.session_detail, name="session_detail"),
    path("coaching/action-items/<int:pk>/done/", views.action_item_done, name="action_item_done"),
    path("coaching/heat-map/", development_views.heatmap, name="heatmap"),
    path("coaching/frameworks/", development_views.framework_list, name="framework_list"),
    path("coaching/frameworks/<int:pk>/", development_views.framework_detail, name="framework_detail"),
    path("coaching/plans/<int:pk>/", development_views.plan_detail, name="plan_detail"),
    path("coaching/plans/<int:pk>/goals/new/", development_views.goal_create, name="goal_create"),
    path("coaching/goals/<int:pk>/status/", development_views.goal_status, name="goal_status"),
    path(
        "coaching/development-actions/<int:pk>/done/",
        development_views.development_action_done,
        name="development_action_done",
    ),
]
