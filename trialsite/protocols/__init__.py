"""Every study the system knows, declared in code. Add a module and list it here."""

from trialsite.protocols import icrg0201, palmares2
from trialsite.protocols.base import Protocol

PROTOCOLS: dict[str, Protocol] = {p.code: p for p in (icrg0201.PROTOCOL, palmares2.PROTOCOL)}


def get_protocol(code) -> Protocol:
    try:
        return PROTOCOLS[code]
    except KeyError:
        raise KeyError(f"No protocol is declared for study {code!r}") from None


def all_protocols():
    return tuple(PROTOCOLS.values())
