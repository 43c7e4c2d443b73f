"""Fixtures for the HTTP adapter: apps over the mini catalogue (and the installed one),
JWT signing keys made in the test, and a real gunicorn server on 127.0.0.1."""
from __future__ import annotations

import json

import pytest
from http_support import API_KEY, BASE_URL, ISSUER, MINI_DIR, TEST_FORMAT, Signer, shout, start_server, stop_server

from decision_core.adapters.http import create_app
from decision_core.adapters.http.backend import Backend


@pytest.fixture(scope="session")
def mini_backend():
    backend = Backend.from_directories([MINI_DIR], engine="plain")
    backend.add_format(TEST_FORMAT, "text/x-shout", "txt", shout, description="test format")
    return backend


@pytest.fixture(scope="session")
def installed_backend():
    return Backend.from_registry("durable")


@pytest.fixture
def make_app(mini_backend):
    def make(backend=None, **config):
        return create_app({"ENV": "development", **config}, backend=backend or mini_backend)

    return make


@pytest.fixture
def client(make_app):
    return make_app().test_client()


@pytest.fixture(scope="session")
def signer():
    return Signer()


@pytest.fixture(scope="session")
def jwks_file(signer, tmp_path_factory):
    path = tmp_path_factory.mktemp("jwks") / "ehr-jwks.json"
    path.write_text(json.dumps(signer.jwks()))
    return path


@pytest.fixture
def secure_app(make_app, jwks_file):
    return make_app(ENV="production", API_KEYS=[API_KEY], CDS_TRUSTED_ISSUERS={ISSUER: str(jwks_file)},
                    PUBLIC_BASE_URL=BASE_URL)


@pytest.fixture(scope="module")
def mini_server(tmp_path_factory):
    """gunicorn (2 workers, durable engine, preloaded) serving the mini catalogue, with an API key."""
    tmp = tmp_path_factory.mktemp("server")
    server = start_server(tmp, {"DECISION_CORE_CATALOGUE_DIRS": str(MINI_DIR), "DECISION_CORE_ENGINE": "durable",
                                "DECISION_CORE_API_KEYS": API_KEY, "DECISION_CORE_MAX_CONTENT_LENGTH": "65536"})
    yield server
    stop_server(server)
