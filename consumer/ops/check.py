"""`python -m consumer check`: before go-live, everything the consumer will need, in a minute.

One line per check, ✔ or ✘ with the fix; exit 1 when any fails. Cheap, read-only calls only:

| check         | how                                                    | fails when                       |
|---------------|--------------------------------------------------------|----------------------------------|
| kafka         | metadata from the brokers                              | no broker answers                |
| topics        | every topic exists, its partitions and record limit    | missing, or smaller than wanted  |
| credentials   | one authenticated read (the credential probe)          | 401/403 on it                    |
| permissions   | one read of customers, sales orders; SuiteQL on items  | 403 on any                       |
| custom fields | the metadata catalog of salesOrder and customer        | a version field is not defined   |
| items         | SuiteQL on every configured NETSUITE_*_ITEM_ID         | unset, unknown or inactive       |
| booking       | tax codes, currencies, body fields (check_booking.py)  | unknown, inactive, undefined     |
| money         | payment methods, refund/deposit accounts (check_money) | unknown, inactive, not a bank    |
| shop          | key, webhooks, recent SKUs/currencies (check_shop.py)  | refused, missing, not found      |

A read proves the role may *see* a record type; whether it may *create* one shows with the first
order (a 403 then parks that order and pages: `WooConsumerPermissionRefused`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator

from confluent_kafka.admin import AdminClient, ConfigResource

from common.kafka_settings import MAX_MESSAGE_BYTES
from consumer.errors import AuthFailure, SyncError
from consumer.netsuite.client import NetSuiteClient
from consumer.ops import check_booking, check_money, check_shop
from consumer.ops.result import Catalog, Result
from consumer.settings import ConsumerSettings
from consumer.topics import BrokerUnreachable, plan_topics, reachable

Check = Callable[[], Iterator[Result]]


def run_checks(
    settings: ConsumerSettings, client: NetSuiteClient, admin: AdminClient, *, recent: int = 20
) -> list[Result]:
    results: list[Result] = []
    catalog = functools.cache(client.record_schema)  # a record type's catalog is large: read it once
    checks: list[Check] = [
        lambda: kafka(settings, admin),
        lambda: credentials(client),
        lambda: permissions(client),
        lambda: custom_fields(settings, catalog),
        lambda: items(settings, client),
        lambda: check_booking.tax_codes(settings, client),
        lambda: check_booking.currencies(client),
        lambda: check_booking.body_fields(settings, catalog),
        lambda: check_money.money(settings, client),
        lambda: check_shop.shop(settings, client, recent),
    ]
    for check in checks:
        try:
            for result in check():
                results.append(result)
                if not result.ok and result.name in ("kafka", "credentials", "permissions"):
                    return results  # the checks after it need what it found missing
        except SyncError as exc:  # an answer the check did not expect: say so, check nothing more
            results.append(Result("netsuite", False, f"{exc.message} ({exc.status} {exc.error_code})"))
            return results
    return results


def kafka(settings: ConsumerSettings, admin: AdminClient) -> Iterator[Result]:
    try:
        metadata = reachable(admin)
    except BrokerUnreachable as exc:
        yield Result("kafka", False, str(exc).split(":")[0], "KAFKA_BOOTSTRAP_SERVERS and the network")
        return
    yield Result("kafka", True, f"{len(metadata.brokers)} broker(s) answer")
    existing = metadata.topics
    plans = plan_topics(settings)
    missing = [p.name for p in plans if p.name not in existing]
    if missing:
        yield Result("topics", False, f"missing: {', '.join(missing)}", "python -m consumer topics")
        return
    odd = [p.name for p in plans if len(existing[p.name].partitions) != p.partitions]
    small = _small_record_limits(admin, [p.name for p in plans])
    if odd or small:
        detail = "; ".join(
            ([f"partitions differ from ORDERS_TOPIC_PARTITIONS: {', '.join(odd)}"] if odd else [])
            + ([f"max.message.bytes below {MAX_MESSAGE_BYTES}: {', '.join(small)}"] if small else [])
        )
        yield Result("topics", False, detail, "see `python -m consumer topics`' warnings (deploy/README.md)")
        return
    yield Result(
        "topics", True, f"{len(plans)} topics with {settings.orders_topic_partitions} partitions each"
    )


def credentials(client: NetSuiteClient) -> Iterator[Result]:
    try:
        client.probe()
    except AuthFailure as exc:
        fix = "issue a new token; check NETSUITE_ACCOUNT_ID, the consumer key/secret and token id/secret"
        yield Result("credentials", False, f"NetSuite refuses them ({exc.status} {exc.error_code})", fix)
        return
    except SyncError as exc:
        yield Result("credentials", False, f"NetSuite did not answer ({exc.message})", "NETSUITE_BASE_URL")
        return
    yield Result("credentials", True, "NetSuite accepts the token")


def permissions(client: NetSuiteClient) -> Iterator[Result]:
    reads: dict[str, Callable[[], object]] = {
        "customers": lambda: client.list_one("customer"),
        "sales orders": lambda: client.list_one("salesOrder"),
        "SuiteQL on items": lambda: list(client.suiteql("SELECT id FROM item WHERE itemid = 'woo-check'")),
    }
    refused = []
    for name, read in reads.items():
        try:
            read()
        except AuthFailure:
            refused.append(name)
    if refused:
        fix = "give the integration role these permissions (README, Scope)"
        yield Result("permissions", False, f"the role may not read {', '.join(refused)}", fix)
    else:
        yield Result("permissions", True, "the role reads customers, sales orders and items (SuiteQL)")


def custom_fields(settings: ConsumerSettings, catalog: Catalog) -> Iterator[Result]:
    wanted = {
        "salesOrder": (
            settings.netsuite_version_field,
            "Transaction Body Field, free-form text, on sales orders",
        ),
        "customer": (settings.netsuite_customer_version_field, "Entity Field, free-form text, on customers"),
    }
    for record_type, (field, how) in wanted.items():
        properties = catalog(record_type).get("properties", {})
        if field in properties:
            yield Result(f"custom field {field}", True, f"defined on {record_type}")
        else:
            yield Result(
                f"custom field {field}", False, f"not defined on {record_type}", f"create it ({how})"
            )


def items(settings: ConsumerSettings, client: NetSuiteClient) -> Iterator[Result]:
    configured = {
        name: value
        for name, value in (
            ("NETSUITE_SHIPPING_ITEM_ID", settings.netsuite_shipping_item_id),
            ("NETSUITE_DISCOUNT_ITEM_ID", settings.netsuite_discount_item_id),
            ("NETSUITE_FEE_ITEM_ID", settings.netsuite_fee_item_id),
            ("NETSUITE_TAX_ITEM_ID", settings.netsuite_tax_item_id),
            ("NETSUITE_REFUND_ITEM_ID", settings.netsuite_refund_item_id),
        )
        if value
    }
    for warning in settings.unset_items():
        name = warning.split(" ", 1)[0]
        if name.endswith("_ACCOUNT_ID"):
            continue  # `check_money` says it (○): one rare case needs it, and the contract does not name it
        yield Result(
            name, False, warning.split(": ", 1)[1], f"set {name} to the internal id of a service item"
        )
    ids = sorted({v for v in configured.values() if v.isdigit()})
    rows = {}
    if ids:
        query = f"SELECT id, itemid, isinactive FROM item WHERE id IN ({', '.join(ids)})"  # noqa: S608 - digits
        rows = {str(r.get("id")): r for r in client.suiteql(query)}
    for name, value in configured.items():
        row = rows.get(value)
        if row is None:
            yield Result(name, False, f"no item with internal id {value}", "use an item's internal id")
        elif str(row.get("isinactive", "F")).upper() in ("T", "TRUE"):
            yield Result(name, False, f"item {value} ({row.get('itemid')}) is inactive", "reactivate it")
        else:
            yield Result(name, True, f"item {value} ({row.get('itemid')}) is active")


def _small_record_limits(admin: AdminClient, names: list[str]) -> list[str]:
    resources = [ConfigResource(ConfigResource.Type.TOPIC, n) for n in names]
    small = []
    for resource, future in admin.describe_configs(resources, request_timeout=30).items():
        entry = future.result(timeout=30).get("max.message.bytes")
        if entry is not None and entry.value and int(entry.value) < MAX_MESSAGE_BYTES:
            small.append(resource.name)
    return small
