"""Kernel models: accounts, organisations and roles, and the append-only public ledger."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class AccountManager(UserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> User:
        # Sign-in ignores case: “Officer” typed by a phone's keyboard is the account “officer”.
        # At most one account matches, by the constraint on the lower-cased username.
        return self.get(username__iexact=username)


class User(AbstractUser):
    """A person. What they may do comes from memberships, never from the user row itself.

    The username keeps the case it was given but is unique regardless of case, so two accounts
    never differ only in case (``user_username_ci_unique``), and signing in ignores case.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)

    objects: ClassVar[AccountManager] = AccountManager()

    class Meta(AbstractUser.Meta):
        constraints = [
            models.UniqueConstraint(
                Lower("username"),
                name="user_username_ci_unique",
                violation_error_message=_("A user with that username already exists."),
            )
        ]

    @property
    def ledger_subject(self) -> str:
        return f"user:{self.public_id}"

    @property
    def is_platform_admin(self) -> bool:
        return self.is_active and self.is_superuser

    def __str__(self) -> str:
        return self.full_name or self.username


class OrganisationKind(models.TextChoices):
    AGENCY = "agency", _("Procuring agency")
    SUPPLIER = "supplier", _("Supplier")
    OVERSIGHT = "oversight", _("Oversight institution")


class Organisation(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.SlugField(
        _("code"), max_length=40, unique=True, help_text=_("Short public identifier.")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=OrganisationKind.choices)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=300)
    name_en = models.CharField(_("name (English)"), max_length=300)
    tax_code = models.CharField(_("tax code"), max_length=14, blank=True)
    province = models.CharField(_("province or city"), max_length=100, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    website = models.URLField(_("website"), blank=True)
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in OrganisationKind]),
                name="organisation_kind_valid",
            ),
            models.UniqueConstraint(
                fields=["tax_code"], condition=~Q(tax_code=""), name="organisation_tax_code_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name_vi} ({self.code})"

    @property
    def ledger_subject(self) -> str:
        return f"organisation:{self.code}"


class Role(models.TextChoices):
    OFFICER = "officer", _("Procurement officer")
    APPROVER = "approver", _("Approver")
    EVALUATOR = "evaluator", _("Evaluator")
    CUSTODIAN = "custodian", _("Key custodian")
    SUPPLIER = "supplier", _("Supplier representative")
    AUDITOR = "auditor", _("Auditor")
    REVIEWER = "reviewer", _("Complaint reviewer")


# Which roles an organisation of each kind can give. Oversight institutions hold custodians and
# auditors; agencies hold their own staff and custodians; suppliers only their representatives.
ROLES_BY_KIND: dict[str, frozenset[str]] = {
    OrganisationKind.AGENCY: frozenset(
        {Role.OFFICER, Role.APPROVER, Role.EVALUATOR, Role.CUSTODIAN}
    ),
    OrganisationKind.SUPPLIER: frozenset({Role.SUPPLIER}),
    OrganisationKind.OVERSIGHT: frozenset({Role.CUSTODIAN, Role.AUDITOR, Role.REVIEWER}),
}


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)

    class Meta:
        ordering = ["organisation__code", "role"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="membership_unique_role"
            ),
            models.CheckConstraint(
                condition=Q(role__in=[r.value for r in Role]), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.organisation.code}"


class CustodianIdentity(models.Model):
    """A custodian's long-term Ed25519 identity key (public half only; the private half never
    leaves the custodian). Per-tender key statements are signed with it; ``code`` names the
    custodian in those statements, in the roster and in the ledger."""

    code = models.SlugField(_("custodian code"), max_length=60, unique=True)
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="custodian_identities")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="custodian_identities"
    )
    public_key = models.CharField(_("identity public key (base64)"), max_length=64)
    is_demo = models.BooleanField(_("demo custodian"), default=False)
    registered_at = models.DateTimeField(_("registered at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    ledger_seq = models.BigIntegerField()

    class Meta:
        ordering = ["organisation__code", "code"]
        verbose_name = _("custodian identity")
        verbose_name_plural = _("custodian identities")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"],
                condition=Q(revoked_at__isnull=True),
                name="custodian_one_active_key",
            ),
            models.UniqueConstraint(fields=["public_key"], name="custodian_key_unique"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def ledger_subject(self) -> str:
        return f"custodian:{self.code}"


# --- The public ledger ----------------------------------------------------------------------

kind_validator = RegexValidator(r"^[A-Z][A-Z0-9_]{1,39}$", _("Entry kinds are UPPER_SNAKE_CASE."))


class LedgerEntry(models.Model):
    """One leaf of the log. ``canonical`` holds the exact bytes whose leaf hash is in the tree.

    ``kind``, ``subject`` and ``sealed_until`` are copies of fields inside ``canonical`` kept as
    columns for indexing; the canonical bytes are the truth. Rows are never updated or deleted
    (PostgreSQL triggers enforce it).
    """

    seq = models.BigIntegerField(primary_key=True)
    recorded_at = models.DateTimeField()
    kind = models.CharField(max_length=40, validators=[kind_validator])
    subject = models.CharField(max_length=120)
    canonical = models.BinaryField()
    leaf_hash = models.BinaryField(max_length=32)
    chain_hash = models.BinaryField(max_length=32)
    sealed_until = models.DateTimeField(null=True, blank=True)
    # Not a column: set on an entry just appended by this process (procurement.ledger), the
    # tree as the entry left it, (size, root, inclusion path), for its receipt.
    tree_after: tuple[int, bytes, list[bytes]]

    class Meta:
        db_table = "ledger_entry"
        ordering = ["seq"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        indexes = [
            models.Index(fields=["subject", "seq"], name="ledger_subject_idx"),
            models.Index(fields=["kind", "seq"], name="ledger_kind_idx"),
        ]
        constraints = [models.CheckConstraint(condition=Q(seq__gte=0), name="ledger_seq_gte_0")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.kind} {self.subject}"

    def is_sealed_at(self, moment, hold: dt.datetime | None = None) -> bool:
        """Sealed until ``sealed_until``, or longer while the subject has a later seal hold."""
        if self.sealed_until is None:
            return False
        return moment < self.sealed_until or (hold is not None and moment < hold)


class SealHold(models.Model):
    """Keeps a subject's sealed entries sealed past their recorded ``sealed_until``: when a
    tender's deadline moves later, the bids already in the ledger must stay sealed until the new
    deadline. Entries are immutable, so the extension lives here; it only ever grows, and the
    amendment that caused it is itself in the ledger."""

    subject = models.CharField(max_length=120, primary_key=True)
    until = models.DateTimeField()

    class Meta:
        db_table = "ledger_seal_hold"

    def __str__(self) -> str:
        return f"{self.subject} sealed until {self.until}"


class MerkleNode(models.Model):
    """The hash of a perfect subtree: leaves [index·2^level, (index+1)·2^level)."""

    pk = models.CompositePrimaryKey("level", "index")
    level = models.SmallIntegerField()
    index = models.BigIntegerField()
    hash = models.BinaryField(max_length=32)

    class Meta:
        db_table = "merkle_node"

    def __str__(self) -> str:
        return f"node ({self.level}, {self.index})"


class LedgerHead(models.Model):
    """The single row whose lock serialises appends, so sequence numbers have no gaps."""

    id = models.SmallIntegerField(primary_key=True, default=1)
    size = models.BigIntegerField(default=0)
    chain_hash = models.BinaryField(max_length=32, default=bytes(32))
    # The right edge of the tree: hashes of the perfect subtrees that make up ``size`` leaves,
    # largest first (a "compact range"). An append needs nothing else to compute its new nodes,
    # so it makes no extra read while holding the lock.
    frontier = models.BinaryField(default=b"")

    class Meta:
        db_table = "ledger_head"
        constraints = [models.CheckConstraint(condition=Q(id=1), name="ledger_head_singleton")]

    def __str__(self) -> str:
        return f"ledger head @{self.size}"


class PendingEntry(models.Model):
    """An entry its service has committed but the sequencer has not yet appended to the log
    (``ledger.defer_event``). The sequencer appends pending entries in ``id`` order, many under
    one lock of the head and in one transaction, and deletes them in that transaction: an entry
    is either pending or in the log, never both, never neither. Private until appended."""

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=40, validators=[kind_validator])
    subject = models.CharField(max_length=120)
    actor = models.CharField(max_length=60, blank=True)  # "": the platform itself
    payload = models.BinaryField()  # canonical JSON of the payload, checked when deferred
    sealed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "ledger_pending"
        verbose_name = _("pending ledger entry")
        verbose_name_plural = _("pending ledger entries")

    def __str__(self) -> str:
        return f"pending {self.kind} {self.subject}"


class SealedBatch(models.Model):
    """One cadence's batch of sealed statements: a perfect Merkle tree of 2^depth slots, the
    statements at random slots and the other slots filled with pads derived from ``secret``.
    Only its root goes into the public log (a ``SEALED_BATCH`` entry at ``seq``), so the log
    grows by one entry per cadence whether none or many bids came."""

    seq = models.BigIntegerField(primary_key=True)  # the SEALED_BATCH entry
    depth = models.SmallIntegerField()
    secret = models.BinaryField(max_length=32)  # private: derives the pads
    root = models.BinaryField(max_length=32)

    class Meta:
        db_table = "ledger_sealed_batch"

    def __str__(self) -> str:
        return f"sealed batch @{self.seq}"


class SealedStatement(models.Model):
    """A sealed statement (a bid, a withdrawal): kept off the public log until its subject's
    sealing ends. Signed at once for its author (a receipt's promise), merged into the next
    sealed batch by the ledger's cadence, and revealed as a log entry of its own at closing."""

    canonical = models.BinaryField()  # the statement's exact bytes; its leaf hash is batched
    leaf_hash = models.BinaryField(max_length=32)
    kind = models.CharField(max_length=40)
    subject = models.CharField(max_length=120)
    recorded_at = models.DateTimeField()
    batch = models.ForeignKey(
        SealedBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="statements"
    )
    slot = models.IntegerField(null=True, blank=True)
    revealed_seq = models.BigIntegerField(null=True, blank=True, unique=True)

    class Meta:
        db_table = "ledger_sealed_statement"
        indexes = [
            models.Index(fields=["subject", "revealed_seq"], name="sealed_subject_reveal"),
            models.Index(fields=["id"], condition=Q(batch__isnull=True), name="sealed_pending"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["batch", "slot"], name="sealed_batch_slot_unique")
        ]

    def __str__(self) -> str:
        return f"sealed {self.kind} {self.subject}"


class Checkpoint(models.Model):
    """A signed tree head in the C2SP signed-note format."""

    tree_size = models.BigIntegerField(primary_key=True)
    root_hash = models.BinaryField(max_length=32)
    note = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        db_table = "ledger_checkpoint"
        ordering = ["-tree_size"]
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")

    def __str__(self) -> str:
        return f"checkpoint @{self.tree_size}"


class Notification(models.Model):
    """A message to one person, shown in the portal and sent by e-mail (a Celery task). The text
    is rendered from ``kind`` and ``params`` in the reader's language, never stored in one."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)
    params = models.JSONField(default=dict)
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return f"{self.kind} → {self.user_id}"


class LedgerProjection(models.Model):
    """How far a projection of the ledger (such as the OCDS releases) has read it: every entry
    up to ``seq`` is projected, none after. Readers of a projection serve up to it."""

    name = models.CharField(max_length=40, primary_key=True)
    seq = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} @{self.seq}"
