from django.urls import path

from firstline.kpis import views

app_name = "kpis"
urlpatterns = [
    path("team/", views.my_team, name="my_team"),
    path("nudges/", views.nudge_list, name="nudge_list"),
]
