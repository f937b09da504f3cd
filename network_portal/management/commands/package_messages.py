"""Keep locale_packages/ in step with the installed packages' sources.

`makemessages` cannot do this: it reads our sources only, and with --no-obsolete it would drop
every package msgid. This command extracts the msgids the portal shows from the packages
themselves (their Python code, templates and the admin's scripts), merges them into the
Nynorsk, Bokmål and English catalogues, and lists what needs translating.
"""

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import django
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation.template import templatize

from network_portal.po import read_po

SITE_PACKAGES = Path(django.__file__).resolve().parent.parent
# What the portal shows: the admin, the authentication and form messages (password validators
# included), allauth's account and two-factor pages, import-export, simple-history, the task
# results of django-tasks' database backend and django-solo's one-row admin pages. Not whole
# packages: no social accounts, no GIS, no admindocs.
SOURCES = [
    "django/contrib/admin",
    "django/contrib/auth/forms.py",
    "django/contrib/auth/admin.py",
    "django/contrib/auth/password_validation.py",
    "django/contrib/auth/models.py",
    "django/contrib/auth/base_user.py",
    "django/contrib/auth/validators.py",
    "django/contrib/auth/apps.py",
    "django/contrib/auth/templates",
    "django/contrib/contenttypes/models.py",
    "django/contrib/sites/models.py",
    "django/contrib/sites/apps.py",
    "django/forms",
    "django/core/validators.py",
    "django/db/models/fields/__init__.py",
    "django/db/models/fields/related.py",
    "django/db/models/base.py",
    "django/contrib/humanize",
    "allauth/account",
    "allauth/mfa",
    "allauth/core",
    "allauth/templates/account",
    "allauth/templates/mfa",
    "allauth/templates/allauth",
    "import_export",
    "simple_history",
    "django_tasks",
    "django_tasks_db",
    "solo/admin.py",
    "solo/templates",
]
SCRIPTS = "django/contrib/admin/static/admin/js"
# humanize's words for big numbers: no page uses them.
UNUSED = re.compile(
    r"^%\(value\)s (million|billion|trillion|quadrillion|quintillion|sextillion|septillion|"
    r"octillion|nonillion|decillion|googol)$"
)
KEYWORDS = [
    "--keyword=gettext_noop",
    "--keyword=gettext_lazy",
    "--keyword=ngettext_lazy:1,2",
    "--keyword=pgettext:1c,2",
    "--keyword=npgettext:1c,2,3",
    "--keyword=pgettext_lazy:1c,2",
    "--keyword=npgettext_lazy:1c,2,3",
    "--keyword=_",
]


def run(command: list, **kwargs):
    """Run one of GNU gettext's tools (Django's own message commands need them too)."""
    executable = shutil.which(command[0])
    if executable is None:
        raise CommandError(f"{command[0]} not found: install GNU gettext.")
    # Our own file names and options, no shell.
    subprocess.run([executable, *command[1:]], check=True, **kwargs)  # noqa: S603


def key(entry) -> tuple[str | None, str]:
    return entry.msgctxt, entry.msgid


class Command(BaseCommand):
    help = "Merge the package strings the portal shows into locale_packages/ (nn, nb, en)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Change nothing; fail if a catalogue lacks a msgid of the installed packages "
            "or has one they no longer use.",
        )

    def handle(self, *args, check=False, **options):
        target = Path(settings.BASE_DIR) / "locale_packages"
        with tempfile.TemporaryDirectory() as tmp:
            templates = Path(tmp)
            templates_pot = self.extract(templates)
            problems = []
            for domain, pot in templates_pot.items():
                wanted = {key(entry) for entry in read_po(pot)}
                for language in ("nn", "nb"):
                    path = target / language / "LC_MESSAGES" / f"{domain}.po"
                    if check:
                        have = {key(entry) for entry in read_po(path)}
                        problems += [f"{path}: missing {k[1]!r}" for k in sorted(wanted - have)]
                        problems += [f"{path}: unused {k[1]!r}" for k in sorted(have - wanted)]
                    else:
                        self.merge(path, pot)
                        untranslated = sum(not entry.translated for entry in read_po(path))
                        self.stdout.write(f"{path}: {untranslated} to translate")
                english = target / "en" / "LC_MESSAGES" / f"{domain}.po"
                if english.exists():
                    have = {key(entry) for entry in read_po(english)}
                    problems += [f"{english}: unused {k[1]!r}" for k in sorted(have - wanted)]
            if check and problems:
                raise CommandError("locale_packages is out of step:\n" + "\n".join(problems))

    def extract(self, tmp: Path) -> dict[str, Path]:
        """Write django.pot and djangojs.pot into `tmp`; templates go through Django's own
        templatize(), as makemessages does."""
        python: list[str] = []
        scripts: list[str] = []
        for source in SOURCES:
            path = SITE_PACKAGES / source
            files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
            for file in files:
                relative = file.relative_to(SITE_PACKAGES)
                if {"tests", "locale", "migrations"} & set(relative.parts):
                    continue
                if file.suffix == ".py":
                    python.append(str(relative))
                elif file.suffix in {".html", ".txt"}:
                    copy = tmp / "templates" / relative
                    copy.parent.mkdir(parents=True, exist_ok=True)
                    copy.write_text(templatize(file.read_text(encoding="utf-8"), origin=str(file)))
                    python.append(str(relative))
        for file in sorted((SITE_PACKAGES / SCRIPTS).rglob("*.js")):
            if "vendor" not in file.parts:
                scripts.append(str(file.relative_to(SITE_PACKAGES)))
        common = ["--from-code=UTF-8", "--no-wrap", "--sort-output", "--add-comments=Translators"]
        pots = {"django": tmp / "django.pot", "djangojs": tmp / "djangojs.pot"}
        # Files are named relative to site-packages; a template is read from its templatized
        # copy, which xgettext finds first. Non-ASCII msgids need a UTF-8 locale.
        directories = ["--directory", tmp / "templates", "--directory", SITE_PACKAGES]
        environment = {"LC_ALL": "C.UTF-8"}
        for domain, language, named in (
            ("django", "Python", python),
            ("djangojs", "JavaScript", scripts),
        ):
            pot = pots[domain]
            options = [f"--language={language}", *common, *KEYWORDS, *directories, "-o", pot]
            run(["xgettext", *options, *named], env=environment, capture_output=True)
            pot.write_text(pot.read_text(encoding="utf-8").replace("CHARSET", "UTF-8"))
            unused = ["--invert-match", "--msgid", "-E", "-e", UNUSED.pattern]
            run(["msggrep", *unused, "-o", pot, pot])
        return pots

    def merge(self, path: Path, pot: Path):
        """New msgids come in untranslated (never guessed: no fuzzy matching); msgids the
        packages dropped go."""
        run(["msgmerge", "--quiet", "--update", "--backup=none", "--no-fuzzy-matching", path, pot])
        run(["msgattrib", "--no-obsolete", "-o", path, path])
