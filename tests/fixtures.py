"""The people most member-facing tests start from, shared instead of written out per module.

Two municipalities: Voss (1235), whose coordinator and members sign in and present ideas, and
Kvam (1238), the outsiders. Everyone here has a verified account linked to their contact
person (tests/factories.py LinkedContactPersonFactory), so `client_for(person)` signs them in.
Names are fixed because pages, flash messages and e-mails are asserted on them. A module that
needs a detail changed overrides the fixture by name, taking the shared one as its argument
(see tests/meetings/test_registration_views.py `voss`).

Registered from tests/conftest.py through `pytest_plugins`.
"""

import pytest


@pytest.fixture
def voss(municipality_factory):
    """Voss, number 1235: the municipality of `coordinator`, `member`, `author`, `colleague`."""
    return municipality_factory(name="Voss", number="1235")


@pytest.fixture
def kvam(municipality_factory):
    """Kvam, number 1238: the municipality of `outsider` and `outsider_coordinator`."""
    return municipality_factory(name="Kvam", number="1238")


@pytest.fixture
def bergen(municipality_factory):
    """Bergen: a third municipality, of nobody in particular."""
    return municipality_factory(name="Bergen")


@pytest.fixture
def coordinator(linked_contact_person_factory, voss):
    """Kjell Koordinator, the coordinator of Voss."""
    return linked_contact_person_factory(
        name="Kjell Koordinator", municipality=voss, coordinator=True
    )


@pytest.fixture
def member(linked_contact_person_factory, voss):
    """Kari Nordmann, a member of Voss (not coordinator)."""
    return linked_contact_person_factory(name="Kari Nordmann", municipality=voss)


@pytest.fixture
def author(linked_contact_person_factory, voss):
    """Kari Forfattar, a member of Voss (not coordinator) who puts forward project ideas."""
    return linked_contact_person_factory(name="Kari Forfattar", municipality=voss)


@pytest.fixture
def colleague(linked_contact_person_factory, voss):
    """Ola Kollega, another member of Voss (not coordinator)."""
    return linked_contact_person_factory(name="Ola Kollega", municipality=voss)


@pytest.fixture
def outsider(linked_contact_person_factory, kvam):
    """Siri Samarbeid, a member of Kvam (not coordinator): someone of another municipality."""
    return linked_contact_person_factory(name="Siri Samarbeid", municipality=kvam)


@pytest.fixture
def outsider_coordinator(linked_contact_person_factory, kvam):
    """Per Kvamskoordinator, the coordinator of Kvam: a coordinator of another municipality."""
    return linked_contact_person_factory(
        name="Per Kvamskoordinator", municipality=kvam, coordinator=True
    )
