"""Custody API: custodians' identity keys, a tender's roster and key set, custodians' seats,
key statements and key releases. The custodian agent (procurement/crypto/custodian.py) and the
browser use the same endpoints."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from api.inputs import valid
from evaluation.services import release
from procurement.models import CustodianIdentity
from procurement.selectors import organisation_by_code
from tenders import selectors
from tenders.models import RosterSeat
from tenders.services import custody


class IdentityOut(serializers.ModelSerializer):
    organisation = serializers.CharField(source="organisation.code")
    organisation_name_vi = serializers.CharField(source="organisation.name_vi")
    organisation_name_en = serializers.CharField(source="organisation.name_en")

    class Meta:
        model = CustodianIdentity
        fields = ["code", "organisation", "organisation_name_vi", "organisation_name_en",
                  "public_key", "is_demo", "registered_at", "ledger_seq"]  # fmt: skip


class IdentityIn(serializers.Serializer):
    organisation = serializers.SlugField(max_length=40)
    public_key = serializers.CharField(max_length=64)


class CustodianListView(APIView):
    """The public list of custodians and their identity keys; POST registers your own."""

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema(responses=IdentityOut(many=True))
    def get(self, request):
        return Response(IdentityOut(custody.active_identities(), many=True).data)

    @extend_schema(request=IdentityIn, responses={201: IdentityOut})
    def post(self, request):
        data = valid(IdentityIn, request)
        identity = custody.register_identity(
            organisation_by_code(data["organisation"]),
            actor=request.user,
            public_key=data["public_key"],
        )
        return Response(IdentityOut(identity).data, status=status.HTTP_201_CREATED)


class SeatOut(serializers.ModelSerializer):
    tender = serializers.CharField(source="tender.reference")
    title = serializers.CharField(source="tender.title")
    tender_status = serializers.CharField(source="tender.status")
    deadline = serializers.SerializerMethodField()
    custodian = serializers.CharField(source="custodian.code")
    threshold = serializers.IntegerField(source="tender.threshold")
    closing_seq = serializers.IntegerField(source="tender.closing_seq", allow_null=True)
    opening_public_key = serializers.CharField(source="tender.opening_public_key")
    statement_given = serializers.SerializerMethodField()

    class Meta:
        model = RosterSeat
        fields = ["tender", "title", "tender_status", "deadline", "index", "custodian",
                  "threshold", "public_key", "statement_given", "statement_at", "closing_seq",
                  "opening_public_key", "released_at", "release_seq"]  # fmt: skip

    def get_deadline(self, seat: RosterSeat) -> str:
        return custody.statement_deadline(seat.tender)

    def get_statement_given(self, seat: RosterSeat) -> bool:
        return bool(seat.statement)


class MySeatsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=SeatOut(many=True))
    def get(self, request):
        """Your places as a custodian: tenders waiting for your key statement, and closed
        tenders waiting for your key release."""
        return Response(SeatOut(custody.seats_for(request.user), many=True).data)


class RosterIn(serializers.Serializer):
    custodians = serializers.ListField(child=serializers.SlugField(max_length=60), max_length=15)
    threshold = serializers.IntegerField(min_value=2, max_value=15)


class PublicSeatOut(serializers.ModelSerializer):
    custodian = serializers.CharField(source="custodian.code")
    organisation = serializers.CharField(source="custodian.organisation.code")
    identity_key = serializers.CharField(source="custodian.public_key")
    is_demo = serializers.BooleanField(source="custodian.is_demo")

    class Meta:
        model = RosterSeat
        fields = ["index", "custodian", "organisation", "identity_key", "is_demo",
                  "public_key", "statement", "signature", "statement_at", "released_at",
                  "release_seq"]  # fmt: skip


class KeysetOut(serializers.Serializer):
    tender = serializers.CharField()
    deadline = serializers.CharField(help_text="the deadline the key statements are signed for")
    submission_deadline = serializers.CharField()
    threshold = serializers.IntegerField()
    n = serializers.IntegerField()
    keyset_hash = serializers.CharField()
    roster = PublicSeatOut(many=True)


def keyset_view(tender) -> dict:
    seats = list(tender.roster.select_related("custodian__organisation").order_by("index"))
    return {
        "tender": tender.reference,
        "deadline": custody.statement_deadline(tender),
        "submission_deadline": custody.iso(tender.submission_deadline),
        "threshold": tender.threshold,
        "n": len(seats),
        "keyset_hash": tender.keyset_hash,
        "roster": seats,
    }


class RosterView(APIView):
    """A tender's roster and key set (public once published: sealers verify it); POST names
    the roster of a draft (its officers)."""

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema(responses=KeysetOut)
    def get(self, request, reference: str):
        tender = selectors.tender_by_reference(request.user, reference)
        return Response(KeysetOut(keyset_view(tender)).data)

    @extend_schema(request=RosterIn, responses=KeysetOut)
    def post(self, request, reference: str):
        tender = selectors.tender_by_reference(request.user, reference)
        data = valid(RosterIn, request)
        tender = custody.set_roster(
            tender, actor=request.user, custodians=data["custodians"], threshold=data["threshold"]
        )
        return Response(KeysetOut(keyset_view(tender)).data)


class StatementIn(serializers.Serializer):
    statement = serializers.CharField(max_length=2000)
    signature = serializers.CharField(max_length=100)


class ReleaseIn(StatementIn):
    wrapped_key = serializers.CharField(max_length=200)


class StatementView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=StatementIn, responses=PublicSeatOut)
    def post(self, request, reference: str):
        """Give your signed per-tender public key for your place in the roster."""
        tender = selectors.tender_by_reference(request.user, reference)
        seat = custody.submit_statement(
            tender, actor=request.user, signed=valid(StatementIn, request)
        )
        return Response(PublicSeatOut(seat).data)


class ReleaseView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=ReleaseIn, responses=PublicSeatOut)
    def post(self, request, reference: str):
        """Release your per-tender key after closing, wrapped to the opening's public key."""
        tender = selectors.tender_by_reference(request.user, reference)
        seat = release.release_key(tender, actor=request.user, signed=valid(ReleaseIn, request))
        return Response(PublicSeatOut(seat).data)
