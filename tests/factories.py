"""factory_boy factories for the whole suite. Configuration rows (statuses, priorities,
services) come from the seed migration; factories look them up instead of inventing them."""

import factory
from factory.django import DjangoModelFactory

from crm.models import Client, Contact, StaffProfile, User
from tickets.models import Department, Priority, Service, Ticket, TicketMessage, TicketStatus


def status(slug: str) -> TicketStatus:
    return TicketStatus.objects.get(slug=slug)


def priority(name: str) -> Priority:
    return Priority.objects.get(name=name)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.django.Password("pw")


class StaffFactory(UserFactory):
    class Meta:
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"agent{n}@company.com")
    is_staff = True
    profile = factory.RelatedFactory("tests.factories.StaffProfileFactory", factory_related_name="user")

    @factory.post_generation
    def departments(self, create: bool, extracted: list | None, **kwargs: object) -> None:
        if create and extracted:
            self.departments.add(*extracted)


class StaffProfileFactory(DjangoModelFactory):
    class Meta:
        model = StaffProfile
        django_get_or_create = ("user",)

    role = StaffProfile.Role.L1


class ManagerFactory(StaffFactory):
    profile = factory.RelatedFactory(
        "tests.factories.StaffProfileFactory", factory_related_name="user", role=StaffProfile.Role.MANAGER
    )


class ClientFactory(DjangoModelFactory):
    class Meta:
        model = Client

    name = factory.Sequence(lambda n: f"Client {n} Ltd")
    tier = Client.Tier.PRO


class ContactFactory(DjangoModelFactory):
    class Meta:
        model = Contact

    client = factory.SubFactory(ClientFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"contact{n}@client.example")


class PortalContactFactory(ContactFactory):
    """A contact with a portal login (password `pw`)."""

    user = factory.SubFactory(
        UserFactory, email=factory.SelfAttribute("..email"), full_name=factory.LazyAttribute(lambda o: "Contact")
    )


class DepartmentFactory(DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Department {n}")
    email = factory.LazyAttribute(lambda o: f"{o.name.lower().replace(' ', '-')}@company.com")


class ServiceFactory(DjangoModelFactory):
    class Meta:
        model = Service
        django_get_or_create = ("name",)

    name = "Other"


class TicketFactory(DjangoModelFactory):
    """A ticket written straight to the database (for reads); use services to test writes."""

    class Meta:
        model = Ticket

    subject = factory.Faker("sentence", nb_words=6)
    contact = factory.SubFactory(ContactFactory)
    client = factory.SelfAttribute("contact.client")
    requester_email = factory.SelfAttribute("contact.email")
    department = factory.SubFactory(DepartmentFactory)
    status = factory.LazyFunction(lambda: status("new"))
    priority = factory.LazyFunction(lambda: priority("Medium"))
    priority_level = factory.SelfAttribute("priority.level")


class MessageFactory(DjangoModelFactory):
    class Meta:
        model = TicketMessage

    ticket = factory.SubFactory(TicketFactory)
    kind = TicketMessage.Kind.CUSTOMER
    body_text = factory.Faker("paragraph")
