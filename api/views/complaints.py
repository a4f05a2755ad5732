"""Complaints and contracts API. Both are public to read; files come as multipart ``files``."""

from __future__ import annotations

from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from api.inputs import valid
from evaluation.models import (
    Attachment,
    Award,
    Complaint,
    ComplaintSubject,
    Contract,
    ContractAmendment,
    Remedy,
)
from evaluation.services import complaints, contracts
from procurement.exceptions import NotFound
from tenders import selectors

PARSERS = [MultiPartParser, FormParser, JSONParser]


class AttachmentOut(serializers.ModelSerializer):
    class Meta:
        model = Attachment
        fields = ["id", "filename", "content_type", "size", "sha256", "uploaded_at"]


class ComplaintOut(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id")
    complainant = serializers.CharField(source="complainant.code")
    attachments = AttachmentOut(many=True, read_only=True)

    class Meta:
        model = Complaint
        fields = ["id", "number", "complainant", "subject", "text", "filed_at", "status",
                  "answer_due", "answer", "answered_at", "escalation_due", "escalated_at",
                  "review_due", "decision", "remedy", "decided_at", "answer_missed_at",
                  "review_missed_at", "ledger_seq", "attachments"]  # fmt: skip


class ContractAmendmentOut(serializers.ModelSerializer):
    class Meta:
        model = ContractAmendment
        fields = ["number", "reason", "old_value", "new_value", "old_end_date", "new_end_date",
                  "amended_on", "ledger_seq"]  # fmt: skip


class ContractOut(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id")
    award = serializers.UUIDField(source="award.public_id")
    lot = serializers.IntegerField(source="award.lot.number")
    supplier = serializers.CharField(source="supplier.code")
    amendments = ContractAmendmentOut(many=True, read_only=True)
    attachments = AttachmentOut(many=True, read_only=True)

    class Meta:
        model = Contract
        fields = ["id", "award", "lot", "supplier", "title", "value", "currency", "signed_on",
                  "start_date", "end_date", "status", "closed_on", "closing_reason", "paid",
                  "recorded_at", "ledger_seq", "amendments", "attachments"]  # fmt: skip


class FilesField(serializers.ListField):
    child = serializers.FileField(allow_empty_file=True)


class ComplaintIn(serializers.Serializer):
    subject = serializers.ChoiceField(ComplaintSubject.choices)
    text = serializers.CharField(max_length=10000)
    to_review = serializers.BooleanField(default=False)
    files = FilesField(required=False, default=list)


class DecisionIn(serializers.Serializer):
    upheld = serializers.BooleanField()
    text = serializers.CharField(max_length=10000)
    remedy = serializers.ChoiceField(Remedy.choices, required=False, allow_blank=True, default="")
    files = FilesField(required=False, default=list)


class ContractIn(serializers.Serializer):
    award = serializers.UUIDField()
    title = serializers.CharField(max_length=300)
    value = serializers.DecimalField(max_digits=20, decimal_places=2)
    signed_on = serializers.DateField()
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    files = FilesField()


class ContractAmendIn(serializers.Serializer):
    reason = serializers.CharField(max_length=10000)
    value = serializers.DecimalField(max_digits=20, decimal_places=2, required=False)
    end_date = serializers.DateField(required=False)
    files = FilesField(required=False, default=list)


class ContractCloseIn(serializers.Serializer):
    completed = serializers.BooleanField()
    reason = serializers.CharField(max_length=10000, required=False, allow_blank=True)
    paid = serializers.DecimalField(max_digits=20, decimal_places=2, required=False)


def _files(request) -> list:
    return request.FILES.getlist("files") if hasattr(request, "FILES") else []


def _complaint(request, reference: str, number: int) -> Complaint:
    tender = selectors.tender_by_reference(request.user, reference)
    return complaints.complaint_by_number(tender, number)


class ComplaintListView(APIView):
    """Complaints are public: text, documents, answers, decisions and missed deadlines. POST
    files one (suppliers; process and result complaints: the tender's bidders)."""

    parser_classes = PARSERS

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema(responses=ComplaintOut(many=True))
    def get(self, request, reference: str):
        tender = selectors.tender_by_reference(request.user, reference)
        return Response(ComplaintOut(complaints.complaints_of(tender), many=True).data)

    @extend_schema(request={"multipart/form-data": ComplaintIn}, responses={201: ComplaintOut})
    def post(self, request, reference: str):
        tender = selectors.tender_by_reference(request.user, reference)
        data = valid(ComplaintIn, request)
        complaint = complaints.file_complaint(
            tender, actor=request.user, subject=data["subject"], text=data["text"],
            uploads=_files(request), to_review=data["to_review"],
        )  # fmt: skip
        return Response(ComplaintOut(complaint).data, status=status.HTTP_201_CREATED)


class ComplaintAnswerView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = PARSERS

    @extend_schema(
        request={"multipart/form-data": DecisionIn},
        responses=ComplaintOut,
        description="The agency's answer: upheld with a remedy, or dismissed.",
    )
    def post(self, request, reference: str, number: int):
        complaint = _complaint(request, reference, number)
        data = valid(DecisionIn, request)
        done = complaints.answer(
            complaint, actor=request.user, upheld=data["upheld"], text=data["text"],
            remedy=data["remedy"], uploads=_files(request),
        )  # fmt: skip
        return Response(ComplaintOut(done).data)


class ComplaintEscalateView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=ComplaintOut)
    def post(self, request, reference: str, number: int):
        complaint = _complaint(request, reference, number)
        return Response(ComplaintOut(complaints.escalate(complaint, actor=request.user)).data)


class ComplaintDecideView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = PARSERS

    @extend_schema(request={"multipart/form-data": DecisionIn}, responses=ComplaintOut,
                   description="The review body's decision (complaint reviewers).")  # fmt: skip
    def post(self, request, reference: str, number: int):
        complaint = _complaint(request, reference, number)
        data = valid(DecisionIn, request)
        done = complaints.decide(
            complaint, actor=request.user, upheld=data["upheld"], text=data["text"],
            remedy=data["remedy"], uploads=_files(request),
        )  # fmt: skip
        return Response(ComplaintOut(done).data)


class ComplaintWithdrawView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=ComplaintOut)
    def post(self, request, reference: str, number: int):
        complaint = _complaint(request, reference, number)
        return Response(ComplaintOut(complaints.withdraw(complaint, actor=request.user)).data)


class ContractListView(APIView):
    """Contracts are public; POST records the signed contract of an award (the agency's
    officers), with the signed documents."""

    parser_classes = PARSERS

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema(responses=ContractOut(many=True))
    def get(self, request, reference: str):
        tender = selectors.tender_by_reference(request.user, reference)
        return Response(ContractOut(contracts.contracts_of(tender), many=True).data)

    @extend_schema(request={"multipart/form-data": ContractIn}, responses={201: ContractOut})
    def post(self, request, reference: str):
        tender = selectors.tender_by_reference(request.user, reference)
        data = valid(ContractIn, request)
        award = Award.objects.filter(tender=tender, public_id=data["award"]).first()
        if award is None:
            raise NotFound(_("No such award."))
        contract = contracts.sign_contract(
            award, actor=request.user, title=data["title"], value=data["value"],
            signed_on=data["signed_on"], start_date=data["start_date"],
            end_date=data["end_date"], uploads=_files(request),
        )  # fmt: skip
        return Response(ContractOut(contract).data, status=status.HTTP_201_CREATED)


def _contract(request, reference: str, contract_id) -> Contract:
    tender = selectors.tender_by_reference(request.user, reference)
    contract = contracts.contracts_of(tender).filter(public_id=contract_id).first()
    if contract is None:
        raise NotFound(_("No such contract."))
    return contract


class ContractAmendView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = PARSERS

    @extend_schema(
        request={"multipart/form-data": ContractAmendIn}, responses={201: ContractAmendmentOut}
    )
    def post(self, request, reference: str, contract_id):
        contract = _contract(request, reference, contract_id)
        data = valid(ContractAmendIn, request)
        amendment = contracts.amend_contract(
            contract, actor=request.user, reason=data["reason"], value=data.get("value"),
            end_date=data.get("end_date"), uploads=_files(request),
        )  # fmt: skip
        return Response(ContractAmendmentOut(amendment).data, status=status.HTTP_201_CREATED)


class ContractCloseView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=ContractCloseIn, responses=ContractOut)
    def post(self, request, reference: str, contract_id):
        contract = _contract(request, reference, contract_id)
        data = valid(ContractCloseIn, request)
        closed = contracts.close_contract(
            contract, actor=request.user, completed=data["completed"],
            reason=data.get("reason", ""), paid=data.get("paid"),
        )  # fmt: skip
        return Response(ContractOut(closed).data)


class AttachmentView(APIView):
    """Download a complaint's or contract's file (public); its SHA-256 is in the ledger."""

    permission_classes = [AllowAny]

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request, reference: str, attachment_id: int):
        tender = selectors.tender_by_reference(request.user, reference)
        attachment = Attachment.objects.filter(tender=tender, pk=attachment_id).first()
        if attachment is None:
            raise NotFound(_("No such file."))
        response = FileResponse(
            attachment.file.open("rb"), as_attachment=True, filename=attachment.filename,
            content_type=attachment.content_type,
        )  # fmt: skip
        response["X-Content-SHA256"] = attachment.sha256
        return response
