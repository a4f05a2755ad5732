"""Evaluation API: the tender's committee and its members' conflict-of-interest declarations."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from api.inputs import valid
from evaluation.models import CommitteeMember
from evaluation.services import committee as services
from procurement.models import User
from tenders import selectors


class MemberOut(serializers.ModelSerializer):
    user = serializers.UUIDField(source="user.public_id")
    name = serializers.CharField(source="user.full_name")

    class Meta:
        model = CommitteeMember
        fields = ["user", "name", "is_expert", "appointed_at", "declaration", "declared_at",
                  "removed_at"]  # fmt: skip


class AppointIn(serializers.Serializer):
    user = serializers.SlugRelatedField(slug_field="public_id", queryset=User.objects.all())
    expert = serializers.BooleanField(default=False)


class DeclarationIn(serializers.Serializer):
    conflict = serializers.BooleanField()
    statement = serializers.CharField(max_length=5000, required=False, allow_blank=True)


class CommitteeView(APIView):
    """The evaluation committee (for the agency's officers, its members and auditors); POST
    appoints a member (the agency's officers)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MemberOut(many=True))
    def get(self, request, reference: str):
        tender = selectors.tender_by_reference(request.user, reference)
        return Response(MemberOut(services.committee_for(tender, request.user), many=True).data)

    @extend_schema(request=AppointIn, responses={201: MemberOut})
    def post(self, request, reference: str):
        tender = selectors.tender_by_reference(request.user, reference)
        data = valid(AppointIn, request)
        member = services.appoint(
            tender, actor=request.user, user=data["user"], expert=data["expert"]
        )
        return Response(MemberOut(member).data, status=status.HTTP_201_CREATED)


class DeclarationView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=DeclarationIn,
        responses=MemberOut,
        description="Your conflict-of-interest declaration against the tender's bidders (after "
        "closing, before any document). A conflict removes you from this tender.",
    )
    def post(self, request, reference: str):
        tender = selectors.tender_by_reference(request.user, reference)
        data = valid(DeclarationIn, request)
        member = services.declare(
            tender, actor=request.user, conflict=data["conflict"],
            statement=data.get("statement", ""),
        )  # fmt: skip
        return Response(MemberOut(member).data)
