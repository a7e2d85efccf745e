import pytest


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", help="rewrite the golden files of tests/golden")


@pytest.fixture
def update_golden(request) -> bool:
    return request.config.getoption("--update-golden")
