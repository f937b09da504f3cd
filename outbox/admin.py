from django.contrib import admin
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_tasks_db.admin import DBTaskResultAdmin as PackageTaskResultAdmin
from django_tasks_db.models import DBTaskResult, get_date_max

from common.admin_tools import NamedInputsAdmin

from . import services
from .models import OutboxEmail


@admin.register(OutboxEmail)
class OutboxEmailAdmin(NamedInputsAdmin, admin.ModelAdmin):
    """Every e-mail the portal sent or will send, with its delivery state. Read-only: the
    worker writes it; staff can only send failed ones again."""

    list_display = ["to", "subject", "kind", "status", "attempts", "error", "created_at", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["to", "subject"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-pk"]
    actions = ["retry"]
    fieldsets = [
        (None, {"fields": ["to", "from_email", "reply_to", "subject", "kind"]}),
        (
            _("Delivery"),
            {
                "fields": [
                    "status",
                    "attempts",
                    "next_attempt_at",
                    "last_error",
                    "created_at",
                    "sent_at",
                ]
            },
        ),
        (_("Content"), {"fields": ["body", "attachment_names"]}),
    ]

    @admin.display(description=_("last error"))
    def error(self, obj):
        return Truncator(obj.last_error).chars(80)

    @admin.display(description=_("attachments"))
    def attachment_names(self, obj):
        return ", ".join(attachment["filename"] for attachment in obj.attachments) or "-"

    def get_readonly_fields(self, request, obj=None):
        return [name for _title, options in self.fieldsets for name in options["fields"]]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # The record of what was sent to whom stays.
        return False

    def has_change_permission(self, request, obj=None):
        # Nothing is edited here; "change" only grants the retry action (see `retry`).
        return False

    def has_retry_permission(self, request):
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    @admin.action(description=_("Try the selected failed e-mails again"), permissions=["retry"])
    def retry(self, request, queryset):
        count = services.email_retry(emails=queryset)
        self.message_user(
            request,
            ngettext(
                "%(count)d failed e-mail will be tried again.",
                "%(count)d failed e-mails will be tried again.",
                count,
            )
            % {"count": count},
        )


admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class DBTaskResultAdmin(PackageTaskResultAdmin):
    """The background tasks (mailings, the outbox's deliveries) as django-tasks-db keeps them,
    read-only as the package has it, but with translated names: the package describes its
    task name, "run after" and traceback columns with English that no catalogue reaches."""

    list_display = (
        "id",
        "task",
        "status",
        "enqueued_at",
        "started_at",
        "finished_at",
        "priority",
        "queue_name",
    )

    @admin.display(description=_("task"))
    def task(self, obj):
        return obj.task_name

    @admin.display(description=_("traceback"))
    def formatted_traceback(self, obj):
        if not obj.traceback:
            return "-"
        return format_html("<pre>{}</pre>", obj.traceback)

    @admin.display(description=_("run after"))
    def display_run_after(self, obj):
        # The package's far-future date stands for "as soon as possible".
        if obj.run_after == get_date_max():
            return self.get_empty_value_display()
        return obj.run_after
