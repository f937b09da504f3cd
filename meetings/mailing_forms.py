"""Admin forms for mailings: the text, and whom it goes to."""

from django import forms
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.utils.translation import gettext_lazy as _

from members.models import ContactPerson, Municipality, Sector

from . import invitations
from .models import Mailing


class MailingForm(forms.ModelForm):
    """Subject and body of a mailing, checked for unknown placeholders."""

    send_now = forms.BooleanField(
        label=_("Send when saved"),
        required=False,
        help_text=_("Leave unticked to save a draft and look at the preview first."),
    )

    class Meta:
        model = Mailing
        fields = ["meeting", "subject", "body", "subject_nb", "body_nb", "subject_en", "body_en"]
        help_texts = {
            "subject_nb": _(
                "Optional. Recipients who prefer Bokmål get this text; if it is "
                "empty, they get the Nynorsk one."
            ),
            "subject_en": _(
                "Optional. Recipients who prefer English get this text; if it is "
                "empty, they get the Nynorsk one."
            ),
        }

    def _check_placeholders(self, name):
        text = self.cleaned_data.get(name, "")
        try:
            invitations.placeholders_in(text)
        except invitations.UnknownPlaceholder as error:
            raise forms.ValidationError(
                _("Unknown placeholder {%(name)s}. Use one of: %(known)s."),
                params={
                    "name": error.args[0],
                    "known": ", ".join(f"{{{p}}}" for p in Mailing.PLACEHOLDERS),
                },
                code="placeholder",
            ) from error
        except ValueError as error:
            raise forms.ValidationError(
                _("A { or } has no partner. Write placeholders like {name}."), code="braces"
            ) from error
        return text

    def clean_subject(self):
        return self._check_placeholders("subject")

    def clean_body(self):
        return self._check_placeholders("body")

    def clean_subject_nb(self):
        return self._check_placeholders("subject_nb")

    def clean_body_nb(self):
        return self._check_placeholders("body_nb")

    def clean_subject_en(self):
        return self._check_placeholders("subject_en")

    def clean_body_en(self):
        return self._check_placeholders("body_en")

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        for language in ("nb", "en"):
            subject, body = f"subject_{language}", f"body_{language}"
            if subject in self.errors or body in self.errors:
                continue
            if cleaned.get(subject) and not cleaned.get(body):
                self.add_error(body, _("Give the text too, or leave the subject empty."))
            elif cleaned.get(body) and not cleaned.get(subject):
                self.add_error(subject, _("Give the subject too, or leave the text empty."))
        return cleaned

    @property
    def translations(self) -> dict[str, str]:
        return {
            name: self.cleaned_data.get(name, "")
            for name in ("subject_nb", "body_nb", "subject_en", "body_en")
        }


class MailingAddForm(MailingForm):
    """A new invitation: the text and the choice of recipients."""

    municipalities = forms.ModelMultipleChoiceField(
        label=_("Municipalities"),
        queryset=Municipality.objects.current().order_by("name"),
        required=False,
        widget=FilteredSelectMultiple(_("municipalities"), is_stacked=False),
        help_text=_("Leave empty for every municipality that matches the filter below."),
    )
    membership = forms.ChoiceField(
        label=_("Network membership"),
        choices=[
            ("members", _("Network members only")),
            ("non_members", _("Municipalities that are not members")),
            ("all", _("All municipalities")),
        ],
        initial="members",
    )
    official_mailbox = forms.BooleanField(
        label=_("The municipalities' official mailboxes"), required=False, initial=True
    )
    contact_persons = forms.BooleanField(
        label=_("The municipalities' active contact persons"), required=False, initial=True
    )
    sectors = forms.MultipleChoiceField(
        label=_("Only contact persons in these sectors"),
        choices=Sector.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty for every sector."),
    )
    persons = forms.ModelMultipleChoiceField(
        label=_("Also these people"),
        queryset=ContactPerson.objects.active().select_related("municipality"),
        required=False,
        widget=FilteredSelectMultiple(_("contact persons"), is_stacked=False),
    )
    skip_answered = forms.BooleanField(
        label=_("Skip those who already answered"),
        required=False,
        initial=True,
        help_text=_(
            "Leaves out addresses that registered or said they cannot attend, and "
            "addresses of municipalities that did."
        ),
    )
    skip_invited = forms.BooleanField(
        label=_("Skip those already invited to this meeting"),
        required=False,
        initial=True,
        help_text=_("Leaves out addresses a sent invitation for this meeting went to."),
    )

    def clean(self):
        cleaned = super().clean()
        spec = invitations.RecipientSpec(
            municipalities=tuple(m.pk for m in cleaned.get("municipalities") or ()),
            membership=cleaned.get("membership") or "members",
            official_mailbox=bool(cleaned.get("official_mailbox")),
            contact_persons=bool(cleaned.get("contact_persons")),
            sectors=tuple(cleaned.get("sectors") or ()),
            persons=tuple(p.pk for p in cleaned.get("persons") or ()),
        )
        chosen = invitations.recipients_for(spec)
        if not chosen:
            raise forms.ValidationError(
                _("This choice gives no recipients. Choose other municipalities or people."),
                code="no_recipients",
            )
        self.skipped = invitations.Skipped(chosen)
        if cleaned.get("meeting") is not None:
            self.skipped = invitations.skip_for_invitation(
                cleaned["meeting"],
                chosen,
                skip_answered=bool(cleaned.get("skip_answered")),
                skip_invited=bool(cleaned.get("skip_invited")),
            )
        self.recipients = self.skipped.recipients
        if not self.recipients:
            raise forms.ValidationError(
                _(
                    "Everyone in this choice has already answered or been invited "
                    "(%(answered)d answered, %(invited)d invited). To invite them again, "
                    "untick the boxes that leave them out."
                ),
                params={
                    "answered": self.skipped.answered,
                    "invited": self.skipped.already_invited,
                },
                code="all_skipped",
            )
        return cleaned
