"""Portal pages of the kernel: home, sign-in, and the public ledger."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from django.core.paginator import Page, Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from procurement import ledger
from procurement.clock import db_now
from procurement.exceptions import NotFound
from procurement.keys import ledger_verifier_key
from procurement.models import LedgerEntry

PAGE_SIZE = 50


class SequencePage:
    """A page of the whole log cut by sequence number, newest first. The sequence has no gaps,
    so no COUNT(*) over millions of rows is needed, unlike Django's Paginator."""

    def __init__(self, size: int, number: str | None) -> None:
        self.num_pages = max(1, -(-size // PAGE_SIZE))
        try:
            self.number = min(max(1, int(number or 1)), self.num_pages)
        except ValueError:
            self.number = 1
        self.end = size - (self.number - 1) * PAGE_SIZE
        self.start = max(0, self.end - PAGE_SIZE)
        self.paginator = self

    def has_previous(self) -> bool:
        return self.number > 1

    def has_next(self) -> bool:
        return self.number < self.num_pages

    def previous_page_number(self) -> int:
        return self.number - 1

    def next_page_number(self) -> int:
        return self.number + 1


@require_safe
def ledger_page(request):
    """The whole log, newest first; sealed entries appear as their leaf hash only."""
    now = db_now()
    subject = request.GET.get("subject", "").strip()
    page: Page | SequencePage
    if subject:
        rows = ledger.unsealed(LedgerEntry.objects.filter(subject=subject), now).reverse()
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        entries = ledger.public_view(page.object_list, now)
    else:
        sequence = SequencePage(ledger.tree_size(), request.GET.get("page"))
        entries = ledger.entries_in_range(sequence.start, sequence.end, now)[::-1]
        page = sequence
    return render(
        request,
        "ledger/index.html",
        {
            "page": page,
            "entries": entries,
            "checkpoint": ledger.latest_checkpoint(),
            "verifier_key": ledger_verifier_key(),
            "subject": subject,
        },
    )


@require_safe
def ledger_entry_page(request, seq: int):
    try:
        entry = ledger.get_entry(seq)
    except NotFound:
        raise Http404 from None
    checkpoint = ledger.latest_checkpoint()
    (public,) = ledger.public_view([entry], db_now())
    proof = (
        [p.hex() for p in ledger.inclusion_proof(seq, checkpoint.tree_size)]
        if seq < checkpoint.tree_size
        else None
    )
    return render(
        request,
        "ledger/entry.html",
        {"entry": public, "checkpoint": checkpoint, "proof": proof},
    )


@require_safe
def verifier_download(request):
    """The standalone verifier as a zip application (``python minhbach-verify.pyz --url …``).

    It is built from the very modules the platform uses (no Django inside), so anyone can check
    the log without trusting this server, and can read the few hundred lines first.
    """
    crypto_dir = Path(__file__).resolve().parent.parent / "crypto"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("__main__.py", VERIFIER_MAIN)
        archive.writestr("procurement/__init__.py", "")
        for module in sorted(crypto_dir.glob("*.py")):
            archive.write(module, f"procurement/crypto/{module.name}")
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="minhbach-verify.pyz"'
    return response


VERIFIER_MAIN = """import sys
from procurement.crypto.verifier import main
sys.exit(main())
"""
