"""Suppliers API: self-registration, the public directory and debarment list, and review by
platform administrators."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from api.inputs import valid
from api.throttles import ScopedRateThrottle
from api.views.tenders import ReasonIn
from bidders import selectors
from bidders.models import Debarment, SupplierProfile, SupplierStatus
from bidders.services import registration as services
from procurement.selectors import organisation_by_code


class SupplierOut(serializers.ModelSerializer):
    code = serializers.CharField(source="organisation.code")
    name_vi = serializers.CharField(source="organisation.name_vi")
    name_en = serializers.CharField(source="organisation.name_en")
    tax_code = serializers.CharField(source="organisation.tax_code")
    province = serializers.CharField(source="organisation.province")

    class Meta:
        model = SupplierProfile
        fields = ["id", "code", "name_vi", "name_en", "tax_code", "province", "status",
                  "classifications", "registered_at", "reviewed_at"]  # fmt: skip


class DebarmentOut(serializers.ModelSerializer):
    supplier = serializers.CharField(source="organisation.code")
    name_vi = serializers.CharField(source="organisation.name_vi")
    tax_code = serializers.CharField(source="organisation.tax_code")

    class Meta:
        model = Debarment
        fields = ["supplier", "name_vi", "tax_code", "starts_on", "ends_on", "reason",
                  "legal_basis", "created_at", "ledger_seq"]  # fmt: skip


class RegisterIn(serializers.Serializer):
    name_vi = serializers.CharField(max_length=300)
    name_en = serializers.CharField(max_length=300)
    tax_code = serializers.CharField(max_length=14)
    province = serializers.CharField(max_length=100)
    address = serializers.CharField(max_length=300)
    contact_name = serializers.CharField(max_length=200)
    contact_email = serializers.EmailField()
    contact_phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    classifications = serializers.ListField(
        child=serializers.CharField(max_length=16), required=False, max_length=50
    )
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, style={"input_type": "password"})


class NoteIn(serializers.Serializer):
    note = serializers.CharField(max_length=20000, required=False, allow_blank=True)


class DebarIn(serializers.Serializer):
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    reason = serializers.CharField(max_length=20000)
    legal_basis = serializers.CharField(max_length=300, required=False, allow_blank=True)


class RegisterView(APIView):
    """Register a supplier and its first user; a platform administrator reviews it."""

    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(request=RegisterIn, responses={201: SupplierOut})
    def post(self, request):
        profile = services.register_supplier(**valid(RegisterIn, request))
        return Response(SupplierOut(profile).data, status=status.HTTP_201_CREATED)


class SupplierListView(generics.ListAPIView):
    """Approved suppliers, public."""

    permission_classes = [AllowAny]
    serializer_class = SupplierOut
    queryset = SupplierProfile.objects.select_related("organisation").filter(
        status=SupplierStatus.APPROVED
    )
    filterset_fields = ["organisation__province"]


class DebarmentListView(generics.ListAPIView):
    """The public debarment list; ``?active=true`` keeps those in force today."""

    permission_classes = [AllowAny]
    serializer_class = DebarmentOut

    def get_queryset(self):
        if self.request.query_params.get("active") in ("1", "true"):
            return selectors.active_debarments(timezone.localdate())
        return Debarment.objects.select_related("organisation").all()


class ReviewView(APIView):
    permission_classes = [IsAuthenticated]
    input_class: type[serializers.Serializer] = ReasonIn

    def post(self, request, profile_id: int):
        profile = selectors.profile_for_admin(request.user, profile_id)
        data = valid(self.input_class, request)
        return Response(SupplierOut(self.act(profile, request.user, data)).data)


@extend_schema(request=NoteIn, responses=SupplierOut)
class ApproveView(ReviewView):
    input_class = NoteIn

    def act(self, profile, actor, data):
        return services.approve_supplier(profile, actor=actor, note=data.get("note", ""))


@extend_schema(request=ReasonIn, responses=SupplierOut)
class RejectView(ReviewView):
    def act(self, profile, actor, data):
        return services.reject_supplier(profile, actor=actor, reason=data["reason"])


@extend_schema(request=ReasonIn, responses=SupplierOut)
class SuspendView(ReviewView):
    def act(self, profile, actor, data):
        return services.suspend_supplier(profile, actor=actor, reason=data["reason"])


class DebarView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=DebarIn, responses={201: DebarmentOut})
    def post(self, request, code: str):
        organisation = organisation_by_code(code)
        debarment = services.debar_supplier(
            organisation, actor=request.user, **valid(DebarIn, request)
        )
        return Response(DebarmentOut(debarment).data, status=status.HTTP_201_CREATED)
