from django.urls import path

from firstline.talent import views

app_name = "talent"
urlpatterns = [
    path("hiring/", views.PositionListView.as_view(), name="position_list"),
    path("hiring/positions/new/", views.position_create, name="position_create"),
    path("hiring/positions/<int:pk>/", views.position_detail, name="position_detail"),
    path("hiring/positions/<int:pk>/candidates/new/", views.candidate_create, name="candidate_create"),
    path("hiring/candidates/<int:pk>/", views.candidate_detail, name="candidate_detail"),
    path("hiring/candidates/<int:pk>/stage/", views.candidate_stage, name="candidate_stage"),
    path("hiring/candidates/<int:pk>/hire/", views.candidate_hire_view, name="candidate_hire"),
    path("engagement/", views.engagement, name="engagement"),
    path("engagement/export.csv", views.engagement_export, name="engagement_export"),
    path("engagement/retention/", views.retention, name="retention"),
    path("pulses/", views.pulse_list, name="pulse_list"),
    path("pulses/new/", views.pulse_create, name="pulse_create"),
    path("pulses/<int:pk>/answer/", views.pulse_answer_view, name="pulse_answer"),
]
