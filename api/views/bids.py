"""Bids API: submit a sealed envelope (the raw EPB1 bytes as the request body), your bids and
receipts, withdrawal, the public opening record, and the opened documents for the evaluators.
"""

from __future__ import annotations

from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from api.inputs import valid
from api.outputs import BuiltOnce
from bidders.models import Bid
from bidders.services import submission
from evaluation import selectors as evaluation_selectors
from evaluation.services import opening
from tenders import selectors as tender_selectors

NO_STORE = {"Cache-Control": "no-store"}


class EnvelopeParser(BaseParser):
    """Leaves the body unread: the view streams it to storage itself."""

    media_type = "application/octet-stream"

    def parse(self, stream, media_type=None, parser_context=None):  # pragma: no cover
        return {}


class BidOut(BuiltOnce, serializers.ModelSerializer):
    bid = serializers.UUIDField(source="public_id")
    tender = serializers.CharField(source="tender.reference")
    supplier = serializers.CharField(source="supplier.code")
    supersedes = serializers.SerializerMethodField()

    class Meta:
        model = Bid
        fields = ["bid", "tender", "supplier", "status", "supersedes", "envelope_sha256",
                  "envelope_size", "suite", "keyset_hash", "dek_commit", "submitted_at",
                  "ledger_seq", "receipt", "withdrawn_at", "withdrawal_seq",
                  "withdrawal_receipt", "opened_at", "invalid_reason", "price_total"]  # fmt: skip

    def get_supersedes(self, bid: Bid) -> str | None:
        return str(bid.supersedes.public_id) if bid.supersedes_id else None


class SubmitView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [EnvelopeParser]

    @extend_schema(
        request={"application/octet-stream": OpenApiTypes.BINARY},
        parameters=[
            OpenApiParameter(
                "X-Supersedes",
                OpenApiTypes.UUID,
                OpenApiParameter.HEADER,
                description="your current bid on this tender that this one replaces",
            )
        ],
        responses={201: BidOut, 200: BidOut},
    )
    def post(self, request, reference: str):
        """Submit a sealed envelope (EPB1). The answer carries the signed receipt. Accepted only
        if the database clock is before the deadline when the bid is recorded. Sending the same
        envelope again (a retry after a lost answer) returns the original bid and receipt with
        200, even after the deadline."""
        tender = tender_selectors.tender_for_submission(request.user, reference)
        bid = submission.submit_bid(
            tender,
            actor=request.user,
            stream=request.stream,
            supersedes=request.headers.get("X-Supersedes") or None,
        )
        again = getattr(bid, "resubmitted", False)
        code = status.HTTP_200_OK if again else status.HTTP_201_CREATED
        return Response(BidOut(bid).data, status=code, headers=NO_STORE)


class MyBidsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=BidOut(many=True))
    def get(self, request):
        """The bids of the suppliers you represent, with their receipts."""
        bids = submission.bids_of(request.user).select_related("supersedes")[:500]
        return Response(BidOut(bids, many=True).data, headers=NO_STORE)


class BidView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=BidOut)
    def get(self, request, bid_id):
        bid = submission.ensure_receipt(submission.bid_for_supplier(request.user, bid_id))
        return Response(BidOut(bid).data, headers=NO_STORE)


class WithdrawView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=BidOut)
    def post(self, request, bid_id):
        """Withdraw your bid before the deadline (its envelope is never opened)."""
        bid = submission.bid_for_supplier(request.user, bid_id)
        return Response(BidOut(submission.withdraw_bid(bid, actor=request.user)).data,
                        headers=NO_STORE)  # fmt: skip


OPENING_BID_FIELDS = {
    "bid": serializers.UUIDField(),
    "seq": serializers.IntegerField(),
    "bidder": serializers.CharField(),
    "bidder_name": serializers.CharField(),
    "submitted_at": serializers.DateTimeField(),
    "envelope_sha256": serializers.CharField(),
    "status": serializers.CharField(),
    "opening_seq": serializers.IntegerField(),
    "reason": serializers.CharField(required=False),
    "price_total": serializers.CharField(required=False),
    "price_sheet": serializers.JSONField(required=False),
    "price_key": serializers.CharField(required=False),
    "price_sha256": serializers.CharField(required=False),
    "docs_sha256": serializers.CharField(required=False),
    "core_sha256": serializers.CharField(required=False),
    "price_ct": serializers.CharField(required=False),
    "price_len": serializers.IntegerField(required=False),
    "chunk": serializers.IntegerField(required=False),
    "core": serializers.CharField(required=False, help_text="the envelope's core, base64"),
    "sealed_shares": serializers.ListField(
        child=serializers.CharField(), required=False, help_text="base64, roster order"
    ),
}

PUBLISHED_KEY_FIELDS = {
    "index": serializers.IntegerField(),
    "custodian": serializers.CharField(),
    "pk": serializers.CharField(help_text="the published X25519 public key, base64"),
    "private_key": serializers.CharField(help_text="the released X25519 private key, base64"),
    "release_seq": serializers.IntegerField(),
}


class OpeningView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses=inline_serializer(
            "OpeningRecord",
            {
                "tender": serializers.CharField(),
                "status": serializers.CharField(),
                "closing_seq": serializers.IntegerField(allow_null=True),
                "bid_set_root": serializers.CharField(),
                "opened_at": serializers.DateTimeField(allow_null=True),
                "threshold": serializers.IntegerField(),
                "released": serializers.ListField(child=serializers.CharField()),
                "waiting_for": serializers.ListField(child=serializers.CharField()),
                "bids": inline_serializer("OpeningBid", OPENING_BID_FIELDS, many=True),
                "keys": inline_serializer("PublishedKey", PUBLISHED_KEY_FIELDS, many=True),
                "late_keys": inline_serializer(
                    "LateKey",
                    {
                        **PUBLISHED_KEY_FIELDS,
                        "disagreeing_bids": serializers.ListField(child=serializers.UUIDField()),
                        "checked_seq": serializers.IntegerField(),
                    },
                    many=True,
                ),
                "release_window_ends": serializers.DateTimeField(required=False),
                "released_late": serializers.ListField(child=serializers.CharField()),
                "not_released": serializers.ListField(child=serializers.CharField()),
                "opened_seq": serializers.IntegerField(required=False),
            },
        )
    )
    def get(self, request, reference: str):
        """The opening record: every bid with its price, the price key and the price
        ciphertext (so anyone can re-check the read-out), and which custodians released."""
        tender = tender_selectors.tender_by_reference(request.user, reference)
        return Response(evaluation_selectors.public_opening(tender, with_ciphertexts=True))


class DocumentsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, bid_id):
        """An opened bid's documents: the tender's evaluators and auditors only."""
        documents = evaluation_selectors.opened_documents(request.user, bid_id)
        bid = documents.bid
        response = StreamingHttpResponse(documents, content_type="application/octet-stream")
        response["Content-Length"] = str(documents.length)
        response["Content-Disposition"] = content_disposition_header(
            True, f"{bid.tender.reference}-{bid.supplier.code}.bin"
        )
        response["Cache-Control"] = "no-store"
        return response


class FinancialIn(serializers.Serializer):
    compliant = serializers.ListField(
        child=serializers.UUIDField(), max_length=500, required=False,
        help_text="Optional: the bids that passed the technical evaluation (checked).",
    )  # fmt: skip


class FinancialOpeningView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=FinancialIn, responses=BidOut(many=True))
    def post(self, request, reference: str):
        """Two-envelope tenders: open the price sheets of the technically compliant bids."""
        tender = tender_selectors.tender_by_reference(request.user, reference)
        data = valid(FinancialIn, request)
        given = data.get("compliant")
        bids = opening.open_financial(
            tender, actor=request.user, compliant=None if given is None else [str(c) for c in given]
        )
        return Response(BidOut(bids, many=True).data)
