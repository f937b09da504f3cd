"""The production static files storage answers each name from a memo, the same answer."""

import json

import pytest

from network_portal.storage import StaticFilesStorage


@pytest.fixture
def storage(tmp_path):
    (tmp_path / "admin").mkdir()
    (tmp_path / "admin" / "icon-yes.svg").write_text("<svg/>")
    (tmp_path / "staticfiles.json").write_text(
        json.dumps({"version": "1.1", "paths": {"admin/icon-yes.svg": "admin/icon-yes.abc123.svg"}})
    )
    return StaticFilesStorage(location=tmp_path, base_url="/static/")


def test_the_hashed_url_is_worked_out_once(storage, monkeypatch):
    assert storage.url("admin/icon-yes.svg") == "/static/admin/icon-yes.abc123.svg"

    def lookup_again(*args, **kwargs):
        raise AssertionError("the manifest was asked again")

    monkeypatch.setattr(StaticFilesStorage.__mro__[1], "url", lookup_again)
    assert storage.url("admin/icon-yes.svg") == "/static/admin/icon-yes.abc123.svg"


def test_an_unknown_name_still_fails_and_is_not_remembered(storage):
    with pytest.raises(ValueError):
        storage.url("admin/missing.svg")
    with pytest.raises(ValueError):
        storage.url("admin/missing.svg")
