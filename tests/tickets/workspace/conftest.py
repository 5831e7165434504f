import pytest

from tests.factories import ContactFactory, DepartmentFactory, ManagerFactory, StaffFactory


@pytest.fixture
def support():
    return DepartmentFactory(name="Customer Support", email="support@company.com")


@pytest.fixture
def technical():
    return DepartmentFactory(name="Technical Support", email="tech@company.com")


@pytest.fixture
def agent(support):
    return StaffFactory(email="l1@company.com", full_name="Lina Agent", departments=[support])


@pytest.fixture
def tech_agent(technical):
    return StaffFactory(email="l2@company.com", full_name="Tom Tech", departments=[technical])


@pytest.fixture
def manager():
    return ManagerFactory(email="boss@company.com", full_name="Mara Manager")


@pytest.fixture
def contact():
    return ContactFactory(first_name="Ana", last_name="Pop", email="ana@client.example")


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Status counts and presence live in the cache; start every test with it empty."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run what services queue after commit (hooks: notifications, timeline) inside the block."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
