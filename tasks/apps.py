"""Tasks and their due reminders."""

from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = "Tasks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from common.reassign import register_reassigner
        from tasks.services import reassign_open_records

        register_reassigner("tasks", reassign_open_records)
