"""Tasks and their due reminders."""

from common import registry


class TasksConfig(registry.ModuleConfig):
    name = "tasks"
    verbose_name = "Tasks"
    default_auto_field = "django.db.models.BigAutoField"
    board_fields = (registry.BoardField("tasks", "status"),)
    record_apis = (registry.RecordApi("tasks", "tasks.views.TaskViewSet"),)
    reassign = "tasks.services.reassign_open_records"
    reference_mover = "tasks.merge.task_references_move"
    demo_seeder = "tasks.demo.seed"
    imports = (
        registry.ImportSpec(
            key="tasks",
            model="tasks.Task",
            fields=("title", "description", "priority", "due_at", "tags", "assigned_to"),
            create="tasks.services.task_create",
            change="tasks.services.task_change",
            relations={"assigned_to": ("member", "email")},
            synonyms={
                "title": ("task", "subject", "name"),
                "due_at": ("due", "due date", "deadline"),
                "assigned_to": ("owner", "assignee"),
            },
        ),
    )
