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


@shared_task(name="procurement.tasks.drain_ledger")
def drain_ledger() -> int:
    """Append the deferred ledger entries a committed step left to a worker (a backlog larger
    than its share, ``ledger.DRAIN_PASSES``). Returns how many it appended."""
    return ledger.drain()
