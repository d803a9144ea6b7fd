"""Are the order webhooks still delivering to us? WooCommerce disables a webhook silently after more
than five failed deliveries in a row (`class-wc-webhook.php`), and someone may pause one, delete it or
point it elsewhere. Each pass reads `GET /wp-json/wc/v3/webhooks` and decides, per order topic:

| the webhooks of the topic                                   | `woo_reconcile_webhook_active{topic}` |
|-------------------------------------------------------------|---------------------------------------|
| at least one `active`, delivering to `RECEIVER_PUBLIC_URL` (any URL when it is unset) | 1 |
| none at all                                                 | 0 ("missing")                         |
| only `paused` or `disabled` ones                            | 0 (each named, with its status)       |
| active ones, all delivering somewhere else                  | 0 (each named, with the host)         |
| the list could not be read                                  | 0 ("cannot read the webhooks")        |

A delivery URL is ours when it has the same scheme, host and port as `RECEIVER_PUBLIC_URL` and its path
starts with that URL's path (the receiver's `/webhook/woocommerce/...` routes sit below it). Only the
host of another URL is ever logged: a delivery URL may carry a token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

ORDER_TOPICS = ("order.created", "order.updated")


@dataclass(frozen=True)
class TopicHealth:
    topic: str
    active: bool
    problems: tuple[str, ...]


def _root(url: str) -> tuple[str, str, int | None, str]:
    parts = urlsplit(url)
    path = parts.path.split("/webhook/woocommerce", 1)[0].rstrip("/")
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port, path


def points_at(delivery_url: str, public_url: str | None) -> bool:
    if public_url is None:
        return True
    scheme, host, port, path = _root(public_url)
    d_scheme, d_host, d_port, d_path = _root(delivery_url)
    return (d_scheme, d_host, d_port) == (scheme, host, port) and (d_path + "/").startswith(path + "/")


def check(hooks: list[dict[str, Any]] | None, public_url: str | None) -> list[TopicHealth]:
    """The table above, for each order topic; `hooks` None: the list could not be read."""
    out = []
    for topic in ORDER_TOPICS:
        if hooks is None:
            out.append(TopicHealth(topic, False, ("cannot read the webhooks list",)))
            continue
        mine = [w for w in hooks if w.get("topic") == topic]
        good = [
            w
            for w in mine
            if w.get("status") == "active" and points_at(str(w.get("delivery_url", "")), public_url)
        ]
        if good:
            out.append(TopicHealth(topic, True, ()))
        elif not mine:
            out.append(TopicHealth(topic, False, (f"no {topic} webhook",)))
        else:
            problems = []
            for w in mine:
                if w.get("status") != "active":
                    problems.append(f"webhook {w.get('id')} ({topic}) is {w.get('status')}")
                else:
                    host = urlsplit(str(w.get("delivery_url", ""))).hostname or "?"
                    problems.append(f"webhook {w.get('id')} ({topic}) delivers to {host}, not to us")
            out.append(TopicHealth(topic, False, tuple(problems)))
    return out
