"""Tenders API: list and filter, drafts, publication, amendments, documents, clarifications,
cancellation, and the legal regimes. Thin: input serializer → one service → output."""

from __future__ import annotations

from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from api.inputs import valid
from evaluation.services import cancellation as cancelling
from procurement.exceptions import NotFound
from procurement.paging import CappedPagination
from procurement.selectors import organisation_by_code
from tenders import selectors, services
from tenders.fields import AMENDABLE, DRAFT_FIELDS
from tenders.filters import TenderFilter
from tenders.methods import MAX_INVITED
from tenders.models import (
    MAX_CRITERIA,
    MAX_ITEMS,
    MAX_LOTS,
    Amendment,
    CancellationProposal,
    Category,
    ClassificationScheme,
    CriterionKind,
    EnvelopeProcedure,
    EvaluationMethod,
    LegalRegime,
    Method,
    PriceFormula,
    Question,
    Tender,
    TenderDocument,
)

# --- Output ---------------------------------------------------------------------------------


class RegimeSerializer(serializers.ModelSerializer):
    class Meta:
        model = LegalRegime
        exclude = ["id"]


class ItemOut(serializers.Serializer):
    number = serializers.IntegerField()
    description = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=16, decimal_places=3)
    unit = serializers.CharField()
    classification_code = serializers.CharField()


class LotOut(serializers.Serializer):
    number = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    estimated_value = serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True)
    items = ItemOut(many=True, source="items.all")


class CriterionOut(serializers.Serializer):
    number = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    weight = serializers.IntegerField(allow_null=True)


class DocumentOut(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id")
    superseded_by = serializers.UUIDField(source="superseded_by.public_id", allow_null=True)

    class Meta:
        model = TenderDocument
        fields = ["id", "title", "filename", "content_type", "size", "sha256", "uploaded_at",
                  "superseded_by"]  # fmt: skip


class AmendmentOut(serializers.ModelSerializer):
    class Meta:
        model = Amendment
        fields = ["number", "rationale", "changes", "deadline_extended", "created_at",
                  "ledger_seq"]  # fmt: skip


class QuestionOut(serializers.ModelSerializer):
    salt = serializers.SerializerMethodField(
        help_text="published with the answer: SHA-256 of the canonical JSON of "
        '{"content": {"text": text}, "salt": salt} is the text_commitment of the ledger entry '
        "QUESTION_ASKED"
    )

    class Meta:
        model = Question
        fields = ["number", "text", "asked_at", "answer", "answered_at", "salt"]

    def get_salt(self, question: Question) -> str | None:
        return (question.salt or None) if question.answered_at else None


TENDER_SUMMARY = [
    "reference", "status", "title", "agency", "category", "classification_scheme",
    "classification_code", "estimated_value", "currency", "method", "submission_deadline",
    "province", "published_at",
]  # fmt: skip


class TenderSummary(serializers.ModelSerializer):
    agency = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Tender
        fields = TENDER_SUMMARY


class TenderDetail(serializers.ModelSerializer):
    agency = serializers.SlugRelatedField(slug_field="code", read_only=True)
    regime = serializers.SlugRelatedField(slug_field="code", read_only=True)
    lots = LotOut(many=True, source="lots.all")
    criteria = CriterionOut(many=True, source="criteria.all")
    documents = DocumentOut(many=True, source="documents.all")
    amendments = AmendmentOut(many=True, source="amendments.all")
    invited_suppliers = serializers.SerializerMethodField(
        help_text="codes of the suppliers a restricted or direct tender invites: only they may "
        "bid or ask questions (empty under an open method)"
    )

    class Meta:
        model = Tender
        fields = [
            *TENDER_SUMMARY, "regime", "description", "method_rationale", "envelope_procedure",
            "evaluation_method", "price_weight", "price_formula", "technical_pass_mark",
            "abnormal_share_pct", "abnormal_gap_pct", "is_international", "bid_security_amount",
            "bid_validity_days", "enquiry_end", "opening_time", "contact_name", "contact_email",
            "contact_phone", "cancelled_at", "cancellation_reason", "cancellation_ground",
            "closed_at",
            "content_sha256", "invited_suppliers", "lots", "criteria", "documents", "amendments",
        ]  # fmt: skip

    def get_invited_suppliers(self, tender: Tender) -> list[str]:
        return sorted(i.supplier.code for i in tender.invitations.all())


# --- Input ----------------------------------------------------------------------------------


class ItemIn(serializers.Serializer):
    description = serializers.CharField(max_length=500)
    quantity = serializers.DecimalField(max_digits=16, decimal_places=3, min_value=0)
    unit = serializers.CharField(max_length=40)
    classification_code = serializers.CharField(max_length=16)


class LotIn(serializers.Serializer):
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    estimated_value = serializers.DecimalField(
        max_digits=20, decimal_places=2, required=False, allow_null=True, min_value=0
    )
    items = ItemIn(many=True, allow_empty=False, max_length=MAX_ITEMS)


class CriterionIn(serializers.Serializer):
    name = serializers.CharField(max_length=300)
    kind = serializers.ChoiceField(choices=CriterionKind.choices)
    weight = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=100)


# A draft: its agency and regime, the tender's fields (the list is tenders.fields'; each is
# described here for the API) and its lots and criteria. No docstring: it would be the schema's.
class TenderIn(serializers.ModelSerializer):
    agency = serializers.SlugField(help_text="code of the procuring agency")
    regime = serializers.SlugRelatedField(slug_field="code", queryset=LegalRegime.objects.all())
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    category = serializers.ChoiceField(choices=Category.choices)
    classification_scheme = serializers.ChoiceField(
        choices=ClassificationScheme.choices, default="CPV"
    )
    classification_code = serializers.CharField(max_length=16)
    estimated_value = serializers.DecimalField(max_digits=20, decimal_places=2, min_value=0)
    currency = serializers.CharField(max_length=3, default="VND")
    method = serializers.ChoiceField(choices=Method.choices, default=Method.OPEN)
    method_rationale = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    envelope_procedure = serializers.ChoiceField(
        choices=EnvelopeProcedure.choices, default=EnvelopeProcedure.ONE
    )
    evaluation_method = serializers.ChoiceField(
        choices=EvaluationMethod.choices, default=EvaluationMethod.LOWEST_PRICE
    )
    price_weight = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=99
    )
    price_formula = serializers.ChoiceField(
        choices=PriceFormula.choices, default=PriceFormula.PROPORTIONAL
    )
    technical_pass_mark = serializers.IntegerField(min_value=0, max_value=100, default=70)
    abnormal_share_pct = serializers.IntegerField(min_value=0, max_value=100, default=80)
    abnormal_gap_pct = serializers.IntegerField(min_value=0, max_value=100, default=20)
    is_international = serializers.BooleanField(default=False)
    bid_security_amount = serializers.DecimalField(
        max_digits=20, decimal_places=2, min_value=0, default=0
    )
    bid_validity_days = serializers.IntegerField(min_value=1, max_value=730, default=90)
    enquiry_end = serializers.DateTimeField(required=False, allow_null=True)
    submission_deadline = serializers.DateTimeField()
    opening_time = serializers.DateTimeField()
    province = serializers.CharField(required=False, allow_blank=True, max_length=100)
    contact_name = serializers.CharField(max_length=200)
    contact_email = serializers.EmailField()
    contact_phone = serializers.CharField(required=False, allow_blank=True, max_length=40)
    lots = LotIn(many=True, allow_empty=False, max_length=MAX_LOTS)
    criteria = CriterionIn(many=True, required=False, max_length=MAX_CRITERIA)
    invited_suppliers = serializers.ListField(
        child=serializers.SlugField(max_length=40),
        required=False,
        max_length=MAX_INVITED,
        help_text="restricted bidding and direct contracting: the codes of the suppliers "
        "invited (the only ones who may bid); an open method invites no one",
    )

    class Meta:
        model = Tender
        fields = ["agency", "regime", *DRAFT_FIELDS, "lots", "criteria", "invited_suppliers"]

    def to_internal_value(self, data):
        # Count lots, items and criteria before DRF validates them one by one: an oversized
        # tender costs one 400 naming the field, not a pass over every item.
        if hasattr(data, "get"):
            lots, criteria = data.get("lots"), data.get("criteria")
            services.check_size(
                lots=lots if _list_of_dicts(lots) else None,
                criteria=criteria if _list_of_dicts(criteria) else None,
            )
        return super().to_internal_value(data)


def _list_of_dicts(value) -> bool:
    return isinstance(value, list) and all(isinstance(v, dict) for v in value)


class TenderPatch(TenderIn):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)
        self.fields.pop("agency")


# Why, and the amendable fields of tenders.fields that change.
class AmendIn(serializers.ModelSerializer):
    rationale = serializers.CharField(max_length=20000)
    title = serializers.CharField(required=False, max_length=300)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    estimated_value = serializers.DecimalField(
        required=False, max_digits=20, decimal_places=2, min_value=0
    )
    bid_security_amount = serializers.DecimalField(
        required=False, max_digits=20, decimal_places=2, min_value=0
    )
    bid_validity_days = serializers.IntegerField(required=False, min_value=1, max_value=730)
    enquiry_end = serializers.DateTimeField(required=False)
    submission_deadline = serializers.DateTimeField(required=False)
    opening_time = serializers.DateTimeField(required=False)
    contact_name = serializers.CharField(required=False, max_length=200)
    contact_email = serializers.EmailField(required=False)
    contact_phone = serializers.CharField(required=False, allow_blank=True, max_length=40)

    class Meta:
        model = Tender
        fields = ["rationale", *AMENDABLE]


class DocumentIn(serializers.Serializer):
    title = serializers.CharField(max_length=300)
    file = serializers.FileField(allow_empty_file=True)
    rationale = serializers.CharField(required=False, allow_blank=True, max_length=20000)


class SupersedeIn(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)
    rationale = serializers.CharField(max_length=20000)


class TextIn(serializers.Serializer):
    text = serializers.CharField(max_length=5000)


class AnswerIn(serializers.Serializer):
    answer = serializers.CharField(max_length=20000)


class ReasonIn(serializers.Serializer):
    reason = serializers.CharField(max_length=20000)


class CancelIn(ReasonIn):
    ground = serializers.CharField(
        required=False, allow_blank=True, max_length=40,
        help_text="code of one of the regime's cancellation_grounds (required after opening)",
    )  # fmt: skip


class CancellationOut(serializers.ModelSerializer):
    class Meta:
        model = CancellationProposal
        fields = ["number", "ground", "reason", "status", "proposed_at", "proposal_seq",
                  "decided_at", "decision_reason", "decision_seq"]  # fmt: skip


def _detail(tender: Tender, code: int = status.HTTP_200_OK) -> Response:
    tender = (
        Tender.objects.prefetch_related(
            "lots__items",
            "criteria",
            "documents__superseded_by",
            "amendments",
            "invitations__supplier",
        )
        .select_related("agency", "regime")
        .get(pk=tender.pk)
    )
    return Response(TenderDetail(tender).data, status=code)


# --- Views ----------------------------------------------------------------------------------


class TenderListView(generics.ListAPIView):
    """Public tenders (and, for officers, their own drafts), filtered. POST creates a draft."""

    serializer_class = TenderSummary
    filterset_class = TenderFilter
    pagination_class = CappedPagination

    def get_permissions(self):
        return [IsAuthenticated()] if self.request.method == "POST" else [AllowAny()]

    def get_queryset(self):
        return selectors.visible_tenders(self.request.user).order_by("-published_at", "-pk")

    @extend_schema(request=TenderIn, responses={201: TenderDetail})
    def post(self, request):
        data = valid(TenderIn, request)
        agency = organisation_by_code(data.pop("agency"))
        tender = services.create_tender(
            agency,
            actor=request.user,
            regime=data.pop("regime"),
            lots=data.pop("lots"),
            criteria=data.pop("criteria", []),
            **data,
        )
        return _detail(tender, status.HTTP_201_CREATED)


class TenderDetailView(APIView):
    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema(responses=TenderDetail)
    def get(self, request, reference: str):
        return _detail(selectors.tender_by_reference(request.user, reference))

    @extend_schema(request=TenderPatch, responses=TenderDetail)
    def patch(self, request, reference: str):
        """Edit a draft (officers of the agency)."""
        tender = selectors.tender_by_reference(request.user, reference)
        data = valid(TenderPatch, request)
        return _detail(services.update_draft(tender, actor=request.user, **data))


class TenderActionView(APIView):
    """POST on a tender: find it as the user may see it, validate ``input_class``, then call
    the subclass's ``act(tender, request, data)``."""

    permission_classes = [IsAuthenticated]
    input_class: type[serializers.Serializer] | None = None

    def post(self, request, reference: str):
        tender = selectors.tender_by_reference(request.user, reference)
        data = valid(self.input_class, request) if self.input_class else {}
        return self.act(tender, request, data)


@extend_schema(request=None, responses=TenderDetail)
class PublishView(TenderActionView):
    """Publish a draft; refused with the broken rule named if the regime is not met."""

    def act(self, tender, request, data):
        return _detail(services.publish_tender(tender, actor=request.user))


@extend_schema(request=CancelIn, responses=TenderDetail)
class CancelView(TenderActionView):
    """Cancel before the bids are opened (officers, with a reason and optionally the legal
    ground). After the opening, propose it under ``cancellations/`` instead (409 here)."""

    input_class = CancelIn

    def act(self, tender, request, data):
        return _detail(
            cancelling.cancel_tender(
                tender, actor=request.user, reason=data["reason"], ground=data.get("ground", "")
            )
        )


class CancellationsView(TenderActionView):
    """Cancellation proposals of a tender (public). POST: an officer proposes to cancel a
    tender whose bids are opened, with a ground of its regime and the reason."""

    input_class = CancelIn

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema(responses=CancellationOut(many=True))
    def get(self, request, reference: str):
        tender = selectors.tender_by_reference(request.user, reference)
        return Response(CancellationOut(tender.cancellations.all(), many=True).data)

    @extend_schema(request=CancelIn, responses={201: CancellationOut})
    def post(self, request, reference: str):
        return super().post(request, reference)

    def act(self, tender, request, data):
        proposal = cancelling.propose_cancellation(
            tender, actor=request.user, ground=data.get("ground", ""), reason=data["reason"]
        )
        return Response(CancellationOut(proposal).data, status=status.HTTP_201_CREATED)


class CancellationDecisionIn(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=20000)


class CancellationDecisionView(APIView):
    """``approve`` (the tender is cancelled) or ``reject`` (with a reason) a proposal: an
    approver of the agency who did not propose it."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=CancellationDecisionIn,
        responses=CancellationOut,
        operation_id="tenders_cancellations_decide",
    )
    def post(self, request, reference: str, number: int, decision: str):
        if decision not in ("approve", "reject"):
            raise NotFound(_("No such decision."))
        proposal = selectors.cancellation_of(request.user, reference, number)
        data = valid(CancellationDecisionIn, request)
        if decision == "approve":
            proposal = cancelling.approve_cancellation(proposal, actor=request.user)
        else:
            proposal = cancelling.reject_cancellation(
                proposal, actor=request.user, reason=data.get("reason", "")
            )
        return Response(CancellationOut(proposal).data)


class AmendmentsView(TenderActionView):
    """The public history of amendments; POST amends a published tender before its deadline."""

    input_class = AmendIn

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema(responses=AmendmentOut(many=True))
    def get(self, request, reference: str):
        tender = selectors.tender_by_reference(request.user, reference)
        return Response(AmendmentOut(tender.amendments.all(), many=True).data)

    @extend_schema(request=AmendIn, responses={201: AmendmentOut})
    def post(self, request, reference: str):
        return super().post(request, reference)

    def act(self, tender, request, data):
        amendment = services.amend_tender(
            tender, actor=request.user, rationale=data.pop("rationale"), **data
        )
        return Response(AmendmentOut(amendment).data, status=status.HTTP_201_CREATED)


class DocumentsView(TenderActionView):
    input_class = DocumentIn
    parser_classes = [MultiPartParser, FormParser]

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema(responses=DocumentOut(many=True))
    def get(self, request, reference: str):
        tender = selectors.tender_by_reference(request.user, reference)
        return Response(DocumentOut(tender.documents.all(), many=True).data)

    @extend_schema(request=DocumentIn, responses={201: DocumentOut})
    def post(self, request, reference: str):
        return super().post(request, reference)

    def act(self, tender, request, data):
        document = services.add_document(
            tender,
            actor=request.user,
            title=data["title"],
            upload=data["file"],
            rationale=data.get("rationale", ""),
        )
        return Response(DocumentOut(document).data, status=status.HTTP_201_CREATED)


class DocumentView(APIView):
    """Download a document; its SHA-256 travels in the ``Digest``-style header too."""

    permission_classes = [AllowAny]

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request, reference: str, document_id: str):
        document = selectors.document_of(request.user, reference, document_id)
        response = FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            filename=document.filename,
            content_type=document.content_type,
        )
        response["X-Content-SHA256"] = document.sha256
        return response


class SupersedeView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=SupersedeIn, responses={201: DocumentOut})
    def post(self, request, reference: str, document_id: str):
        document = selectors.document_of(request.user, reference, document_id)
        data = valid(SupersedeIn, request)
        new = services.supersede_document(
            document, actor=request.user, upload=data["file"], rationale=data["rationale"]
        )
        return Response(DocumentOut(new).data, status=status.HTTP_201_CREATED)


class QuestionsView(TenderActionView):
    """Answered questions are public (the asker never is). POST: a supplier asks."""

    input_class = TextIn

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema(responses=QuestionOut(many=True))
    def get(self, request, reference: str):
        tender = selectors.tender_by_reference(request.user, reference)
        return Response(QuestionOut(selectors.public_questions(tender), many=True).data)

    @extend_schema(request=TextIn, responses={201: QuestionOut})
    def post(self, request, reference: str):
        return super().post(request, reference)

    def act(self, tender, request, data):
        question = services.ask_question(tender, actor=request.user, text=data["text"])
        return Response(QuestionOut(question).data, status=status.HTTP_201_CREATED)


class AnswerView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=AnswerIn, responses=QuestionOut)
    def post(self, request, reference: str, number: int):
        question = selectors.question_of(request.user, reference, number)
        data = valid(AnswerIn, request)
        question = services.answer_question(question, actor=request.user, answer=data["answer"])
        return Response(QuestionOut(question).data)


class RegimeListView(generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = RegimeSerializer
    queryset = LegalRegime.objects.all()
    pagination_class = None
