from django.urls import path

from firstline.org import views

app_name = "org"
urlpatterns = [
    path("people/", views.PersonListView.as_view(), name="person_list"),
    path("people/<int:pk>/", views.person_detail, name="person_detail"),
]
