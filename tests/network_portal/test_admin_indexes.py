"""The admin's date hierarchies and default orderings read an index, not the whole table: at
national scale (100,000 registrations, 180,000 mailing recipients) an unindexed one sorts or
scans every row for each page view."""

import pytest
from django.contrib import admin

# The outbox's admin belongs to the mail queue, which is sized on its own.
APPS = {"meetings", "members", "projects"}


def indexed_first(model, field_name: str) -> bool:
    """Whether an index starts with the field: its own, a unique one or one in Meta."""
    field = model._meta.get_field(field_name)
    if field.db_index or field.unique or field.primary_key:
        return True
    for index in model._meta.indexes:
        if index.fields and index.fields[0].lstrip("-") == field_name:
            return True
    return False


HIERARCHIES = [
    pytest.param(model, model_admin.date_hierarchy, id=model._meta.label)
    for model, model_admin in admin.site._registry.items()
    if model._meta.app_label in APPS and model_admin.date_hierarchy
]


def test_the_admins_have_date_hierarchies():
    assert len(HIERARCHIES) >= 7


@pytest.mark.parametrize(("model", "field_name"), HIERARCHIES)
def test_every_date_hierarchy_has_an_index(model, field_name):
    assert indexed_first(model, field_name)
