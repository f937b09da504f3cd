"""The long changelists' lighter rows must read exactly as Django's own."""

import pytest
from django.contrib import admin
from django.utils import translation

from common.admin_tools import LightRowsAdmin
from meetings.models import Mailing, MailingRecipient, Meeting, Registration

LONG_LISTS = [Meeting, Registration, Mailing, MailingRecipient]


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["nn", "nb", "en"])
def test_the_action_checkbox_is_djangos(language, registration_factory):
    registration = registration_factory(contact_person__name='Ola "<Nordmann>" & co')
    model_admin = admin.site._registry[Registration]
    with translation.override(language):
        ours = model_admin.action_checkbox(registration)
        djangos = admin.ModelAdmin.action_checkbox(model_admin, registration)
    assert ours == djangos
    assert "&lt;Nordmann&gt;" in ours


@pytest.mark.parametrize("model", LONG_LISTS)
def test_the_long_lists_show_fifty_rows_a_page(model):
    model_admin = admin.site._registry[model]
    assert isinstance(model_admin, LightRowsAdmin)
    assert model_admin.list_per_page == 50
