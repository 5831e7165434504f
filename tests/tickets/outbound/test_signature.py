"""One signature: a reply that already signs off gets the agent's signature in place of its own
sign-off lines, never a second sign-off naming another department."""

import pytest

from tests.factories import ContactFactory, DepartmentFactory, StaffFactory
from tickets import services
from tickets.outbound.email import build_email
from tickets.outbound.signature import sign

SIGNATURE = "Lina Agent\nCustomer Support"


def test_reply_without_sign_off_gets_the_signature_below_a_delimiter():
    """A plain reply is signed below the standard "-- " line."""
    assert sign("Please try again.", SIGNATURE) == "Please try again.\n\n-- \nLina Agent\nCustomer Support"


def test_predefined_sign_off_is_replaced_not_doubled():
    """"Kind regards, / name / department" keeps its closing line and takes the signature once."""
    body = "Hello Ana,\n\nwe closed #12.\n\nKind regards,\nLina Agent\nTechnical Support"
    signed = sign(body, SIGNATURE)
    assert signed == "Hello Ana,\n\nwe closed #12.\n\nKind regards,\nLina Agent\nCustomer Support"
    assert signed.count("Kind regards") == 1 and "Technical Support" not in signed


def test_signature_with_its_own_closing_replaces_the_replys():
    """When the signature starts with a closing, the reply's closing goes."""
    signed = sign("Done.\n\nBest regards,\nLina", "Cu stimă,\nLina Agent")
    assert signed == "Done.\n\nCu stimă,\nLina Agent"


def test_a_closing_word_early_in_the_text_is_not_a_sign_off():
    """Only the last lines count: "Thanks," at the top of a long reply is kept."""
    body = "Thanks,\nfor the logs.\n1\n2\n3\n4\n5\n6"
    assert sign(body, SIGNATURE).startswith(body + "\n\n-- \n")


@pytest.mark.django_db
def test_outgoing_email_has_one_sign_off():
    """The email of a predefined reply that signs off names the agent's department once."""
    support = DepartmentFactory(name="Customer Support", email="support@company.com")
    agent = StaffFactory(full_name="Lina Agent", departments=[support])
    agent.staff_profile.signature = SIGNATURE
    agent.staff_profile.save()
    ticket = services.open_ticket(subject="Hi", body_text="x", department=support, contact=ContactFactory())
    message = services.add_reply(ticket=ticket, kind="staff", author=agent,
                                 body_text="Solved.\n\nKind regards,\nLina Agent\nCustomer Support")
    body = build_email(message).body
    assert body.count("Kind regards") == 1 and body.count("Customer Support") == 1
