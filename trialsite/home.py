"""The home page is made of sections that the apps contribute, each for some roles.

``trialsite`` is the lowest app and may not import the others; each app registers its sections
from its ``AppConfig.ready()``, so a new app adds to the home page without changing this one.
"""

from collections.abc import Callable
from dataclasses import dataclass

from trialsite import access


@dataclass(frozen=True)
class HomeSection:
    key: str
    title: str
    template: str
    roles: frozenset
    order: int
    context: Callable  # (user) -> dict


_SECTIONS: dict[str, HomeSection] = {}


def register(section):
    _SECTIONS[section.key] = section


def sections_for(user):
    roles = access.roles_of(user)
    chosen = [
        s for s in _SECTIONS.values()
        if roles & s.roles or (user.is_superuser and "admin" in s.roles)
    ]
    return sorted(chosen, key=lambda s: s.order)
