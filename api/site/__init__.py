"""The project shell: settings, root URLs, the WSGI and Celery applications, the home page, the
demo loader and the demo custodians. It sits on top of every floor and nothing imports it (see
docs/architecture.md)."""
