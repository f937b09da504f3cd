import secrets
from datetime import date
from typing import ClassVar, Self

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from solo.models import SingletonModel

from common.validators import validate_plausible_moment, validate_single_line

from .permissions import contact_persons_visible_to

kommunenummer_validator = RegexValidator(
    r"^[0-9]{4}\Z", _("A municipality number has exactly four digits, for example 1201.")
)
domain_validator = RegexValidator(
    r"^(?=.{1,253}\Z)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\Z",
    _("Enter a domain in lower case, for example bergen.kommune.no."),
)


# A person's name: a contact person's, which an account's first and last name become.
PERSON_NAME_MAX_LENGTH = 200


class UserManager(DjangoUserManager):
    """Users sign in with their e-mail address; there is no username."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    # Django's manager takes a username first; accounts here have none, so the e-mail
    # address takes its place, which is how `createsuperuser` and allauth call these.
    def create_user(self, email=None, password=None, **extra_fields):  # type: ignore[override]
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email=None, password=None, **extra_fields):  # type: ignore[override]
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)


class User(AbstractUser):
    """An account on the portal. County staff and municipal staff alike sign in by e-mail."""

    # Removes AbstractUser's username field (accounts sign in by e-mail).
    username = None  # type: ignore[assignment]
    email = models.EmailField(_("e-mail address"), unique=True, validators=[validate_single_line])
    # As long as a contact person's name, which signing up and the profile split into these.
    first_name = models.CharField(
        _("first name"),
        max_length=PERSON_NAME_MAX_LENGTH,
        blank=True,
        validators=[validate_single_line],
    )
    last_name = models.CharField(
        _("last name"),
        max_length=PERSON_NAME_MAX_LENGTH,
        blank=True,
        validators=[validate_single_line],
    )
    last_login = models.DateTimeField(
        _("last login"), blank=True, null=True, validators=[validate_plausible_moment]
    )
    date_joined = models.DateTimeField(
        _("date joined"), default=timezone.now, validators=[validate_plausible_moment]
    )
    session_generation = models.PositiveIntegerField(
        _("session generation"),
        default=0,
        editable=False,
        help_text=_("Rises when the person signs out everywhere; older sessions stop working."),
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects: ClassVar[UserManager] = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        # Behind the admin's date hierarchy.
        indexes = [models.Index(fields=["date_joined"], name="user_date_joined")]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self):
        return self.get_full_name() or self.email

    # Django keeps a session valid while the hash it stored at login still matches, and derives
    # that hash from the password hash only. Mixing in `session_generation` lets "sign out
    # everywhere" end every session without a password change; generation 0 gives exactly
    # Django's hash, so sessions made before this field existed stay valid.
    def get_session_auth_hash(self):
        return self._session_auth_hash(secret=None)

    def get_session_auth_fallback_hash(self):
        for fallback_secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_auth_hash(secret=fallback_secret)

    def _session_auth_hash(self, *, secret):
        value = self.password
        if self.session_generation:
            value = f"{value}${self.session_generation}"
        return salted_hmac(
            "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash",
            value,
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def clean(self):
        super().clean()
        # The account's name becomes its contact person's name, which must hold it whole.
        limit = PERSON_NAME_MAX_LENGTH
        if len(self.get_full_name()) > limit:
            message = _("The first and last name together can have at most %(limit)d characters.")
            raise ValidationError(
                {"last_name": ValidationError(message, params={"limit": limit}, code="too_long")}
            )


class MunicipalityQuerySet(models.QuerySet["Municipality"]):
    def network_members(self) -> Self:
        return self.filter(member_since__isnull=False)

    def current(self, on: date | None = None) -> Self:
        """Municipalities that exist on the given date (today by default)."""
        on = on or timezone.localdate()
        return self.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=on),
            Q(valid_to__isnull=True) | Q(valid_to__gte=on),
        )


class Municipality(models.Model):
    """A municipality (kommune): a member organisation of the network, or one that may join.

    The register outlives municipal reforms, so a municipality has a validity period and, once
    merged, a successor.
    """

    name = models.CharField(_("name"), max_length=100, validators=[validate_single_line])
    number = models.CharField(
        _("municipality number"),
        max_length=4,
        unique=True,
        validators=[kommunenummer_validator],
        help_text=_("The official four-digit kommunenummer."),
    )
    county = models.CharField(_("county"), max_length=100, validators=[validate_single_line])
    official_email = models.EmailField(
        _("official mailbox"),
        blank=True,
        validators=[validate_single_line],
        help_text=_("The municipality's postmottak address."),
    )
    website = models.URLField(_("website"), blank=True, validators=[validate_single_line])
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    successor = models.ForeignKey(
        "self",
        verbose_name=_("successor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="predecessors",
        help_text=_("The municipality this one merged into."),
    )
    member_since = models.DateField(
        _("network member since"),
        null=True,
        blank=True,
        help_text=_("Leave empty if the municipality is not a member of the network."),
    )

    objects = MunicipalityQuerySet.as_manager()
    history = HistoricalRecords()
    # Set before a save to say why in the history (django-simple-history reads it).
    _change_reason: str

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        ordering = ["name"]
        # Behind the admin's date hierarchy.
        indexes = [models.Index(fields=["member_since"], name="municipality_member_since")]
        constraints = [
            models.CheckConstraint(
                condition=Q(number__regex=r"^[0-9]{4}\Z"), name="municipality_number_four_digits"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="municipality_valid_to_after_valid_from",
                violation_error_message=_("The end of the validity period is before its start."),
            ),
            models.CheckConstraint(
                condition=~Q(successor=models.F("pk")),
                name="municipality_not_own_successor",
                violation_error_message=_("A municipality cannot be its own successor."),
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.name}"

    @property
    def is_network_member(self) -> bool:
        return self.member_since is not None


class DomainField(models.CharField):
    """A host name, stored in lower case without surrounding spaces, so that what people paste
    ("Bergen.Kommune.no ") is accepted and stored canonically before validation."""

    def to_python(self, value):
        value = super().to_python(value)
        return value.strip().lower() if isinstance(value, str) else value


class EmailDomain(models.Model):
    """An e-mail domain used by a municipality's staff; it links new accounts to a municipality."""

    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("municipality"),
        on_delete=models.CASCADE,
        related_name="email_domains",
    )
    domain = DomainField(
        _("domain"),
        max_length=253,
        unique=True,
        validators=[domain_validator],
        error_messages={"unique": _("This e-mail domain already belongs to a municipality.")},
    )

    # Edited on the municipality's page; its changes are listed in the municipality's history.
    history = HistoricalRecords()
    # Set before a save to say why in the history (django-simple-history reads it).
    _change_reason: str

    class Meta:
        verbose_name = _("e-mail domain")
        verbose_name_plural = _("e-mail domains")
        ordering = ["domain"]
        constraints = [
            models.CheckConstraint(
                condition=Q(domain=Lower("domain")),
                name="emaildomain_lower_case",
                violation_error_message=_("Write the domain in lower case."),
            ),
        ]

    def __str__(self):
        return self.domain


class Sector(models.TextChoices):
    BUSINESS = "business", _("Business development")
    HEALTH_CARE = "health_care", _("Health and care")
    EDUCATION = "education", _("Childhood and school")
    CULTURE = "culture", _("Culture")
    VOLUNTARY = "voluntary", _("Voluntary work")
    PLANNING = "planning", _("Planning and community development")
    OTHER = "other", _("Other")


def new_calendar_token() -> str:
    """43 URL-safe characters (256 bits): unguessable, and its shape is checked before any
    database look-up."""
    return secrets.token_urlsafe(32)


class ContactPersonQuerySet(models.QuerySet["ContactPerson"]):
    def active(self) -> Self:
        return self.filter(is_active=True)

    def coordinators(self) -> Self:
        return self.filter(role=ContactPerson.Role.COORDINATOR)

    def visible_to(self, viewer) -> Self:
        """The people whose names and contact details the viewer may see (permissions.py)."""
        return contact_persons_visible_to(self, viewer)


class ContactPerson(models.Model):
    """A person in a municipal administration who takes part in the network.

    Most contact persons sign in with a user account linked here; county staff may also keep
    people without an account, for example those who only receive invitations.
    """

    class Role(models.TextChoices):
        MEMBER = "member", _("Member")
        COORDINATOR = "coordinator", _("Municipal coordinator")

    name = models.CharField(
        _("name"), max_length=PERSON_NAME_MAX_LENGTH, validators=[validate_single_line]
    )
    email = models.EmailField(
        _("e-mail address"),
        unique=True,
        validators=[validate_single_line],
        error_messages={"unique": _("A contact person with this e-mail address already exists.")},
    )
    phone = models.CharField(
        _("phone"), max_length=30, blank=True, validators=[validate_single_line]
    )
    job_title = models.CharField(
        _("job title"), max_length=200, blank=True, validators=[validate_single_line]
    )
    sector = models.CharField(_("sector"), max_length=20, choices=Sector, default=Sector.OTHER)
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("municipality"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contact_persons",
        help_text=_("Empty until the person's e-mail domain is matched to a municipality."),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contact_person",
    )
    role = models.CharField(_("role"), max_length=20, choices=Role, default=Role.MEMBER)
    is_active = models.BooleanField(_("active"), default=True)
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )
    calendar_token = models.CharField(
        _("calendar feed key"),
        max_length=64,
        unique=True,
        default=new_calendar_token,
        editable=False,
        help_text=_("The secret part of the person's calendar feed address."),
    )
    calendar_includes_all = models.BooleanField(
        _("all network meetings in the calendar feed"),
        default=False,
        help_text=_("Otherwise the feed holds only the meetings you are registered for."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    anonymised_at = models.DateTimeField(
        _("anonymised"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "Set when the person's data was deleted. The row stays, without name or "
            "address, so that the network's statistics still count their registrations."
        ),
    )

    objects = ContactPersonQuerySet.as_manager()
    # The feed key is a secret: it stays out of the history tables.
    history = HistoricalRecords(excluded_fields=["calendar_token"])
    # Set before a save to say why in the history (django-simple-history reads it).
    _change_reason: str

    class Meta:
        verbose_name = _("contact person")
        verbose_name_plural = _("contact persons")
        ordering = ["name"]
        # Behind the admin's date hierarchy.
        indexes = [models.Index(fields=["created_at"], name="contactperson_created_at")]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="contactperson_email_ci_unique",
                violation_error_message=_(
                    "A contact person with this e-mail address already exists."
                ),
            ),
            models.CheckConstraint(
                condition=Q(anonymised_at__isnull=True) | Q(user__isnull=True),
                name="contactperson_anonymised_has_no_account",
                violation_error_message=_("An anonymised contact person has no user account."),
            ),
        ]

    def __str__(self):
        if self.municipality is not None:
            return f"{self.display_name} ({self.municipality.name})"
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.anonymised_at is not None:
            return gettext("Anonymised person")
        return self.name

    @property
    def is_coordinator(self) -> bool:
        return self.role == self.Role.COORDINATOR


class NetworkOwner(SingletonModel):
    """Who runs the network: the county council and its section, as the founding invitation
    signs. One row, edited by county staff; the footer shows it and every new meeting series
    copies it (see meetings.MeetingSeries), so when the county changes - Hordaland became
    Vestland in 2020 - one edit changes what comes next and the old series keep their own."""

    name = models.CharField(
        _("county council"),
        max_length=200,
        validators=[validate_single_line],
        help_text=_("For example Vestland fylkeskommune."),
    )
    section = models.CharField(
        _("department and section"),
        max_length=200,
        blank=True,
        validators=[validate_single_line],
        help_text=_("The part of the county council that runs the network."),
    )
    address = models.CharField(
        _("address"), max_length=300, blank=True, validators=[validate_single_line]
    )
    contact_name = models.CharField(
        _("contact person"), max_length=200, blank=True, validators=[validate_single_line]
    )
    contact_title = models.CharField(
        _("contact person's job title"),
        max_length=200,
        blank=True,
        validators=[validate_single_line],
    )
    phone = models.CharField(
        _("phone"), max_length=30, blank=True, validators=[validate_single_line]
    )
    email = models.EmailField(
        _("e-mail"),
        blank=True,
        validators=[validate_single_line],
        help_text=_("Replies to the network's e-mails go here."),
    )
    website = models.URLField(_("website"), blank=True, validators=[validate_single_line])

    history = HistoricalRecords()
    # Set before a save to say why in the history (django-simple-history reads it).
    _change_reason: str

    class Meta:
        verbose_name = _("network owner")
        verbose_name_plural = _("network owner")
        constraints = [
            # django-solo keeps the row at pk 1; the database keeps it the only one.
            models.CheckConstraint(condition=Q(pk=1), name="networkowner_single_row"),
        ]

    def __str__(self):
        return self.full_name or gettext("Network owner")

    @property
    def full_name(self) -> str:
        """The council and its section, as a meeting series names its organiser."""
        return ", ".join(part for part in (self.name, self.section) if part)

    @property
    def contact(self) -> str:
        return ", ".join(part for part in (self.contact_name, self.contact_title) if part)
