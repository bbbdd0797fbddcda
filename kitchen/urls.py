from django.urls import path

from kitchen import views

app_name = "kitchen"

urlpatterns = [
    path("", views.recipe_list, name="recipe-list"),
    path("<int:recipe_id>/", views.recipe_detail, name="recipe-detail"),
]
