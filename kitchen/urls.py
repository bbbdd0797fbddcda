from django.urls import path

from kitchen import views

app_name = "kitchen"

# The busiest routes first: Django tries patterns in order.
urlpatterns = [
    path("overview/", views.overview, name="overview"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("", views.recipe_list, name="recipe-list"),
    path("new/", views.recipe_create, name="recipe-create"),
    path("<int:recipe_id>/", views.recipe_detail, name="recipe-detail"),
    path("<int:recipe_id>/edit/", views.recipe_edit, name="recipe-edit"),
    path("<int:recipe_id>/complete/", views.recipe_complete, name="recipe-complete"),
    path("<int:recipe_id>/history/", views.recipe_history, name="recipe-history"),
    path("<int:recipe_id>/history/save/", views.recipe_version_save, name="recipe-version-save"),
    path(
        "<int:recipe_id>/history/<int:version_id>/restore/",
        views.recipe_version_restore,
        name="recipe-version-restore",
    ),
    path("<int:recipe_id>/collaborators/add/", views.recipe_collaborator_add, name="recipe-collaborator-add"),
    path(
        "<int:recipe_id>/collaborators/<int:chef_id>/remove/",
        views.recipe_collaborator_remove,
        name="recipe-collaborator-remove",
    ),
    path("ingredients/<int:ingredient_id>/", views.ingredient_detail, name="ingredient-detail"),
    path("ingredients/new/", views.ingredient_create, name="ingredient-create"),
]
