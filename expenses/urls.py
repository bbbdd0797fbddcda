from django.urls import path

from expenses import views, views_io

app_name = "expenses"

urlpatterns = [
    path("", views.index, name="index"),
    path("add/", views.expense_add, name="add"),
    path("<int:expense_id>/edit/", views.expense_edit, name="edit"),
    path("<int:expense_id>/delete/", views.expense_delete, name="delete"),
    path("settings/", views.settings_page, name="settings"),
    path("categories/add/", views.category_add, name="category-add"),
    path("categories/<int:category_id>/", views.category_edit, name="category-edit"),
    path("categories/<int:category_id>/delete/", views.category_delete, name="category-delete"),
    # CSV in and out (views_io.py)
    path("export.csv", views_io.export_csv, name="export"),
    path("import/", views_io.import_upload, name="import"),
]
