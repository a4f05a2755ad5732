"""The platform's settings plus the surge bench's ceiling endpoint (bench/_surge_urls.py): the
same server, middleware and database, so the ceiling and the surge differ only in the view."""

from api.site.settings import *  # noqa: F403

ROOT_URLCONF = "bench._surge_urls"
