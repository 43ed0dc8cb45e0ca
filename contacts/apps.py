from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "contacts"
    verbose_name = "Contacts and companies"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from common.reassign import register_reassigner
        from contacts.services import reassign_open_records

        register_reassigner("contacts", reassign_open_records)
