from django.urls import path

from firstline.territories import views

app_name = "territories"
urlpatterns = [
    path("territories/", views.TerritoryListView.as_view(), name="territory_list"),
    path("territories/<int:pk>/", views.TerritoryDetailView.as_view(), name="territory_detail"),
    path("territory-accounts/<int:pk>/lock/", views.account_lock, name="account_lock"),
    path("territory-plans/", views.PlanListView.as_view(), name="plan_list"),
    path("territory-plans/new/", views.plan_create, name="plan_create"),
    path("territory-plans/<int:pk>/", views.PlanDetailView.as_view(), name="plan_detail"),
    path("territory-plans/<int:pk>/edit/", views.plan_update, name="plan_update"),
    path("territory-plans/<int:pk>/approve/", views.plan_approve, name="plan_approve"),
    path("territory-plans/<int:pk>/review/", views.plan_review, name="plan_review"),
    path("territory-plans/<int:pk>/key-accounts/", views.plan_key_account, name="plan_key_account"),
    path("territory-plans/<int:pk>/actions/", views.plan_action, name="plan_action"),
    path("territory-key-accounts/<int:pk>/remove/", views.key_account_remove, name="key_account_remove"),
    path("territory-plan-actions/<int:pk>/done/", views.plan_action_done, name="plan_action_done"),
    path("territory-design/", views.scenario_list, name="scenario_list"),
    path("territory-design/<int:pk>/", views.scenario_detail, name="scenario_detail"),
    path("territory-design/<int:pk>/apply/", views.scenario_apply, name="scenario_apply"),
    path("territory-design/<int:pk>/undo/", views.scenario_undo, name="scenario_undo"),
    path("quotas/", views.quota_list, name="quota_list"),
    path("quotas/<int:pk>/", views.quota_detail, name="quota_detail"),
    path("quota-lines/<int:pk>/adjust/", views.quota_adjust, name="quota_adjust"),
]
