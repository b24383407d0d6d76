"""Head office's side of people's rights: the list of requests answered (what, when, how,
by whom; never who asked), and the page that carries out a request received by post."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from privacy import rights
from privacy.forms import HeadOfficeRequestForm
from privacy.models import DataRequest
from privacy.register import Person
from privacy.views import json_attachment


@admin.register(DataRequest)
class DataRequestAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "channel", "handled_by", "records_column"]
    list_filter = ["kind", "channel"]
    readonly_fields = ["created_at", "kind", "channel", "handled_by", "records"]

    def has_add_permission(self, request):
        # "Add" is the page that carries a request out (below), not a form for the row.
        return request.user.has_perm("privacy.add_datarequest")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("records"))
    def records_column(self, request_row):
        return ", ".join(f"{key}: {count}" for key, count in sorted(request_row.records.items())) or "—"

    def add_view(self, request, form_url="", extra_context=None):
        """Download or erase the data of the address a letter gives (after head office
        checked the writer's identity, as the page reminds)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = HeadOfficeRequestForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            person = Person.with_email(form.cleaned_data["email"])
            channel = DataRequest.Channel.HEAD_OFFICE
            if form.cleaned_data["kind"] == DataRequest.Kind.EXPORT:
                exported = rights.personal_data_export(
                    person=person, channel=channel, handled_by=request.user
                )
                return json_attachment(exported, name="personal-data-request")
            try:
                done = rights.personal_data_erase(person=person, channel=channel, handled_by=request.user)
            except rights.ErasureRefused as refused:
                form.add_error(
                    None,
                    ngettext(
                        "This person has %(count)d order in progress: their data can be erased once it is "
                        "collected or cancelled. Tell them so in your answer.",
                        "This person has %(count)d orders in progress: their data can be erased once they are "
                        "collected or cancelled. Tell them so in your answer.",
                        refused.open_orders,
                    )
                    % {"count": refused.open_orders},
                )
            else:
                erased = sum(done.records.values())
                self.message_user(
                    request, _("Erased: %(count)d records no longer name the person.") % {"count": erased},
                    messages.SUCCESS,
                )  # fmt: skip
                return redirect(reverse("admin:privacy_datarequest_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("A request received by post"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/privacy/datarequest/handle.html", context)
