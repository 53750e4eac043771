"""Who acts on a record, whatever the channel that authenticated them.

The exchanges take an :class:`Actor` and decide what it may see and change; the channels build
it: the NamUs API from an import account's key and certificate, the portal from a person's login
(password and TOTP). Keeping the two apart lets the review rules be tested without a browser and
lets the portal and the API share one set of rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from jdx.security.keys import Principal

Role = Literal["client", "rps", "admin"]


@dataclass(frozen=True)
class Actor:
    """An import client (a person or system of one agency), an RPS bound to regions, or an
    administrator, who sees everything."""

    role: Role
    name: str  # the user name or the agency's ORI: what the audit log records
    agency_id: int | None = None  # a client's agency: the only cases and jobs it sees
    regions: frozenset[str] = field(default_factory=frozenset)  # an RPS's assigned regions
    user_id: int | None = None  # a portal user; None for an import account over the API
    # An import account's key realm (prod | test); a portal user (None) acts on production.
    realm: str | None = None

    def sees_region(self, region: str) -> bool:
        return self.role == "admin" or (self.role == "rps" and region in self.regions)

    def owns(self, agency_id: int) -> bool:
        return self.role == "client" and self.agency_id == agency_id

    @property
    def effective_realm(self) -> str:
        return self.realm or "prod"


def client_actor(principal: Principal) -> Actor:
    """An import account calling the API with its key (and certificate): a client."""
    return Actor(
        role="client", name=principal.ori, agency_id=principal.agency_id, realm=principal.realm
    )
