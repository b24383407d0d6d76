"""Where the outbox's messages go when no mail server is configured (EMAIL_URL unset:
the demo, a local run)."""

from django.core.mail.backends import console


class OneLineConsoleBackend(console.EmailBackend):
    """Django's console backend, one line a message: its recipients and subject. The
    message itself stays whole in the outbox, for the admin and, with DEBUG on, the
    demo's mailbox (/dev/mailbox/). Printed whole (its HTML, the QR code's image in
    base64), the few emails of the demo's seed made a log of 4,000 lines."""

    def write_message(self, message):
        self.stream.write(f"Email to {', '.join(message.recipients())}: {message.subject}\n")
