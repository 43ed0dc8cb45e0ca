"""Root pytest configuration: shared fixtures, and no embedded server left running after the session."""

pytest_plugins = ["tenants.testing.fixtures"]


def pytest_unconfigure(config) -> None:
    from common.embedded import stop_what_this_process_started

    stop_what_this_process_started()
    _remove_test_media()


def _remove_test_media() -> None:
    import shutil

    from django.conf import settings

    if settings.configured and "keystone-test-media-" in str(getattr(settings, "MEDIA_ROOT", "")):
        shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)
