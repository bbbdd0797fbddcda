from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("new/", views.request_new, name="request-new"),
    path("panel/", views.request_panel, name="panel"),
    path("<int:request_id>/accept/", views.request_accept, name="accept"),
    path("<int:request_id>/decline/", views.request_decline, name="decline"),
]
