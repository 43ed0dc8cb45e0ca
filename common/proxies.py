"""The client's address: the socket's peer, or `X-Forwarded-For` read from the right through trusted proxies only.

A proxy appends the address it was connected from to `X-Forwarded-For`, so the header's right end was written by
the nearest proxy and everything to the left of a hop we do not trust could be anything the client typed.
Walking from the right and stopping at the first untrusted hop gives the one address no client can forge.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable, Sequence

from django.core.exceptions import ImproperlyConfigured

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Headers a proxy sets about the original request that Django may act on (SECURE_PROXY_SSL_HEADER,
# USE_X_FORWARDED_HOST); from a peer we do not trust they are the client's say-so and are dropped. X-Forwarded-For
# stays: `client_address` already ignores it from such a peer, and its presence says the request was proxied.
FORWARDED_META_KEYS = ("HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST")


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """CIDRs (or single addresses) as networks; a typo stops the process at start, not at the first request."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"TRUSTED_PROXIES holds {value!r}, which is not an IP address or network (CIDR)."
            ) from None
    return tuple(networks)


@functools.lru_cache(maxsize=8)
def _networks(values: tuple[str, ...]) -> tuple[Network, ...]:
    return parse_networks(values)


def parse_address(value: str | None) -> Address | None:
    """An address as a proxy or socket writes it (`1.2.3.4`, `1.2.3.4:5678`, `[2001:db8::1]:443`), or None."""
    if not value:
        return None
    text = value.strip()
    if text.startswith("["):  # [IPv6]:port
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:  # IPv4:port (a bare IPv6 address has several colons)
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    # A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; they are the IPv4 address.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_trusted(address: Address | None, trusted: Sequence[str]) -> bool:
    return address is not None and any(address in network for network in _networks(tuple(trusted)))


def client_address(peer: str | None, forwarded_for: str | None, trusted: Sequence[str]) -> str | None:
    """The client as far as trusted proxies vouch for it; the socket's peer when the peer is not a trusted proxy.

    A hop that is not an address (garbage, `unknown`) ends the walk at the trusted proxy that wrote it: what lies
    beyond it cannot be told apart from what a client made up.
    """
    address = parse_address(peer)
    if address is None:
        return None
    if not is_trusted(address, trusted) or not forwarded_for:
        return str(address)
    for hop in reversed(forwarded_for.split(",")):
        if not hop.strip():
            continue
        forwarded = parse_address(hop)
        if forwarded is None:
            break
        address = forwarded
        if not is_trusted(address, trusted):
            break
    return str(address)
