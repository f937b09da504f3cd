from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """The hashed static files, with each name's URL worked out once per process.

    An admin list asks for the URL of its yes/no icon in every boolean cell (300 times for a
    page of 100 registrations), and each time the manifest storage cleans the name, splits it
    and looks it up again. The manifest does not change while the process runs (a deployment
    starts new processes), so the answer for a name is kept. Names come from the templates and
    the code, never from a request, so the memo stays as small as the set of static files."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._url_memo = {}

    def url(self, name, force=False):
        if force:
            return super().url(name, force)
        try:
            return self._url_memo[name]
        except KeyError:
            url = self._url_memo[name] = super().url(name)
            return url
