"""Forwarded headers (issue 24 §4): behind a proxy (TRUST_PROXY=1) with TRUSTED_HOSTS and no
PUBLIC_BASE_URL, the CDS Hooks JWT audience comes from the request; only the X-Forwarded-*
headers the deployment names (FORWARDED_HEADERS, default for and proto) may shape it, so a
client-sent X-Forwarded-Prefix or X-Forwarded-Port cannot make a token for another path or
port acceptable."""
from __future__ import annotations

import pytest
from http_support import ISSUER

from decision_core.adapters.http.config import ConfigError, load_config

PV = "/cds-services/hamstring-patient-view"
CALL = {"hook": "patient-view", "hookInstance": "h1", "prefetch": {"intakeResponse": None},
        "context": {"patientId": "p1"}}


@pytest.fixture
def proxied(make_app, jwks_file):
    def make(**config):
        return make_app(ENV="production", API_KEYS=["k"], CDS_TRUSTED_ISSUERS={ISSUER: str(jwks_file)},
                        TRUSTED_HOSTS=["cds.clinic.example"], TRUST_PROXY=1, **config).test_client()

    return make


def call(client, signer, audience, **headers):
    token = signer.token(audience)
    return client.post(PV, json=CALL, headers={"Authorization": f"Bearer {token}", "Host": "cds.clinic.example",
                                               **headers})


@pytest.mark.parametrize("header, value, audience", [
    ("X-Forwarded-Prefix", "/evil", "http://cds.clinic.example/evil" + PV),
    ("X-Forwarded-Port", "8443", "http://cds.clinic.example:8443" + PV),
    ("X-Forwarded-Host", "cds.clinic.example:9999", "http://cds.clinic.example:9999" + PV),
])
def test_a_client_sent_prefix_port_or_host_does_not_move_the_audience(proxied, signer, header, value, audience):
    client = proxied()
    response = call(client, signer, audience, **{header: value})
    assert response.status_code == 401, response.json
    assert "audience" in response.json["detail"] and "http://cds.clinic.example" + PV in response.json["detail"]
    # the token for the URL really called is accepted, whatever the client adds
    assert call(client, signer, "http://cds.clinic.example" + PV, **{header: value}).status_code == 200


def test_the_proxy_s_scheme_and_client_address_are_trusted_by_default(proxied, signer):
    client = proxied()
    assert call(client, signer, "https://cds.clinic.example" + PV, **{"X-Forwarded-Proto": "https"}).status_code == 200


def test_a_deployment_may_name_the_prefix_its_proxy_sets(proxied, signer):
    client = proxied(FORWARDED_HEADERS="for,proto,prefix")
    assert call(client, signer, "http://cds.clinic.example/base" + PV,
                **{"X-Forwarded-Prefix": "/base"}).status_code == 200
    assert call(client, signer, "http://cds.clinic.example:8443" + PV,
                **{"X-Forwarded-Port": "8443"}).status_code == 401, "the port is still not trusted"


def test_forwarded_headers_are_checked():
    assert load_config({}, environ={})["FORWARDED_HEADERS"] == ["for", "proto"]
    assert load_config({"FORWARDED_HEADERS": "Proto, host"}, environ={})["FORWARDED_HEADERS"] == ["proto", "host"]
    with pytest.raises(ConfigError, match="FORWARDED_HEADERS"):
        load_config({"FORWARDED_HEADERS": "for,server"}, environ={})


def test_the_documented_nginx_configuration_sets_or_clears_every_forwarded_header():
    """docs/http.md's nginx block (the one tests/http/test_scale.py runs) leaves no X-Forwarded-* to the client."""
    import re

    from http_support import REPO_ROOT
    from services_support import NGINX_CONF

    docs = (REPO_ROOT / "docs" / "http.md").read_text(encoding="utf-8")
    block = docs.split("```nginx", 1)[1].split("```", 1)[0]
    documented = {m[0].lower(): m[1] for m in re.findall(r"proxy_set_header\s+(X-Forwarded-\S+)\s+(\S+);", block)}
    assert set(documented) == {f"x-forwarded-{name}" for name in ("for", "proto", "host", "port", "prefix")}
    for name, value in documented.items():
        assert re.search(rf"proxy_set_header\s+{re.escape(name)}\s+{re.escape(value)};", NGINX_CONF, re.I), name
