"""Small gaps of issue 24 §6: one rule for a free word on both intake paths, and a body in a
transfer or content coding the server does not decode refused with a problem."""
from __future__ import annotations

import socket

import pytest
from test_errors import assert_problem

from decision_core.intake import FREE_WORD_PATTERN

QR_PATH = "/v1/evaluations/from-questionnaire-response"
JSON_ROUTES = ("/v1/evaluations", "/v1/reports?format=shout", QR_PATH, "/fhir/Questionnaire/$next-question",
               "/cds-services/hamstring-patient-view", "/cds-services/hamstring-patient-view/feedback")


def qr(words: list[str]) -> dict:
    return {"resourceType": "QuestionnaireResponse",
            "item": [{"linkId": "sports", "answer": [{"valueString": w} for w in words]}]}


@pytest.mark.parametrize("word", [" ", "   ", "\t", "\u0000", "a\u0000", "run\u0007", "\x7f", "x" * 41, ""])
def test_a_word_that_is_no_word_is_refused_by_rest_and_questionnaire_response_alike(client, word):
    rest = assert_problem(client.post("/v1/evaluations", json={"sports": ["yoga", word]}), 422)
    assert list(rest["errors"]) == ["sports[1]"], rest
    answered = assert_problem(client.post(QR_PATH, json=qr(["yoga", word])), 422)
    assert any("answer[1]" in name for name in answered["errors"]), answered


@pytest.mark.parametrize("word", ["yoga", " Yoga ", "trail running", "fútbol", "x" * 40])
def test_a_word_is_read_alike_by_both(client, word):
    rest = client.post("/v1/evaluations", json={"sports": [word]})
    answered = client.post(QR_PATH, json=qr([word]))
    assert rest.status_code == answered.status_code == 200, (rest.json, answered.json)
    assert rest.json["facts"] == answered.json["facts"] == {"sports": [word.strip().lower()]}


def test_the_documents_show_the_one_rule(client):
    spec = client.get("/openapi.json").json
    word = spec["components"]["schemas"]["Facts"]["properties"]["sports"]["items"]
    assert word["pattern"] == FREE_WORD_PATTERN and word["maxLength"] == 40


@pytest.mark.parametrize("path", JSON_ROUTES)
@pytest.mark.parametrize("header, value, status", [
    ("Transfer-Encoding", "gzip, chunked", 400), ("Transfer-Encoding", "deflate, chunked", 400),
    ("Content-Encoding", "gzip", 415), ("Content-Encoding", "br", 415)])
def test_a_body_in_a_coding_not_decoded_is_refused(client, path, header, value, status):
    response = client.post(path, data=b'{"sitting": 8}', headers={"Content-Type": "application/json", header: value})
    problem = assert_problem(response, status)
    assert value.split(",")[0] in problem["detail"]


def test_the_identity_coding_is_read(client):
    """(chunked alone, the one transfer coding read, is tested over a real server: tests/http/test_server.py)"""
    response = client.post("/v1/evaluations", data=b'{"sitting": 8}',
                           headers={"Content-Type": "application/json", "Content-Encoding": "identity"})
    assert response.status_code == 200, response.data[:300]


def test_gzip_chunked_is_refused_by_the_real_server(mini_server):
    """gunicorn passes 'gzip, chunked' through, undecoded: the application refuses it."""
    body = b'{"sitting": 8}'
    request = (b"POST /v1/evaluations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               b"X-API-Key: test-key-0123456789\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n"
               + f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n")
    with socket.create_connection(("127.0.0.1", mini_server.port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), answer[:300]
    assert b"application/problem+json" in head and b"gzip" in payload
