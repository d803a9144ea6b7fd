"""WooCommerce order → NetSuite customer (registered or guest), pure.

Decisions:
- **One kind per account** (`NETSUITE_CUSTOMER_TYPE`): `individual` (default: `isPerson` true, names
  in firstName/lastName, the billing company in `companyName`) or `company` (`isPerson` false, the
  company — or the person's name — in `companyName`). Deciding per order from the billing company
  made a customer flip between person and company from one order to the next.
- **Names** (individuals; NetSuite wants both parts, 32 characters each, cut with a warning):

  | the order has                                  | firstName                  | lastName          |
  |------------------------------------------------|----------------------------|-------------------|
  | billing first and last name                    | first                      | last              |
  | one billing part, shipping has both            | shipping first             | shipping last     |
  | one part only (express checkouts), several words | all words but the last   | the last word     |
  | one part only, one word                        | `-`                        | the word          |
  | no name at all                                 | `-`                        | `Guest` / `Customer <id>` |

  The full name stays in the address book's addressee (150 characters).
- **Email**: sent when NetSuite would accept it; left out when empty (an order without one must not
  clear the email NetSuite has) or invalid. **Phone**: a valid one is sent, '' clears it, an invalid
  one is left out. Invalid text is kept in `comments` ("as entered in WooCommerce"), never lost.
- **Currencies**: the order's currency is added to the customer's Currencies subtab
  (`currencyList`, keyed by currency), or NetSuite refuses a sales order in it for this customer.
- Every other text field is always present ('' when empty), so an update clears what the customer
  no longer has. Warnings name fields, never values.
"""

from __future__ import annotations

from typing import Any

from consumer.netsuite.addresses import MappedAddress, cut, is_empty, map_address, width
from consumer.netsuite.contact import valid_email, valid_phone
from consumer.netsuite.currency import CurrencyRef
from consumer.netsuite.external_ids import customer_external_id
from consumer.netsuite.mapped import MappedRecord
from consumer.netsuite.policy import MappingPolicy
from consumer.pipeline.versions import Placed
from schemas.order import Address, WooOrder

NAME_LIMIT = 32
COMPANY_NAME_LIMIT = 83  # customer companyName (records browser; unconfirmed)
EMAIL_LIMIT = 254
PHONE_LIMIT = 32
PLACEHOLDER_FIRST = "-"


def fit(value: str, limit: int, field: str, warnings: list[str]) -> str:
    if width(value) <= limit:
        return value
    warnings.append(f"{field} over {limit} characters: cut")
    return cut(value, limit)[0].rstrip()


def person_names(order: WooOrder) -> tuple[str, str]:
    """(firstName, lastName) by the table in the module docstring."""
    billing, shipping = order.billing, order.shipping
    first, last = billing.first_name.strip(), billing.last_name.strip()
    if first and last:
        return first, last
    if shipping.first_name.strip() and shipping.last_name.strip():
        return shipping.first_name.strip(), shipping.last_name.strip()
    only = first or last or _single(shipping)
    if not only:
        return PLACEHOLDER_FIRST, "Guest" if order.customer_id == 0 else f"Customer {order.customer_id}"
    words = only.split()
    if len(words) > 1:
        return " ".join(words[:-1]), words[-1]
    return PLACEHOLDER_FIRST, only


def _single(address: Address) -> str:
    return address.first_name.strip() or address.last_name.strip()


def map_customer(order: WooOrder, policy: MappingPolicy, currency: CurrencyRef | None = None) -> MappedRecord:
    """The customer from the order's billing data and addresses, stamped with the order it comes
    from (`<date_created_gmt> #<id>`, see `consumer.pipeline.versions.Placed`)."""
    warnings: list[str] = []
    notes: list[str] = []
    external_id = customer_external_id(order, policy.store_code)
    billing = order.billing
    company = fit(billing.company.strip(), COMPANY_NAME_LIMIT, "billing.company", warnings)
    body: dict[str, Any] = {"externalId": external_id}
    first, last = person_names(order)
    if policy.customer_type == "company":
        name = company or (f"{first} {last}" if first != PLACEHOLDER_FIRST else last)
        body.update(isPerson=False, companyName=fit(name, COMPANY_NAME_LIMIT, "company name", warnings))
    else:
        body["isPerson"] = True
        body["firstName"] = fit(first, NAME_LIMIT, "first name", warnings)
        body["lastName"] = fit(last, NAME_LIMIT, "last name", warnings)
        body["companyName"] = company
    if not (billing.first_name.strip() and billing.last_name.strip()):
        warnings.append("billing.first_name or billing.last_name empty: name by the one-part rule")

    email = billing.email.strip()
    if email and valid_email(email):
        body["email"] = email
    elif email:
        warnings.append("billing.email not an address NetSuite accepts: kept in comments")
        notes.append(f"Email as entered in WooCommerce: {email}")
    phone = billing.phone.strip()
    if not phone or valid_phone(phone):
        body["phone"] = phone
    else:
        warnings.append(
            "billing.phone not a NetSuite phone number (7+ digits, 32 characters): kept in comments"
        )
        notes.append(f"Phone as entered in WooCommerce: {phone}")
    if policy.subsidiary_id:
        body["subsidiary"] = {"id": policy.subsidiary_id}
    if currency is not None and currency.id is not None:
        body["currencyList"] = {"items": [{"currency": {"id": currency.id}}]}

    addresses = [_customer_address(map_address(billing, "billing"), warnings, notes)]
    if not is_empty(order.shipping):
        addresses.append(_customer_address(map_address(order.shipping, "shipping"), warnings, notes))
    if len(addresses) == 1 or _same_place(addresses[0], addresses[1]):
        entries = [_address_entry(addresses[0], billing=True, shipping=True)]
    else:
        entries = [
            _address_entry(addresses[0], billing=True, shipping=False),
            _address_entry(addresses[1], billing=False, shipping=True),
        ]
    body["addressBook"] = {"items": entries}
    if notes:
        body["comments"] = "\n".join(dict.fromkeys(notes))
    body[policy.customer_version_field] = Placed.of(order).text()
    return MappedRecord(
        "customer", external_id, body, tuple(warnings), version_key=policy.customer_version_field
    )


def _customer_address(mapped: MappedAddress, warnings: list[str], notes: list[str]) -> dict[str, Any]:
    for label, value in mapped.overflow:
        field = label.replace(" ", ".", 1)
        if label.endswith(" phone"):
            warnings.append(f"customer {field} not a NetSuite phone number: kept in comments")
            who = "Phone" if label == "billing phone" else label.capitalize()  # billing: the same field
            notes.append(f"{who} as entered in WooCommerce: {value}")
        else:
            warnings.append(f"customer {field} over NetSuite's limit: cut (the sales order memo has it)")
    return mapped.fields


def _same_place(billing: dict[str, Any], shipping: dict[str, Any]) -> bool:
    """Equal addresses, a shipping address without phone (older WooCommerce has none) included."""
    if not shipping.get("addrPhone"):
        shipping = {**shipping, "addrPhone": billing.get("addrPhone", "")}
    return billing == shipping


def _address_entry(address: dict[str, Any], *, billing: bool, shipping: bool) -> dict[str, Any]:
    return {"defaultBilling": billing, "defaultShipping": shipping, "addressBookAddress": address}
