from django.urls import path

from firstline.targets import views

app_name = "targets"
urlpatterns = [
    path("targets/", views.TargetListView.as_view(), name="target_list"),
    path("targets/new/", views.TargetCreateView.as_view(), name="target_create"),
    path("targets/raise/", views.target_raise_view, name="target_raise"),
    path("targets/<int:pk>/", views.TargetDetailView.as_view(), name="target_detail"),
    path("targets/<int:pk>/edit/", views.TargetUpdateView.as_view(), name="target_update"),
    path("people/<int:pk>/kudos/", views.kudos_give_view, name="kudos_give"),
]
