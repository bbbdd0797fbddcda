from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jobs"

    def ready(self) -> None:
        # Each app registers its job kinds in its own job_kinds.py (jobs/job_kinds.py: the demo).
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("job_kinds")
        from jobs import checks  # noqa: F401  (registers them)
