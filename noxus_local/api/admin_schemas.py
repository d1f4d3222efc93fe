"""The admin API's bodies as msgspec Structs (api/admin_routes.py): what it reads and what it answers.

Request bodies are read with ``api.bodies.read_struct`` (unknown members refused,
JSON types strict); what only the operator's rules can judge (a USD amount's exact
form, an id's characters, a tier the config declares, control characters in a note)
is still judged by ``admin.inputs`` in ``admin.service``, so the REST API, the
console and the CLI refuse the same things with the same words. The USD and id
patterns are ``admin.inputs``' own and are published as is (``extra_json_schema``),
so the document and the server refuse exactly the same values.

Responses are built from ``admin.service``'s dicts with ``view(...)`` (``msgspec.convert``):
one Struct per shape, so Litestar generates their schemas; ``tests/unit/test_admin_schemas.py``
checks that a view keeps every member the service returns.

Example::

    body = read_struct(b'{"amount_usd": "25", "environment": "live"}', CreditIn)
    AdminAccountBody(**ok(request), account=view(admin.get_account(db, "acme"), AdminAccount))
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from noxus_local.admin.inputs import POSITIVE_USD_PATTERN, USD_PATTERN
from noxus_local.api.openapi_spec import SECURITY_SCHEMES, TAGS
from noxus_local.api.schemas import BalanceView, Envelope

T = TypeVar("T")
TAG = "admin"
SECURITY = "adminTokenAuth"
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
if not any(t["name"] == TAG for t in TAGS):
    TAGS.append({"name": TAG, "description": "The operator's API (issue 25): accounts, keys, budgets, jobs, usage "
                                             "and its CSV export, models, workers, capacity, the audit log. The "
                                             "admin token only (`[admin] token` / `NOXUS_ADMIN_TOKEN`), never an "
                                             "API key."})
SECURITY_SCHEMES[SECURITY] = {
    "type": "http", "scheme": "bearer", "bearerFormat": "the [admin] token",
    "description": "The admin token from `[admin] token` or `NOXUS_ADMIN_TOKEN`: `Authorization: Bearer <token>` "
                   "or `X-Admin-Token: <token>`, compared in constant time. Never an API key; never in the query "
                   "string (400). After 10 wrong tokens in a minute from one address, every attempt from it is 429 "
                   "until the minute has passed. None configured: every admin route is 503 `admin_disabled`."}

Time = Annotated[str, Meta(description="ISO 8601 UTC", examples=["2026-12-06T17:49:01.000000Z"],
                           extra_json_schema={"format": "date-time"})]
Usd = Annotated[str, Meta(description="USD as a decimal string", examples=["25"])]
Environment = Literal["test", "live"]
Period = Literal["day", "week", "month", "total"]
JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
Identifier = Annotated[str, Meta(description="1 to 64 letters, digits, `.`, `_`, `-`",
                                 extra_json_schema={"pattern": ID_PATTERN})]
UNIX_PATTERN = r"^[0-9]{1,11}(\.[0-9]{1,6})?$"
Moment = Annotated[str, Meta(description="ISO 8601 (a date alone is its UTC midnight) or unix seconds",
                             examples=["2027-01-01T00:00:00Z"],
                             extra_json_schema={"anyOf": [{"format": "date-time"}, {"pattern": UNIX_PATTERN}]})]


def usd_in(pattern: str, description: str, example: str) -> Any:
    """A USD amount a body sends: a string whose exact form ``admin.inputs`` judges (its message, its field)."""
    return Meta(description=description, examples=[example], extra_json_schema={"pattern": pattern})


def view(value: Any, model: type[T]) -> T:
    """``admin.service``'s dict (or list of dicts) as ``model``: what the handler returns, typed."""
    return msgspec.convert(value, model)


# --- request bodies -----------------------------------------------------------------------------------------
class AccountIn(Struct, forbid_unknown_fields=True, kw_only=True):
    """`POST /api/v1/admin/accounts`: a new account with empty balances."""

    account_id: Identifier
    name: Annotated[str, Meta(max_length=100, description="Shown name (default: the id)")] | None = None
    tier: Annotated[str, Meta(description="A tier the config declares (`[tiers.<name>]`)",
                              extra_json_schema={"pattern": ID_PATTERN})] = "free"


class CreditIn(Struct, forbid_unknown_fields=True, kw_only=True):
    """`POST /api/v1/admin/accounts/{account_id}/credit`: money added to one balance."""

    amount_usd: Annotated[str, usd_in(POSITIVE_USD_PATTERN, "USD > 0 as a decimal string, at most 6 decimals",
                                      "25")]
    environment: Environment = "test"
    note: Annotated[str, Meta(max_length=200, description="Kept in the ledger row and the audit log")] | None = None


class KeyIn(Struct, forbid_unknown_fields=True, kw_only=True):
    """`POST /api/v1/admin/keys`: a new API key for an account."""

    account_id: Annotated[str, Meta(description="The account the key spends from")]
    name: Identifier = "admin"
    environment: Environment = "test"
    tools: Annotated[list[Annotated[str, Meta(extra_json_schema={"pattern": ID_PATTERN})]],
                     Meta(max_length=100, description="Only these tools (default: every tool)")] | None = None
    expires_at: Moment | None = None


class BudgetIn(Struct, forbid_unknown_fields=True, kw_only=True):
    """`PUT /api/v1/admin/keys/{key_id}/budget`: the key's cap; `max_spend_usd: null` clears it."""

    max_spend_usd: Annotated[str, usd_in(USD_PATTERN, "USD ≥ 0 as a decimal string (0: spends nothing)",
                                         "5")] | None
    budget_period: Period = "month"
    soft_limit_usd: Annotated[str, usd_in(USD_PATTERN, "USD ≥ 0, not above the cap: a warning threshold",
                                          "4")] | None = None


class VerifyIn(Struct, forbid_unknown_fields=True, kw_only=True):
    """`POST /api/v1/admin/models/verify`: which models to hash (hashing every model can take minutes)."""

    ids: Annotated[list[str], Meta(min_length=1, max_length=20, description="1 to 20 model ids")]


# --- response pieces ----------------------------------------------------------------------------------------
class AdminBalance(BalanceView, kw_only=True):
    """The API's balance view; an account's balances add the open holds (a credit's answer does not)."""

    held_usd: Usd | UnsetType = UNSET


class AdminBalances(Struct, kw_only=True):
    test: AdminBalance
    live: AdminBalance


class AdminAccount(Struct, kw_only=True):
    id: str
    name: str
    tier: str
    status: Literal["active", "suspended"]
    source: str
    created_at: Time
    active_keys: int
    balances: AdminBalances


class AdminKeyBudget(Struct, kw_only=True):
    max_spend_usd: Usd | None
    budget_period: Period
    soft_limit_usd: Usd | None
    spent_usd: Usd
    held_usd: Usd
    window_start: Time | None
    resets_at: Annotated[str | None, Meta(description="End of the UTC calendar window; null for total")]


class AdminKey(Struct, kw_only=True):
    id: str
    account_id: str
    app_id: str | None
    name: str
    environment: Environment
    key_hint: str
    scopes: list[str]
    tools: list[str] | None
    expires_at: Time | None
    revoked_at: Time | None
    source: str
    created_at: Time
    last_used_at: Time | None
    status: Literal["active", "revoked"]
    spent_usd: Usd
    jobs: int
    budget: AdminKeyBudget | None


class AdminJob(Struct, kw_only=True):
    job_id: str
    account_id: str
    environment: Environment
    key_id: str | None
    tool: str
    status: JobStatus
    progress: int
    held_usd: Usd
    charged_usd: Usd
    error_code: str | None
    worker: str | None
    created_at: Time
    started_at: Time | None
    finished_at: Time | None


class AdminPagination(Struct, kw_only=True):
    limit: int
    offset: int
    total: int
    has_more: bool


class AdminEnvTotals(Struct, kw_only=True):
    accounts: int
    balance_usd: Usd
    held_usd: Usd
    available_usd: Usd


class AdminSpend(Struct, kw_only=True):
    today_usd: Usd
    month_usd: Usd
    today_since: Time
    month_since: Time


class AdminJobCounts(Struct, kw_only=True):
    queued: int
    running: int
    succeeded: int
    failed: int
    cancelled: int


class AdminAccountCounts(Struct, kw_only=True):
    active: int
    suspended: int


class AdminResource(Struct, kw_only=True):
    slots: int
    busy: int
    queued: int
    waiting: int
    peak_busy: int
    used: Annotated[float, Meta(description="(busy + queued) / slots, at most 1")]
    remote_slots: int | UnsetType = UNSET
    remote_busy: int | UnsetType = UNSET


class AdminOverviewCapacity(Struct, kw_only=True):
    used_system_capacity: float
    running_jobs: int
    queued_jobs: int
    resources: dict[str, AdminResource]


class AdminOverview(Struct, kw_only=True):
    generated_at: Time
    balances: dict[str, AdminEnvTotals]
    spend: AdminSpend
    jobs: AdminJobCounts
    accounts: AdminAccountCounts
    capacity: AdminOverviewCapacity


class AdminCredit(Struct, kw_only=True):
    account_id: str
    environment: Environment
    credited_usd: Usd
    balance: AdminBalance
    suspended: bool


class AdminUsageRow(Struct, kw_only=True):
    """One group: its dimensions (those of ``group_by``) and its counts."""

    account_id: str | UnsetType = UNSET
    key_id: str | None | UnsetType = UNSET
    tool: str | UnsetType = UNSET
    day: Annotated[str, Meta(examples=["2026-12-06"])] | UnsetType = UNSET
    environment: Environment | UnsetType = UNSET
    jobs: int
    succeeded: int
    failed: int
    spent_usd: Usd


class AdminUsage(Struct, kw_only=True):
    since: Time
    until: Time
    group_by: list[Literal["account", "key", "tool", "day", "environment"]]
    rows: list[AdminUsageRow]
    total_jobs: int
    total_spent_usd: Usd


class AdminModel(Struct, kw_only=True):
    id: str
    task: str
    default: bool
    state: Literal["installed", "missing", "partial", "corrupt"]
    size_bytes: int
    problems: list[str]


class AdminLocalWorkers(Struct, kw_only=True):
    workers: int
    queue: str
    slots: dict[str, dict[str, int]]


class AdminRunning(Struct, kw_only=True):
    worker: str | None
    running_jobs: int
    last_heartbeat: Time | None
    seconds_since_heartbeat: float | None


class AdminWorkersView(Struct, kw_only=True):
    local: AdminLocalWorkers
    running: list[AdminRunning]
    remote: Annotated[list[dict[str, Any]] | None, Meta(description="Multi-host mode: every remote worker")]


class AdminCapacityView(Struct, kw_only=True):
    used_system_capacity: float
    running_jobs: int
    queued_jobs: int
    workers: int
    resources: dict[str, AdminResource]
    remote_workers: list[dict[str, Any]] | UnsetType = UNSET


class AdminAuditEntry(Struct, kw_only=True):
    id: int
    at: Annotated[float, Meta(description="unix seconds")]
    actor: str
    via: Literal["api", "console", "cli"]
    ip: str | None
    action: str
    target: str | None
    details: dict[str, Any]
    request_id: str | None


# --- envelopes ----------------------------------------------------------------------------------------------
class AdminOverviewBody(Envelope, kw_only=True):
    overview: AdminOverview


class AdminAccountList(Envelope, kw_only=True):
    accounts: list[AdminAccount]


class AdminAccountBody(Envelope, kw_only=True):
    account: AdminAccount


class AdminCreditBody(Envelope, kw_only=True):
    credit: AdminCredit


class AdminKeyList(Envelope, kw_only=True):
    keys: list[AdminKey]


class AdminKeyBody(Envelope, kw_only=True):
    api_key: AdminKey


class AdminKeyCreated(Envelope, kw_only=True):
    key: Annotated[str, Meta(description="The plain key: shown this once, stored only as its hash")]
    api_key: AdminKey
    revoked_key_id: Annotated[str, Meta(description="rotate only: the key it replaced")] | UnsetType = UNSET


class AdminJobList(Envelope, kw_only=True):
    jobs: list[AdminJob]
    pagination: AdminPagination


class AdminJobBody(Envelope, kw_only=True):
    job: AdminJob


class AdminUsageBody(Envelope, kw_only=True):
    usage: AdminUsage


class AdminModels(Envelope, kw_only=True):
    models: list[AdminModel]


class AdminWorkers(Envelope, kw_only=True):
    workers: AdminWorkersView


class AdminCapacity(Envelope, kw_only=True):
    capacity: AdminCapacityView


class AdminAuditBody(Envelope, kw_only=True):
    entries: list[AdminAuditEntry]
    pagination: AdminPagination
