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
    path("ingredients/<int:ingredient_id>/", views.ingredient_detail, name="ingredient-detail"),
]
