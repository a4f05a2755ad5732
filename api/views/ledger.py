"""Public ledger API: checkpoints, entries (sealed ones redacted), proofs, and the log's key.

A verifier downloads the whole log in bulk (``entries/bulk/``: binary pages of up to
``BULK_MAX`` entries, format in ``procurement.crypto.entrypages``) and the checkpoints a
thousand at a time, so a million entries and ten thousand checkpoints take about a hundred and
ten requests, well under the anonymous throttle.
"""

from __future__ import annotations

import base64
import gzip

from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from api.permissions import HasAnyRole
from procurement import ledger
from procurement.clock import db_now
from procurement.crypto import entrypages
from procurement.exceptions import InvalidInput
from procurement.keys import (
    ledger_key_name,
    ledger_verifier_key,
    receipt_key_name,
    receipt_verifier_key,
)
from procurement.models import Checkpoint

MAX_RANGE = 1000
BULK_MAX = 10_000
BULK_MAX_BYTES = 8 * 1024 * 1024


def _b64(data: bytes) -> str:
    return base64.b64encode(bytes(data)).decode()


def _int_param(request, name: str, *, default: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        if default is None:
            raise InvalidInput(
                _("The query parameter “%(name)s” is required.") % {"name": name}, field=name
            )
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(
            _("“%(name)s” must be an integer.") % {"name": name}, field=name
        ) from None
    if value < 0:
        raise InvalidInput(_("“%(name)s” must not be negative.") % {"name": name}, field=name)
    return value


class CheckpointSerializer(serializers.Serializer):
    tree_size = serializers.IntegerField()
    root_hash = serializers.SerializerMethodField()
    note = serializers.CharField()
    created_at = serializers.DateTimeField()

    def get_root_hash(self, obj: Checkpoint) -> str:
        return _b64(obj.root_hash)


class PublicEntrySerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    leaf_hash = serializers.CharField(help_text="hex SHA-256(0x00 ‖ entry)")
    sealed = serializers.BooleanField()
    recorded_at = serializers.DateTimeField(allow_null=True)
    kind = serializers.CharField(allow_null=True)
    subject = serializers.CharField(allow_null=True)
    entry = serializers.CharField(
        allow_null=True, help_text="the canonical JSON exactly as hashed; null while sealed"
    )


class LedgerKeyView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses=inline_serializer(
            "LedgerKey",
            {"origin": serializers.CharField(), "verifier_key": serializers.CharField()},
        )
    )
    def get(self, request):
        """The log's origin and its C2SP verifier key. Pin it; do not trust it fresh each time."""
        return Response({"origin": ledger_key_name(), "verifier_key": ledger_verifier_key()})


class ReceiptKeyView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses=inline_serializer(
            "ReceiptKey",
            {"name": serializers.CharField(), "verifier_key": serializers.CharField()},
        )
    )
    def get(self, request):
        """The key that signs bid receipts (C2SP verifier-key form), separate from the log's."""
        return Response({"name": receipt_key_name(), "verifier_key": receipt_verifier_key()})


class LatestCheckpointView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=CheckpointSerializer)
    def get(self, request):
        """The latest signed checkpoint (tree size, root and the signed note)."""
        return Response(CheckpointSerializer(ledger.latest_checkpoint()).data)


class CheckpointListView(APIView):
    """Every checkpoint signed so far, newest first; POST signs one now."""

    def get_permissions(self):
        if self.request.method == "POST":
            return [HasAnyRole()]
        return [AllowAny()]

    required_roles = ("auditor", "officer")

    @extend_schema(
        parameters=[
            OpenApiParameter("before", OpenApiTypes.INT, description="sizes below this only"),
            OpenApiParameter(
                "after",
                OpenApiTypes.INT,
                description="sizes above this only (a verifier resuming from its state)",
            ),
        ],
        responses=CheckpointSerializer(many=True),
    )
    def get(self, request):
        """Checkpoints newest first, at most 1,000: page with ``before`` = the last size seen."""
        rows = Checkpoint.objects.order_by("-tree_size")
        if "before" in request.query_params:
            rows = rows.filter(tree_size__lt=_int_param(request, "before"))
        if "after" in request.query_params:
            rows = rows.filter(tree_size__gt=_int_param(request, "after"))
        return Response(CheckpointSerializer(rows[:MAX_RANGE], many=True).data)

    @extend_schema(request=None, responses={201: CheckpointSerializer})
    def post(self, request):
        """Sign a checkpoint on demand (auditors and officers; beat also does it every minute)."""
        return Response(
            CheckpointSerializer(ledger.make_checkpoint(actor=request.user)).data, status=201
        )


class EntriesView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("start", OpenApiTypes.INT, description="first seq (default 0)"),
            OpenApiParameter(
                "end", OpenApiTypes.INT, description=f"seq after the last; ≤ start+{MAX_RANGE}"
            ),
            OpenApiParameter("subject", OpenApiTypes.STR, description="all entries of a subject"),
        ],
        responses=PublicEntrySerializer(many=True),
    )
    def get(self, request):
        """Entries by range, or by subject. Sealed entries show only their leaf hash."""
        now = db_now()
        subject = request.query_params.get("subject")
        if subject:
            rows = ledger.entries_for_subject(subject, now)
        else:
            start = _int_param(request, "start", default=0)
            end = _int_param(request, "end", default=start + 100)
            if end - start > MAX_RANGE:
                raise InvalidInput(
                    _("At most %(n)d entries per request.") % {"n": MAX_RANGE}, field="end"
                )
            rows = ledger.entries_in_range(start, end, now)
        return Response(PublicEntrySerializer(rows, many=True).data)


class AlwaysJSON(BaseContentNegotiation):
    """The page itself is binary whatever the client accepts; errors are JSON."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class EntryPagesView(APIView):
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = AlwaysJSON

    @extend_schema(
        parameters=[
            OpenApiParameter("start", OpenApiTypes.INT, description="first seq (default 0)"),
            OpenApiParameter(
                "end", OpenApiTypes.INT, description=f"seq after the last; ≤ start+{BULK_MAX}"
            ),
        ],
        responses={(200, entrypages.MEDIA_TYPE): OpenApiTypes.BINARY},
    )
    def get(self, request):
        """Entries ``[start, end)`` in bulk, for verifiers: a binary page of leaf hashes and
        public contents (sealed entries give their leaf hash only) headed by the log's size.

        The page may stop before ``end``: at the end of the log, or after about 8 MiB; ask
        again from where it stopped. Gzip'd when the request accepts gzip. Format:
        ``docs/ledger-verification.md``."""
        start = _int_param(request, "start", default=0)
        end = _int_param(request, "end", default=start + BULK_MAX)
        if end - start > BULK_MAX:
            raise InvalidInput(
                _("At most %(n)d entries per request.") % {"n": BULK_MAX}, field="end"
            )
        size, records = ledger.entry_page(start, end, db_now(), max_bytes=BULK_MAX_BYTES)
        body = entrypages.encode_page(start, size, records)
        response = HttpResponse(content_type=entrypages.MEDIA_TYPE)
        if "gzip" in request.META.get("HTTP_ACCEPT_ENCODING", ""):
            # Level 1: a quarter of the bytes for a few milliseconds per page.
            body = gzip.compress(body, compresslevel=1, mtime=0)
            response["Content-Encoding"] = "gzip"
        response.content = body
        patch_vary_headers(response, ["Accept-Encoding"])
        return response


class InclusionProofView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("index", OpenApiTypes.INT, required=True),
            OpenApiParameter("size", OpenApiTypes.INT, required=True),
        ],
        responses=inline_serializer(
            "InclusionProof",
            {
                "index": serializers.IntegerField(),
                "size": serializers.IntegerField(),
                "leaf_hash": serializers.CharField(),
                "path": serializers.ListField(child=serializers.CharField()),
            },
        ),
    )
    def get(self, request):
        """RFC 9162 inclusion proof of leaf ``index`` in the tree of ``size`` (base64 hashes)."""
        index, size = _int_param(request, "index"), _int_param(request, "size")
        path = ledger.inclusion_proof(index, size)
        leaf = ledger.get_entry(index).leaf_hash
        return Response(
            {"index": index, "size": size, "leaf_hash": _b64(leaf), "path": [_b64(p) for p in path]}
        )


class EntryProofView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses=inline_serializer(
            "EntryProof",
            {
                "seq": serializers.IntegerField(),
                "entry": serializers.CharField(),
                "checkpoint": serializers.CharField(),
                "inclusion_proof": serializers.ListField(child=serializers.CharField()),
            },
        )
    )
    def get(self, request, seq: int):
        """One entry with its inclusion proof and the signed checkpoint it is proved against:
        the same shape as a receipt, checkable offline with the verifier's ``--receipt``."""
        proof = ledger.entry_proof(seq, db_now())
        proof["inclusion_proof"] = [_b64(p) for p in proof["inclusion_proof"]]
        return Response(proof)


class ConsistencyProofView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("first", OpenApiTypes.INT, required=True),
            OpenApiParameter("second", OpenApiTypes.INT, required=True),
        ],
        responses=inline_serializer(
            "ConsistencyProof",
            {
                "first": serializers.IntegerField(),
                "second": serializers.IntegerField(),
                "path": serializers.ListField(child=serializers.CharField()),
            },
        ),
    )
    def get(self, request):
        """RFC 9162 consistency proof between tree sizes ``first`` ≤ ``second``."""
        first, second = _int_param(request, "first"), _int_param(request, "second")
        path = ledger.consistency_proof(first, second)
        return Response({"first": first, "second": second, "path": [_b64(p) for p in path]})
