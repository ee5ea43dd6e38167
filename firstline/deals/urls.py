from django.urls import path

from firstline.deals import views

app_name = "deals"
urlpatterns = [
    path("deals/<int:pk>/", views.deal_plan, name="deal"),
    path("deals/<int:pk>/move/", views.stage_move, name="stage_move"),
    path("deals/<int:pk>/criteria/", views.criteria, name="criteria"),
    path("deals/<int:pk>/scorecard/", views.scorecard, name="scorecard"),
    path("deals/<int:pk>/strategy/", views.canvas, name="canvas"),
    path("deals/<int:pk>/review/", views.review_create, name="review_create"),
    path("deals/<int:pk>/category/", views.category, name="category"),
    path("action-items/<int:pk>/done/", views.action_item_done, name="action_item_done"),
    path("reviews/", views.review_queue, name="review_queue"),
    path("forecast/", views.forecast, name="forecast"),
    path("forecast/call/", views.forecast_call, name="forecast_call"),
    path("process/", views.process, name="process"),
]
