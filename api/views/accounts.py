"""Sign-in with API tokens, the current user, organisations and role grants."""

from __future__ import annotations

from axes.helpers import get_cool_off
from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from knox.models import AuthToken
from knox.views import LogoutView as KnoxLogoutView
from rest_framework import exceptions, generics, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from api.inputs import valid
from api.permissions import IsPlatformAdmin
from api.throttles import ScopedRateThrottle
from procurement import selectors, services
from procurement.auth import TokenAuthentication, purge_expired_tokens
from procurement.exceptions import InvalidInput
from procurement.models import Membership, Organisation, OrganisationKind, Role, User


class LoginSerializer(serializers.Serializer):
    # The user model's limit; longer names cannot exist (and the lockout record cannot hold them).
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        style={"input_type": "password"}, trim_whitespace=False, max_length=4096
    )


class LoginView(APIView):
    """Exchange a username and password for an API token (stored hashed; revocable)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(
        request=LoginSerializer,
        responses=inline_serializer(
            "Token", {"token": serializers.CharField(), "expiry": serializers.DateTimeField()}
        ),
    )
    def post(self, request):
        data = valid(LoginSerializer, request)
        user = authenticate(request, username=data["username"], password=data["password"])
        if getattr(request, "axes_locked_out", False):
            cool_off = get_cool_off(request)
            raise exceptions.Throttled(
                wait=cool_off.total_seconds() if cool_off else None,
                detail=_("Too many failed sign-ins from this address; try again later."),
            )
        if user is None:
            raise InvalidInput(_("Wrong username or password."))
        instance, token = AuthToken.objects.create(user)
        purge_expired_tokens(user)
        return Response({"token": token, "expiry": instance.expiry})


class LogoutView(KnoxLogoutView):
    """Revoke the token used for this request."""

    authentication_classes = (TokenAuthentication,)

    @extend_schema(request=None, responses={204: None})
    def post(self, request, format=None):  # noqa: A002 - knox's signature
        return super().post(request, format)


class MembershipSerializer(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(slug_field="code", read_only=True)
    user = serializers.UUIDField(source="user.public_id", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "organisation", "user", "role", "is_active", "granted_at"]


class MeSerializer(serializers.ModelSerializer):
    memberships = serializers.SerializerMethodField()
    platform_admin = serializers.BooleanField(source="is_platform_admin")

    class Meta:
        model = User
        fields = ["public_id", "username", "full_name", "platform_admin", "memberships"]

    def get_memberships(self, user) -> list[dict]:
        rows = user.memberships.filter(is_active=True).select_related("organisation")
        return MembershipSerializer(rows, many=True).data


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user).data)


class OrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = [
            "public_id",
            "code",
            "kind",
            "name_vi",
            "name_en",
            "tax_code",
            "province",
            "address",
            "website",
            "created_at",
        ]
        read_only_fields = ["public_id", "created_at"]


class OrganisationInput(serializers.Serializer):
    code = serializers.SlugField(max_length=40)
    kind = serializers.ChoiceField(choices=OrganisationKind.choices)
    name_vi = serializers.CharField(max_length=300)
    name_en = serializers.CharField(max_length=300)
    tax_code = serializers.CharField(max_length=14, required=False, allow_blank=True)
    province = serializers.CharField(max_length=100, required=False, allow_blank=True)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True)
    website = serializers.URLField(required=False, allow_blank=True)


class OrganisationListView(generics.ListAPIView):
    """Organisations are public. POST registers one (platform administrators)."""

    serializer_class = OrganisationSerializer
    queryset = Organisation.objects.all()
    filterset_fields = ["kind", "province"]

    def get_permissions(self):
        if self.request.method == "POST":
            return [IsPlatformAdmin()]
        return [AllowAny()]

    @extend_schema(request=OrganisationInput, responses={201: OrganisationSerializer})
    def post(self, request):
        organisation = services.create_organisation(
            **valid(OrganisationInput, request), actor=request.user
        )
        return Response(OrganisationSerializer(organisation).data, status=status.HTTP_201_CREATED)


class OrganisationDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=OrganisationSerializer)
    def get(self, request, code: str):
        return Response(OrganisationSerializer(selectors.organisation_by_code(code)).data)


class GrantInput(serializers.Serializer):
    user = serializers.SlugRelatedField(slug_field="public_id", queryset=User.objects.all())
    role = serializers.ChoiceField(choices=Role.choices)


class MembershipListView(APIView):
    """Who holds which role in an organisation (its members and platform administrators);
    POST grants a role (platform administrators)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MembershipSerializer(many=True))
    def get(self, request, code: str):
        organisation = selectors.organisation_by_code(code)
        rows = selectors.memberships_visible_to(request.user, organisation)
        return Response(MembershipSerializer(rows, many=True).data)

    @extend_schema(request=GrantInput, responses={201: MembershipSerializer})
    def post(self, request, code: str):
        organisation = selectors.organisation_by_code(code)
        data = valid(GrantInput, request)
        membership = services.grant_membership(
            organisation, user=data["user"], role=data["role"], actor=request.user
        )
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)


class MembershipRevokeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=MembershipSerializer)
    def post(self, request, membership_id: int):
        membership = selectors.membership_for_admin(request.user, membership_id)
        membership = services.revoke_membership(membership, actor=request.user)
        return Response(MembershipSerializer(membership).data)
