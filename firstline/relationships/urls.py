from django.urls import path

from firstline.relationships import views

app_name = "relationships"
urlpatterns = [
    path("accounts/<int:pk>/relationships/", views.account_map, name="account_map"),
    path(
        "accounts/<int:pk>/stakeholders/add/", views.account_stakeholder_add, name="account_stakeholder_add"
    ),
    path("deals/<int:pk>/stakeholders/add/", views.deal_stakeholder_add, name="deal_stakeholder_add"),
    path("deals/<int:pk>/partners/add/", views.deal_partner_add, name="deal_partner_add"),
    path("stakeholders/<int:pk>/edit/", views.stakeholder_update, name="stakeholder_update"),
]
