class CalendarTokenConverter:
    """A personal feed key: 43 URL-safe characters. Anything else is a 404 before any
    database query."""

    regex = r"[A-Za-z0-9_-]{43}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
