"""The migration that records a registration's municipality: existing registrations get
their person's municipality, as the overview counted them before."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = ("meetings", "0010_agendaitem_history")
AFTER = ("meetings", "0011_registration_municipality")


@pytest.fixture
def migrate():
    def run(target):
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate([target])
        return executor.loader.project_state([target]).apps

    yield run
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


# The schema changes back and forth, which SQLite allows only outside a transaction.
@pytest.mark.django_db(transaction=True)
def test_existing_registrations_get_their_persons_municipality(migrate):
    old = migrate(BEFORE)
    fjell = old.get_model("members", "Municipality").objects.create(
        name="Fjell", number="1246", county="Hordaland"
    )
    series = old.get_model("meetings", "MeetingSeries").objects.create(
        name="Kommunenettverket", year=2018, organiser_name="Fylket"
    )
    meeting = old.get_model("meetings", "Meeting").objects.create(
        series=series, title="Oppstart", slug="oppstart", tentative_period="mars"
    )
    Person = old.get_model("members", "ContactPerson")
    Registration = old.get_model("meetings", "Registration")
    with_one = Registration.objects.create(
        meeting=meeting,
        contact_person=Person.objects.create(
            name="Lars", email="lars@fjell.no", municipality=fjell
        ),
    )
    without = Registration.objects.create(
        meeting=meeting, contact_person=Person.objects.create(name="Ukjend", email="u@example.org")
    )

    after = migrate(AFTER)

    stored = dict(
        after.get_model("meetings", "Registration").objects.values_list("pk", "municipality_id")
    )
    assert stored == {with_one.pk: fjell.pk, without.pk: None}
