import pytest

from tests.factories import ContactFactory, DepartmentFactory, ManagerFactory, StaffFactory


@pytest.fixture
def support():
    return DepartmentFactory(name="Customer Support", email="support@company.com")


@pytest.fixture
def agent(support):
    return StaffFactory(email="l1@company.com", full_name="Lina Agent", departments=[support],
                        timezone="Europe/Bucharest")


@pytest.fixture
def colleague(support):
    return StaffFactory(email="l1b@company.com", full_name="Bogdan Colleague", departments=[support],
                        timezone="Europe/Bucharest")


@pytest.fixture
def manager():
    return ManagerFactory(email="boss@company.com", full_name="Mara Manager")


@pytest.fixture
def contact():
    return ContactFactory(first_name="Jane", last_name="Doe", email="jane@client.example",
                          phone="+14155550100", timezone="America/New_York")


@pytest.fixture
def ticket(support, contact, agent):
    from tickets import services

    return services.open_ticket(subject="Sync fails after import", body_text="Please call me.",
                                department=support, contact=contact, assignee=agent)


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run what services queue after commit (emails, notifications) inside the `with` block."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
