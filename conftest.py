"""Root pytest configuration: shared fixtures, and no embedded server left running after the session."""

pytest_plugins = ["tenants.testing.fixtures"]


def pytest_collection_modifyitems(config, items) -> None:
    """A test left out on Citus must say why (docs/citus.md lists them)."""
    import pytest

    for item in items:
        for mark in item.iter_markers("not_on_citus"):
            if not mark.kwargs.get("reason"):
                raise pytest.UsageError(f"{item.nodeid}: not_on_citus needs reason=...")


def pytest_unconfigure(config) -> None:
    from common.embedded import stop_what_this_process_started

    stop_what_this_process_started()
    _remove_test_media()


def _remove_test_media() -> None:
    import shutil

    from django.conf import settings

    if settings.configured and "keystone-test-media-" in str(getattr(settings, "MEDIA_ROOT", "")):
        shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)
