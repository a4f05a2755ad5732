"""Periodic and background jobs of the kernel. Tasks take ids, call one service, are idempotent."""

from celery import shared_task

from procurement import ledger


@shared_task(name="procurement.tasks.make_checkpoint")
def make_checkpoint() -> int:
    """Sign the current tree head (a no-op when nothing was appended since the last one)."""
    return ledger.make_checkpoint(actor=None).tree_size


@shared_task(name="procurement.tasks.ledger_tick")
def ledger_tick() -> int:
    """The ledger's cadence: one sealed batch (the same whether none or many bids came), then
    a checkpoint. Returns the batch's sequence number."""
    from procurement import sealedlog  # noqa: PLC0415 - the ledger's own second module

    return sealedlog.tick()


@shared_task(name="procurement.tasks.run_demo_custodians")
def run_demo_custodians() -> int:
    """The embedded default's demo custodians: one round of each agent."""
    from procurement import demo_custodians  # noqa: PLC0415 - demo only

    return len(demo_custodians.run_round())


@shared_task(name="procurement.tasks.send_notification_emails")
def send_notification_emails(ids: list[int]) -> int:
    from procurement.notifications import send_emails  # noqa: PLC0415 - avoids an import cycle

    return send_emails(ids)


@shared_task(name="procurement.tasks.send_pending_notification_emails")
def send_pending_notification_emails() -> int:
    """Beat: send the e-mails whose queuing was lost (a broker outage or a killed worker)."""
    from procurement.notifications import send_pending_emails  # noqa: PLC0415 - see above

    return send_pending_emails()
