from django.urls import path

from firstline.targets import views

app_name = "targets"
urlpatterns = [
    path("targets/", views.TargetListView.as_view(), name="target_list"),
]
