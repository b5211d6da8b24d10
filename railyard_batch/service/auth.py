"""Who may call what: ``Authorization: Bearer TOKEN``, checked against the stored hashes.

No token or an unknown one is 401; a token whose role is below what the endpoint needs is
403. Each route states its role with :func:`requires`, which also writes it into the OpenAPI
document (``x-required-role``), so tests and clients read the rule from the spec.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from railyard_batch.service.tokens import Principal, authenticate

_bearer = HTTPBearer(auto_error=False, description="a token from `railyard-batch tokens create`")


def requires(role: str) -> dict[str, Any]:
    """Route keyword arguments: the dependency that checks ``role``, and the spec extension."""

    def check(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise HTTPException(
                401, "a bearer token is required", headers={"WWW-Authenticate": "Bearer"}
            )
        principal = authenticate(request.app.state.settings.store_url, credentials.credentials)
        if principal is None:
            raise HTTPException(
                401, "the token is not valid", headers={"WWW-Authenticate": "Bearer"}
            )
        if not principal.may(role):
            raise HTTPException(
                403, f"this needs the role {role!r}; the token's is {principal.role!r}"
            )
        request.state.principal = principal
        return principal

    return {"dependencies": [Depends(check)], "openapi_extra": {"x-required-role": role}}


def principal(request: Request) -> Principal:
    """The caller, once a route's :func:`requires` passed."""
    found = getattr(request.state, "principal", None)
    assert isinstance(found, Principal)
    return found
