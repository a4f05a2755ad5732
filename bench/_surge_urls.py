"""The platform's URLs plus ``bench/ceiling/``: the least a bid submission could cost on this
stack. It authenticates the request as the real endpoint does (the API's token), stores the
body as a file durably (written and fsynced with its folder, as the platform stores an
envelope before acknowledging it) and inserts one row, in one commit: the surge bench's
same-run ceiling."""

import hashlib
import os
import uuid
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView

TABLE = "bench_ceiling"


class Ceiling(APIView):
    def post(self, request):
        body = request.body
        folder = Path(settings.SEALED_ROOT) / "ceiling"
        folder.mkdir(parents=True, exist_ok=True)
        name = folder / uuid.uuid4().hex
        with name.open("wb") as out:  # durably, as the platform stores an envelope
            out.write(body)
            out.flush()
            os.fsync(out.fileno())
        descriptor = os.open(folder, os.O_RDONLY)
        os.fsync(descriptor)
        os.close(descriptor)
        digest = hashlib.sha256(body).hexdigest()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {TABLE} (sha256, path, size, at) VALUES (%s, %s, %s, now())"
                " RETURNING id",
                [digest, str(name), len(body)],
            )
            (row,) = cursor.fetchone()
        return Response({"bid": str(row)}, status=201)


urlpatterns = [
    path("bench/ceiling/", Ceiling.as_view()),
    path("", include("api.site.urls")),
]
