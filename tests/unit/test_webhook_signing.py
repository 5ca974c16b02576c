"""Webhook signatures against the Standard Webhooks published vector, and target checks."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook as Verifier

from kam_common.errors import Invalid
from kam_gateway.delivery import DeliveryPolicy, signed_request
from kam_gateway.models import Webhook
from kam_gateway.webhooks import check_target, new_secret

# The specification's own example (standard-webhooks, libraries/python tests).
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = '{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_a_delivery_is_signed_as_the_published_vector_says() -> None:
    hook = Webhook(secret=VECTOR_SECRET)
    at = datetime.fromtimestamp(VECTOR_TIMESTAMP, UTC)

    headers = signed_request(hook, VECTOR_ID, VECTOR_BODY, now=at)

    assert headers["webhook-id"] == VECTOR_ID
    assert headers["webhook-timestamp"] == str(VECTOR_TIMESTAMP)
    assert headers["webhook-signature"] == VECTOR_SIGNATURE


def test_after_a_rotation_both_secrets_sign_for_a_while() -> None:
    now = datetime.now(UTC)
    old, new = new_secret(), new_secret()
    hook = Webhook(secret=new, previous_secret=old, previous_secret_until=now + timedelta(hours=1))

    headers = signed_request(hook, "msg_1", "{}", now=now)

    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):  # a receiver on either secret accepts it
        assert Verifier(secret).verify("{}", headers) == {}
    hook.previous_secret_until = now - timedelta(seconds=1)
    assert len(signed_request(hook, "msg_1", "{}", now=now)["webhook-signature"].split()) == 1


def test_secrets_are_whsec_and_base64() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert Verifier(secret)  # the library reads it
    assert secret != new_secret()


def _resolving_to(*addresses: str) -> Any:
    def resolve(host: str, port: int, **_kw: Any) -> list[tuple[Any, ...]]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    return resolve


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example.com/x",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "http:///no-host",
        "https://hooks.example.com:99999/x",
    ],
)
def test_only_http_urls_with_a_host_are_targets(url: str) -> None:
    with pytest.raises(Invalid) as refused:
        check_target(url, allow_private=True)
    assert "url" in (refused.value.errors or {})


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.5", "192.168.1.1", "169.254.169.254", "::1", "fc00::1",
     "::ffff:127.0.0.1", "0.0.0.0", "100.64.0.1", "224.0.0.1"],  # noqa: S104 - refused, not bound
)  # fmt: skip
def test_loopback_private_and_reserved_addresses_are_refused(address: str) -> None:
    with pytest.raises(Invalid) as refused:
        check_target(
            "https://hooks.example.com/x", allow_private=False, resolve=_resolving_to(address)
        )
    assert address in refused.value.errors["url"][0]  # type: ignore[index]


def test_a_name_with_one_private_address_among_public_ones_is_refused() -> None:
    with pytest.raises(Invalid):
        check_target(
            "https://hooks.example.com/x",
            allow_private=False,
            resolve=_resolving_to("93.184.216.34", "10.0.0.7"),
        )


def test_a_public_address_is_a_target_and_private_ones_when_allowed() -> None:
    check_target(
        "https://hooks.example.com/x", allow_private=False, resolve=_resolving_to("93.184.216.34")
    )
    check_target("http://127.0.0.1:9/x", allow_private=True)


def test_a_name_that_does_not_resolve_is_refused() -> None:
    def fails(*_a: Any, **_k: Any) -> Any:
        raise socket.gaierror("no such name")

    with pytest.raises(Invalid) as refused:
        check_target("https://nowhere.invalid/x", allow_private=False, resolve=fails)
    assert "cannot be resolved" in refused.value.errors["url"][0]  # type: ignore[index]


def test_back_off_grows_and_is_capped() -> None:
    policy = DeliveryPolicy(first_backoff=5, max_backoff=3600)
    waits = [policy.backoff(n) for n in range(1, 12)]
    assert waits[:4] == [5, 10, 20, 40]
    assert waits == sorted(waits) and waits[-1] == 3600
    assert DeliveryPolicy().retry_window >= 24 * 3600
