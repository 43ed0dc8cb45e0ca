"""Root pytest configuration: shared fixtures, and no embedded server left running after the session."""

pytest_plugins = ["common.testing.fixtures"]


def pytest_unconfigure(config) -> None:
    from common.embedded import stop_what_this_process_started

    stop_what_this_process_started()
