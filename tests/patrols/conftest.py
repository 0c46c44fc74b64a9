"""The service fixtures of tests/service, for the patrol routes."""

from tests.service.conftest import (  # noqa: F401 - fixtures
    anonymous,
    app,
    client,
    clock,
    desk,
    store,
)
