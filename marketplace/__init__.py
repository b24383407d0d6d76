"""The ground floor every app stands on: user accounts' model, the email outbox, the
audit trail, images, and the shared form, HTTP and API plumbing. It imports no app."""
