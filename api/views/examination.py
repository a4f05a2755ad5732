"""Evaluation API: examination, clarifications, independent scores, engine runs, the report and
its approval, the published evaluation, awards and debriefings. Thin: input → one service."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from api.inputs import valid
from evaluation import publication
from evaluation.models import (
    Award,
    Clarification,
    ClarificationKind,
    Debrief,
    EvaluationRun,
    Examination,
    Report,
    ScoreSheet,
)
from evaluation.services import award, examination
from procurement.exceptions import NotFound
from tenders import selectors


def _tender(request, reference: str):
    return selectors.tender_by_reference(request.user, reference)


# --- Output ---------------------------------------------------------------------------------


class ExaminationOut(serializers.ModelSerializer):
    bid = serializers.UUIDField(source="bid.public_id")
    bidder = serializers.CharField(source="bid.supplier.code")
    recorded_by = serializers.CharField(source="recorded_by.full_name")

    class Meta:
        model = Examination
        fields = ["bid", "bidder", "version", "checks", "adjustments", "passed", "reason",
                  "commitment",
                  "recorded_by", "recorded_at", "ledger_seq"]  # fmt: skip


class ClarificationOut(serializers.ModelSerializer):
    bid = serializers.UUIDField(source="bid.public_id")
    bidder = serializers.CharField(source="bid.supplier.code")

    class Meta:
        model = Clarification
        fields = ["number", "bid", "bidder", "kind", "question", "asked_at", "due_at", "answer",
                  "answered_at", "missed_at", "request_seq", "answer_seq"]  # fmt: skip


class SheetOut(serializers.ModelSerializer):
    member = serializers.UUIDField(source="member.user.public_id")
    name = serializers.CharField(source="member.user.full_name")

    class Meta:
        model = ScoreSheet
        fields = ["member", "name", "scores", "commitment", "submitted_at", "ledger_seq"]


class RunOut(serializers.ModelSerializer):
    class Meta:
        model = EvaluationRun
        fields = ["number", "sha256", "record", "created_at", "ledger_seq"]


class ReportOut(serializers.ModelSerializer):
    run = serializers.IntegerField(source="run.number")

    class Meta:
        model = Report
        fields = ["number", "run", "summary", "proposals", "status", "submitted_at",
                  "decided_at", "decision_reason", "standstill_until", "ledger_seq",
                  "decision_seq"]  # fmt: skip


class AwardOut(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id")
    lot = serializers.IntegerField(source="lot.number")
    bid = serializers.UUIDField(source="bid.public_id")
    supplier = serializers.CharField(source="supplier.code")
    supplier_name_vi = serializers.CharField(source="supplier.name_vi")
    supplier_name_en = serializers.CharField(source="supplier.name_en")

    class Meta:
        model = Award
        fields = ["id", "lot", "bid", "supplier", "supplier_name_vi", "supplier_name_en",
                  "value", "currency", "date", "status", "ledger_seq"]  # fmt: skip


class DebriefOut(serializers.ModelSerializer):
    supplier = serializers.CharField(source="supplier.code")

    class Meta:
        model = Debrief
        fields = ["id", "supplier", "question", "asked_at", "due_at", "answer", "answered_at"]


# --- Input ----------------------------------------------------------------------------------


class CheckIn(serializers.Serializer):
    check = serializers.CharField(max_length=40)
    passed = serializers.BooleanField()
    reason = serializers.CharField(max_length=10000, required=False, allow_blank=True)


class AdjustmentIn(serializers.Serializer):
    kind = serializers.ChoiceField(
        [("correction", "correction"), ("deviation", "deviation")],
        help_text="correction: an arithmetic error (changes the award price); deviation: an "
        "omission or excess priced for ranking only.",
    )
    amount = serializers.DecimalField(max_digits=20, decimal_places=2)
    reason = serializers.CharField(max_length=10000)


class ExaminationIn(serializers.Serializer):
    bid = serializers.UUIDField()
    checks = CheckIn(many=True)
    adjustments = serializers.DictField(
        child=serializers.ListField(child=AdjustmentIn(), max_length=20), required=False,
        default=dict, help_text="Per lot number: the price adjustments, each with its reason.",
    )  # fmt: skip


class ClarificationIn(serializers.Serializer):
    bid = serializers.UUIDField()
    kind = serializers.ChoiceField(
        ClarificationKind.choices, default=ClarificationKind.CLARIFICATION
    )
    question = serializers.CharField(max_length=10000)


class ReplyIn(serializers.Serializer):
    answer = serializers.CharField(max_length=10000)


class ScoresIn(serializers.Serializer):
    scores = serializers.DictField(
        child=serializers.DictField(child=serializers.CharField(max_length=12)),
        help_text="{bid id: {criterion number: points 0–100 as a decimal string}}",
    )


class SummaryIn(serializers.Serializer):
    summary = serializers.CharField(max_length=10000)


class ReturnReasonIn(serializers.Serializer):
    reason = serializers.CharField(max_length=10000)


class QuestionIn(serializers.Serializer):
    question = serializers.CharField(max_length=10000)


# --- Views ----------------------------------------------------------------------------------


class ExaminationView(APIView):
    """The pass/fail examination: the latest version per bid (committee members who declared
    no conflict, the agency's officers, auditors); POST records or revises one (members)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ExaminationOut(many=True))
    def get(self, request, reference: str):
        tender = _tender(request, reference)
        rows = examination.examinations_for(tender, request.user)
        return Response(ExaminationOut(rows, many=True).data)

    @extend_schema(request=ExaminationIn, responses={201: ExaminationOut})
    def post(self, request, reference: str):
        tender = _tender(request, reference)
        data = valid(ExaminationIn, request)
        row = examination.examine(
            tender, actor=request.user, bid_id=str(data["bid"]),
            checks=[dict(c) for c in data["checks"]],
            adjustments={k: [dict(i) for i in v] for k, v in data["adjustments"].items()},
        )  # fmt: skip
        return Response(ExaminationOut(row).data, status=status.HTTP_201_CREATED)


class ClarificationListView(APIView):
    """Clarification requests: all of them for those who follow the evaluation, a bidder's own
    for the bidder; POST asks one bidder (committee members)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ClarificationOut(many=True))
    def get(self, request, reference: str):
        tender = _tender(request, reference)
        rows = examination.clarifications_for(tender, request.user)
        return Response(ClarificationOut(rows, many=True).data)

    @extend_schema(request=ClarificationIn, responses={201: ClarificationOut})
    def post(self, request, reference: str):
        tender = _tender(request, reference)
        data = valid(ClarificationIn, request)
        row = examination.request_clarification(
            tender, actor=request.user, bid_id=str(data["bid"]), question=data["question"],
            kind=data["kind"],
        )  # fmt: skip
        return Response(ClarificationOut(row).data, status=status.HTTP_201_CREATED)


class ClarificationAnswerView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=ReplyIn, responses=ClarificationOut,
                   description="The bidder's answer, before the due time.")  # fmt: skip
    def post(self, request, reference: str, number: int):
        tender = _tender(request, reference)
        data = valid(ReplyIn, request)
        row = examination.answer_clarification(
            tender, number, actor=request.user, answer=data["answer"]
        )
        return Response(ClarificationOut(row).data)


class ScoreSheetView(APIView):
    """Score sheets: your own, and the others' once every member has submitted (auditors see
    all); POST submits yours, once."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=SheetOut(many=True))
    def get(self, request, reference: str):
        tender = _tender(request, reference)
        return Response(SheetOut(examination.sheets_for(tender, request.user), many=True).data)

    @extend_schema(request=ScoresIn, responses={201: SheetOut})
    def post(self, request, reference: str):
        tender = _tender(request, reference)
        data = valid(ScoresIn, request)
        sheet = examination.submit_sheet(tender, actor=request.user, scores=data["scores"])
        return Response(SheetOut(sheet).data, status=status.HTTP_201_CREATED)


class RunView(APIView):
    """Scoring-engine runs with their records (before the award: those who follow the
    evaluation); POST runs the engine on the current decisions (committee members)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=RunOut(many=True))
    def get(self, request, reference: str):
        tender = _tender(request, reference)
        if not examination.may_follow(tender, request.user):
            raise NotFound(_("No such tender."))
        rows = EvaluationRun.objects.filter(tender=tender).order_by("number")
        return Response(RunOut(rows, many=True).data)

    @extend_schema(request=None, responses={201: RunOut})
    def post(self, request, reference: str):
        tender = _tender(request, reference)
        run = award.run_evaluation(tender, actor=request.user)
        return Response(RunOut(run).data, status=status.HTTP_201_CREATED)


class ReportListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ReportOut(many=True))
    def get(self, request, reference: str):
        tender = _tender(request, reference)
        return Response(ReportOut(award.reports_for(tender, request.user), many=True).data)

    @extend_schema(
        request=SummaryIn,
        responses={201: ReportOut},
        description="The committee's report on the latest run, to the approver.",
    )
    def post(self, request, reference: str):
        tender = _tender(request, reference)
        data = valid(SummaryIn, request)
        report = award.submit_report(tender, actor=request.user, summary=data["summary"])
        return Response(ReportOut(report).data, status=status.HTTP_201_CREATED)


class ReportApproveView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses=ReportOut,
        description="Approve and publish (an approver never on the committee).",
    )
    def post(self, request, reference: str, number: int):
        tender = _tender(request, reference)
        report = award.report_by_number(tender, request.user, number)
        return Response(ReportOut(award.approve_report(report, actor=request.user)).data)


class ReportReturnView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=ReturnReasonIn, responses=ReportOut)
    def post(self, request, reference: str, number: int):
        tender = _tender(request, reference)
        report = award.report_by_number(tender, request.user, number)
        data = valid(ReturnReasonIn, request)
        returned = award.return_report(report, actor=request.user, reason=data["reason"])
        return Response(ReportOut(returned).data)


class PublicEvaluationView(APIView):
    """The published evaluation (after approval): the engine's record and its re-run, aggregate
    scores, and every committed decision revealed with its salt and ledger check."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: dict})
    def get(self, request, reference: str):
        tender = _tender(request, reference)
        published = publication.public_evaluation(tender)
        if published is None:
            raise NotFound(_("The evaluation of this tender is not published yet."))
        return Response(published)


class AwardListView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=AwardOut(many=True))
    def get(self, request, reference: str):
        tender = _tender(request, reference)
        rows = Award.objects.filter(tender=tender).select_related("lot", "bid", "supplier")
        return Response(AwardOut(rows, many=True).data)


class DebriefListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=DebriefOut(many=True))
    def get(self, request, reference: str):
        tender = _tender(request, reference)
        return Response(DebriefOut(award.debriefs_for(tender, request.user), many=True).data)

    @extend_schema(request=QuestionIn, responses={201: DebriefOut},
                   description="A bidder asks why it lost (after the result).")  # fmt: skip
    def post(self, request, reference: str):
        tender = _tender(request, reference)
        data = valid(QuestionIn, request)
        row = award.request_debrief(tender, actor=request.user, question=data["question"])
        return Response(DebriefOut(row).data, status=status.HTTP_201_CREATED)


class DebriefAnswerView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=ReplyIn, responses=DebriefOut)
    def post(self, request, reference: str, debrief_id: int):
        tender = _tender(request, reference)
        data = valid(ReplyIn, request)
        row = award.answer_debrief(tender, debrief_id, actor=request.user, answer=data["answer"])
        return Response(DebriefOut(row).data)
