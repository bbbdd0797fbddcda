from django.urls import path

from jobs import views

app_name = "jobs"

urlpatterns = [
    path("", views.jobs_page, name="page"),
    path("demo/", views.demo_start, name="demo"),
    path("<int:job_id>/cancel/", views.job_cancel, name="cancel"),
    path("<int:job_id>/retry/", views.job_retry, name="retry"),
]
