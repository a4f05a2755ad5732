"""Periodic and background jobs of the kernel. Tasks take ids, call one service, are idempotent."""

from celery import shared_task

from procurement import ledger, sealedlog
from procurement.notifications import (  # noqa: F401 - registered for Celery from here
    send_notification_emails,
    send_pending_notification_emails,
)


@shared_task(name="procurement.tasks.make_checkpoint")
def make_checkpoint() -> int:
    """Sign the current tree head (a no-op when nothing was appended since the last one)."""
    return ledger.make_checkpoint(actor=None).tree_size


@shared_task(name="procurement.tasks.ledger_tick")
def ledger_tick() -> int:
    """The ledger's cadence: the deferred entries a crash left pending, one sealed batch (the
    same whether none or many bids came), then a checkpoint. Returns the batch's sequence number."""
    return sealedlog.tick()
