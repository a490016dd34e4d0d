"""The test suite (a package, so tests can share helpers as `tests.conftest` and `tests.storehelp`)."""
