from django.urls import path

from imports import views

app_name = "imports"

urlpatterns = [
    path("", views.imports_page, name="page"),
    path("url/", views.import_url, name="url"),
    path("export.csv", views.export_csv, name="export-csv"),
    path("<int:file_id>/", views.import_preview, name="preview"),
    path("<int:file_id>/start/", views.import_start, name="start"),
]
