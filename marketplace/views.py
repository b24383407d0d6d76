from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin

from marketplace import health
from marketplace.models import OutgoingEmail


@never_cache
def healthz(request):
    """Probes (docker-compose, load balancers): `?live` asks whether the process answers;
    without it, whether the site can serve, and how its parts are (marketplace/health.py)."""
    if "live" in request.GET:
        return JsonResponse({"status": "ok"})
    status, body = health.readiness()
    return JsonResponse(body, status=status)


# The two views below exist only with DEBUG on (see urls.py): in the demo, the person
# trying the product reads the emails it sends here.


def mailbox(request):
    # Read without the context: the list does not render the messages not sent yet.
    emails = OutgoingEmail.objects.defer("context").order_by("-created_at")[:100]
    return render(request, "dev/mailbox.html", {"emails": emails})


def mailbox_message(request, email_id):
    email = get_object_or_404(OutgoingEmail, pk=email_id)
    if request.GET.get("format") == "html" and email.body_html:
        return _email_as_sent(request, email)
    return render(request, "dev/mailbox_message.html", {"email": email})


# The HTML version, framed by the message's page. Emails carry their styles inline (mail
# clients drop style sheets), which the site's policy refuses, and a srcdoc frame would
# inherit that policy: the email gets its own address and a policy that lets its styles
# apply and the mailbox page frame it (the frame's sandbox still runs no script).
@xframe_options_sameorigin
@csp_replace({"style-src": [UNSAFE_INLINE], "frame-ancestors": [SELF]})
def _email_as_sent(request, email):
    return HttpResponse(email.body_html)


def ping(request):
    """The smallest Django answer: a reference for the throughput benchmarks, and a
    liveness probe that does not touch the database."""
    return JsonResponse({"pong": True})
