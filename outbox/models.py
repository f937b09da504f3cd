from datetime import datetime
from typing import Self

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class OutboxEmailQuerySet(models.QuerySet["OutboxEmail"]):
    def due(self, now: datetime | None = None) -> Self:
        now = now or timezone.now()
        return self.filter(status=OutboxEmail.Status.QUEUED).filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
        )

    def failed(self) -> Self:
        return self.filter(status=OutboxEmail.Status.FAILED)


class OutboxEmail(models.Model):
    """One finished e-mail to one address, waiting for the worker or already delivered.

    It is written in the same database transaction as the change it reports, so a rollback
    mails nobody, and it stays queued through an SMTP outage of any length: the worker retries
    passing failures with growing delays and records the final one for staff to see and retry.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", pgettext_lazy("delivery status", "Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    kind = models.CharField(
        _("kind"),
        max_length=60,
        help_text=_("What the e-mail is about, for example “registration.confirmed”."),
    )
    to = models.EmailField(_("to"))
    from_email = models.CharField(_("from"), max_length=320)
    reply_to = models.JSONField(_("reply to"), default=list, blank=True)
    subject = models.TextField(_("subject"))
    body = models.TextField(_("text"))
    html = models.TextField(_("HTML text"), blank=True)
    # [{"filename": ..., "mimetype": ..., "content": ..., "base64": bool}]
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    headers = models.JSONField(_("extra headers"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("queued"), default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    objects = OutboxEmailQuerySet.as_manager()

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The worker's question: what is queued and due?
            models.Index(fields=["status", "next_attempt_at"], name="outbox_status_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "sending", "sent", "failed"]),
                name="outboxemail_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="outboxemail_sent_has_timestamp",
            ),
        ]

    def __str__(self):
        return f"{self.to}: {self.subject}"
