from django.urls import path

from firstline.io import exports, views

app_name = "io"
urlpatterns = [
    path("imports/", views.import_list, name="import_list"),
    path("imports/new/", views.import_start, name="import_start"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("imports/<int:pk>/import/", views.import_commit, name="import_commit"),
    path("imports/<int:pk>/undo/", views.import_undo_view, name="import_undo"),
    path("export/<slug:name>.<slug:fmt>", exports.export_list, name="export"),
]
