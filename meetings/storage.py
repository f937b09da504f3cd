"""Where meeting materials are kept: Django's storage alias "materials" (STORAGES), which is
never the default storage, so no file of it has a public media URL."""

import secrets

from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty

MATERIALS_ALIAS = "materials"


class MaterialStorage(LazyObject):
    """The "materials" storage, looked up when first used (so a test or a deployment that
    changes STORAGES is heeded), like Django's own `default_storage`."""

    # A Storage once set up; LazyObject's `empty` sentinel until then and after a reset.
    _wrapped: object

    def _setup(self):
        self._wrapped = storages[MATERIALS_ALIAS]


material_storage_instance = MaterialStorage()


def material_storage():
    """The material field's storage; a callable, so migrations name this function and not a
    particular backend."""
    return material_storage_instance


@receiver(setting_changed)
def _storages_changed(*, setting, **kwargs):
    if setting == "STORAGES":
        material_storage_instance._wrapped = empty


def material_upload_to(instance, filename: str) -> str:
    """A directory of its own for every file, with a random name: two files of the same name
    never meet, and nobody can guess another file's path. `filename` is already safe
    (uploads.safe_filename)."""
    return f"materials/{instance.meeting_id}/{secrets.token_hex(16)}/{filename}"
