from django.urls import path

from firstline.pipeline import views

app_name = "pipeline"
urlpatterns = [
    path("accounts/", views.AccountListView.as_view(), name="account_list"),
    path("accounts/<int:pk>/", views.AccountDetailView.as_view(), name="account_detail"),
    path("accounts/<int:pk>/edit/", views.AccountUpdateView.as_view(), name="account_update"),
    path("opportunities/", views.OpportunityListView.as_view(), name="opportunity_list"),
    path("opportunities/<int:pk>/", views.OpportunityDetailView.as_view(), name="opportunity_detail"),
    path("opportunities/<int:pk>/edit/", views.OpportunityUpdateView.as_view(), name="opportunity_update"),
]
