"""Which IP addresses the egress guard refuses, and the reason it gives.

The tables follow IANA's IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and its
updates). They are explicit rather than `ipaddress.is_global` alone because Python's answer
changed between patch releases (3.11.7 calls 2002::/16, fec0::/10 and ::a9fe:a9fe global), and
because IPv6 forms that embed an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64, 6to4) must
be judged by the address they reach.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_network

IPAddress = IPv4Address | IPv6Address

ADDRESS_REFUSED = "address {address} is {category}"
EMBEDDED_ADDRESS_REFUSED = "address {address} embeds {embedded}, which is {category}"

PRIVATE = "private"
LOOPBACK = "loopback"
LINK_LOCAL = "link-local"
SHARED = "shared address space (CGNAT)"
UNSPECIFIED = "unspecified"
MULTICAST = "multicast"
RESERVED = "reserved"
CLOUD_METADATA = "a cloud metadata address"

# Instance-metadata endpoints reachable from inside clouds: AWS, GCP, Azure (169.254.169.254),
# AWS ECS task metadata, AWS IPv6 IMDS, Alibaba, Oracle. All are refused by their range anyway;
# naming them makes the refusal say what was targeted.
CLOUD_METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    {
        IPv4Address("169.254.169.254"),
        IPv4Address("169.254.170.2"),
        IPv6Address("fd00:ec2::254"),
        IPv4Address("100.100.100.200"),
        IPv4Address("192.0.0.192"),
    }
)

IPV4_SPECIAL: tuple[tuple[IPv4Network, str], ...] = tuple(
    (IPv4Network(network), category)
    for network, category in (
        ("0.0.0.0/8", UNSPECIFIED),  # "this network"; 0.0.0.0 reaches the local host on Linux
        ("127.0.0.0/8", LOOPBACK),
        ("169.254.0.0/16", LINK_LOCAL),
        ("100.64.0.0/10", SHARED),
        ("10.0.0.0/8", PRIVATE),
        ("172.16.0.0/12", PRIVATE),
        ("192.168.0.0/16", PRIVATE),
        ("224.0.0.0/4", MULTICAST),
        ("240.0.0.0/4", RESERVED),  # includes 255.255.255.255
        ("192.0.0.0/24", RESERVED),  # IETF protocol assignments
        ("192.0.2.0/24", RESERVED),  # documentation
        ("198.51.100.0/24", RESERVED),  # documentation
        ("203.0.113.0/24", RESERVED),  # documentation
        ("198.18.0.0/15", RESERVED),  # benchmarking
        ("192.88.99.0/24", RESERVED),  # 6to4 relay anycast
    )
)

IPV6_SPECIAL: tuple[tuple[IPv6Network, str], ...] = tuple(
    (IPv6Network(network), category)
    for network, category in (
        ("::/128", UNSPECIFIED),
        ("::1/128", LOOPBACK),
        ("fe80::/10", LINK_LOCAL),
        ("fc00::/7", PRIVATE),  # unique local
        ("fec0::/10", PRIVATE),  # site-local, deprecated but still routed by some stacks
        ("ff00::/8", MULTICAST),
        ("::/8", RESERVED),  # includes IPv4-mapped and IPv4-compatible forms
        ("100::/64", RESERVED),  # discard
        ("2001::/23", RESERVED),  # IETF protocol assignments, Teredo
        ("2001:db8::/32", RESERVED),  # documentation
        ("3fff::/20", RESERVED),  # documentation
        ("2002::/16", RESERVED),  # 6to4, deprecated (RFC 7526)
        ("64:ff9b:1::/48", RESERVED),  # local-use NAT64
        ("5f00::/16", RESERVED),  # segment routing
    )
)

NAT64_WELL_KNOWN = ip_network("64:ff9b::/96")
IPV4_COMPATIBLE = ip_network("::/96")
SIX_TO_FOUR = ip_network("2002::/16")


def display(address: IPAddress) -> str:
    """The address as people write it: ::ffff:127.0.0.1 rather than Python 3.11's ::ffff:7f00:1."""
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return f"::ffff:{address.ipv4_mapped}"
    return str(address)


def embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    """The IPv4 address an IPv6 address stands for, when it is one of the embedding forms."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64_WELL_KNOWN or (address in IPV4_COMPATIBLE and int(address) > 1):
        return IPv4Address(int(address) & 0xFFFFFFFF)
    if address in SIX_TO_FOUR:
        return address.sixtofour
    return None


def _category(address: IPAddress) -> str | None:
    if address in CLOUD_METADATA_ADDRESSES:
        return CLOUD_METADATA
    table = IPV4_SPECIAL if isinstance(address, IPv4Address) else IPV6_SPECIAL
    for network, category in table:
        if address in network:
            return category
    if not address.is_global:
        return RESERVED
    return None


def _is_plain_loopback(address: IPAddress) -> bool:
    """127.0.0.0/8 or ::1 written as such: ::ffff:127.0.0.1 and friends are never loopback here."""
    if isinstance(address, IPv4Address):
        return address in IPV4_SPECIAL[1][0]
    return address == IPv6Address("::1")


def address_refusal(address: IPAddress, *, allow_loopback: bool) -> str | None:
    """Why `address` may not be connected to, or None when it may.

    With `allow_loopback`, plain loopback is let through and nothing else that is not public.
    """
    if allow_loopback and _is_plain_loopback(address):
        return None
    if isinstance(address, IPv6Address):
        embedded = embedded_ipv4(address)
        if embedded is not None:
            category = _category(embedded)
            if category is not None:
                return EMBEDDED_ADDRESS_REFUSED.format(
                    address=display(address), embedded=embedded, category=category
                )
    category = _category(address)
    if category is not None:
        return ADDRESS_REFUSED.format(address=display(address), category=category)
    return None
