"""Schemathesis hooks of the gateway test (tests/gateway/tests/gateway/schemathesis.rs).

Loaded through SCHEMATHESIS_HOOKS=<this file>; adds the check `error_body_is_json_status`:
every error answer (4xx and 5xx) has Plaza's error shape, a JSON object with at least an
integer `code` and a string `message`, as README.md ("The front door") promises for replies of
the services and of Envoy alike.
"""

import json

import schemathesis


@schemathesis.check
def error_body_is_json_status(ctx, response, case):
    """An error answer is a JSON `{code, message, ...}` object."""
    if response.status_code < 400:
        return None
    content_type = response.headers.get("content-type", [""])
    if isinstance(content_type, list):
        content_type = content_type[0] if content_type else ""
    text = response.content.decode("utf-8", errors="replace")
    if not content_type.startswith("application/json"):
        raise AssertionError(
            f"{response.status_code} with content-type {content_type!r}, not JSON: {text[:300]!r}"
        )
    try:
        body = json.loads(text)
    except ValueError as error:
        raise AssertionError(f"{response.status_code} whose body is not JSON ({error}): {text[:300]!r}")
    if not isinstance(body, dict):
        raise AssertionError(f"{response.status_code} whose body is not a JSON object: {text[:300]!r}")
    if not isinstance(body.get("code"), int) or isinstance(body.get("code"), bool):
        raise AssertionError(f"{response.status_code} without an integer `code`: {text[:300]!r}")
    # An empty message passes for now: Envoy's HTTP/1 codec answers a method it does not take
    # (`QUERY`) with a 400 whose local-reply body, and so `message`, is empty.
    if not isinstance(body.get("message"), str):
        raise AssertionError(f"{response.status_code} without a string `message`: {text[:300]!r}")
    return None
