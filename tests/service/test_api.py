from __future__ import annotations

import asyncio
import gc
import json
import os
import shutil
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from pilah.service.app import create_app
from pilah.service.deps import _holder
from pilah.service.settings import Settings

KEY = "k" * 24


@pytest.fixture
def settings(small_model_dir, tmp_path):
    return Settings(model_dir=small_model_dir, feedback_db=tmp_path / "fb.sqlite3", max_batch=4,
                    max_text_bytes=2000, admin_api_key=KEY)


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


def test_analyze_returns_the_cli_contract(client):
    r = client.post("/v1/analyze", json={"id": "x1", "text": "KTP saya belum jadi di Dukcapil Kabupaten Sarolangun"})
    assert r.status_code == 200
    body = r.json()
    assert body["id"] == "x1"
    assert body["sector"]["label"] == "adminduk"
    assert [s["label"] for s in body["sectors"]][0] == "adminduk" and len(body["sectors"]) == 3
    assert body["labels"] == ["adminduk"]
    assert body["model"]["name"]
    assert any(a["name"].startswith("Dinas Kependudukan dan Pencatatan Sipil") for a in body["agencies"])
    assert any(reg["code"] == "15.03" for reg in body["regions"])
    assert r.headers["x-request-id"]


def test_request_id_is_echoed(client):
    r = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"


def test_classify_and_agencies_return_one_part_each(client):
    c = client.post("/v1/classify", json={"text": "obat kosong di puskesmas", "explain": True}).json()
    assert c["sector"]["label"] == "kesehatan" and "agencies" not in c and c["explanation"]
    a = client.post("/v1/agencies", json={"text": "Warga mengadu ke Dinas Sosial Kota Jambi"}).json()
    assert "sector" not in a
    assert a["agencies"][0]["name"] == "Dinas Sosial Kota Jambi"


def test_batch_keeps_order_and_answers_bad_documents_in_place(client):
    docs = [{"id": 1, "text": "jalan rusak parah"}, {"id": 2, "text": ""}, 7, {"id": 4, "text": "obat habis"}]
    r = client.post("/v1/analyze/batch", json={"documents": docs})
    assert r.status_code == 200
    res = r.json()["results"]
    assert [x.get("id") for x in res] == [1, 2, None, 4]
    assert res[1]["error"]["code"] == "empty_text"
    assert res[2]["error"]["code"] == "not_an_object"
    assert res[0]["sector"]["label"] == "infrastruktur" and res[3]["sector"]["label"] == "kesehatan"


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "code"),
    [
        ("post", "/v1/analyze", {"content": b"{oops", "headers": {"content-type": "application/json"}}, 400,
         "invalid_json"),
        ("post", "/v1/analyze", {"content": b"text=x", "headers": {"content-type": "text/plain"}}, 415,
         "unsupported_media_type"),
        ("post", "/v1/analyze", {"json": {"id": 1}}, 422, "missing_text"),
        ("post", "/v1/analyze", {"json": {"text": 12}}, 422, "text_not_string"),
        ("post", "/v1/analyze", {"json": {"text": "  "}}, 422, "empty_text"),
        ("post", "/v1/analyze", {"json": ["text"]}, 422, "not_an_object"),
        ("post", "/v1/analyze", {"json": {"text": "jalan " * 500}}, 413, "text_too_large"),
        ("post", "/v1/analyze/batch", {"json": {"documents": [{"text": "a"}] * 5}}, 413, "batch_too_large"),
        ("get", "/v1/nothing", {}, 404, "not_found"),
        ("get", "/v1/analyze", {}, 405, "method_not_allowed"),
        ("post", "/v1/admin/reload", {"json": {}}, 401, "unauthorized"),
        ("post", "/v1/feedback", {"json": {"id": 1, "text": "x", "labels": ["jalan_raya"]}}, 422,
         "unknown_label"),
        ("post", "/v1/analyze", {"json": {"text": "x", "explain": "maybe"}}, 422, "invalid_request"),
    ],
)
def test_errors_are_problem_json_with_a_stable_code(client, method, path, kwargs, status, code):
    r = getattr(client, method)(path, **kwargs)
    assert r.status_code == status
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == code and body["detail"] and body["status"] == status
    assert body["request_id"] == r.headers["x-request-id"]


def test_internal_error_hides_the_stack_trace(settings):
    app = create_app(settings)

    def broken():
        raise RuntimeError("secret internals")

    app.dependency_overrides[_holder] = broken
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.post("/v1/analyze", json={"text": "jalan rusak"})
    assert r.status_code == 500
    assert r.json()["code"] == "internal_error"
    assert "secret" not in r.text and "Traceback" not in r.text


def test_model_taxonomy_and_health(client):
    m = client.get("/v1/model").json()
    assert m["labels"] == ["adminduk", "infrastruktur", "kesehatan"]
    assert set(m["thresholds"]) == set(m["labels"]) and m["data_hash"] and m["trained_at"]
    assert [s["id"] for s in client.get("/v1/taxonomy").json()["sectors"]] == m["labels"]
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["smoke"] == "adminduk"


def test_metrics_count_requests_predictions_errors_and_model(client):
    client.post("/v1/analyze", json={"text": "jalan rusak parah"})
    client.post("/v1/analyze", json={"text": ""})
    text = client.get("/metrics").text
    assert 'pilah_predictions_total{sector="infrastruktur"} 1.0' in text
    assert 'pilah_errors_total{code="empty_text"} 1.0' in text
    assert "pilah_model_info{" in text
    assert "http_request_duration_seconds" in text and 'handler="/v1/analyze"' in text


def _sample(text: str, name: str, **labels: str) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


def test_http_metrics_name_each_route_by_its_template_and_group_statuses(client):
    client.post("/v1/analyze", json={"text": "jalan rusak parah"})
    client.post("/v1/analyze", json={"text": ""})
    client.get("/v1/analyze")
    client.get("/static/app.js")
    client.get("/v1/no-such-route")
    client.get("/metrics")
    text = client.get("/metrics").text
    assert _sample(text, "http_requests_total", handler="/v1/analyze", method="POST", status="2xx") == 1
    assert _sample(text, "http_requests_total", handler="/v1/analyze", method="POST", status="4xx") == 1
    assert _sample(text, "http_requests_total", handler="/v1/analyze", method="GET", status="4xx") == 1
    assert _sample(text, "http_requests_total", handler="/static", method="GET", status="2xx") == 1
    assert _sample(text, "http_requests_total", handler="none", method="GET", status="4xx") == 1
    assert _sample(text, "http_requests_total", handler="/metrics") == 0
    assert _sample(text, "http_request_duration_seconds_count", handler="/v1/analyze", method="POST") == 2
    assert _sample(text, "http_request_duration_highr_seconds_count") == 5
    assert _sample(text, "http_request_size_bytes_sum", handler="/v1/analyze") > 0
    assert _sample(text, "http_response_size_bytes_sum", handler="/v1/analyze") > 0


def test_an_exception_escaping_the_app_is_counted_and_logged_as_a_500(settings, caplog):
    app = create_app(settings)

    def broken():
        raise RuntimeError("secret internals")

    app.dependency_overrides[_holder] = broken
    with TestClient(app, raise_server_exceptions=False) as c, caplog.at_level("INFO", logger="pilah.access"):
        assert c.post("/v1/analyze", json={"text": "jalan rusak"}).status_code == 500
        text = c.get("/metrics").text
    assert _sample(text, "http_requests_total", handler="/v1/analyze", method="POST", status="5xx") == 1
    assert [r.status for r in caplog.records if r.name == "pilah.access" and r.path == "/v1/analyze"] == [500]


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@pytest.mark.parametrize(
    ("inline_max_bytes", "path", "body", "on_loop"),
    [
        (2048, "/v1/analyze", {"text": "jalan rusak parah"}, True),
        (2048, "/v1/analyze", {"text": "jalan rusak parah di kampung kami " * 80}, False),
        (0, "/v1/analyze", {"text": "jalan rusak parah"}, False),
        (2048, "/v1/classify", {"text": "obat kosong di puskesmas"}, True),
        (2048, "/v1/agencies", {"text": "Dinas Sosial Kota Jambi " * 100}, False),
        (2048, "/v1/analyze/batch", {"documents": [{"text": "jalan rusak"}]}, False),
    ],
)
def test_only_short_single_texts_are_analysed_on_the_event_loop(settings, inline_max_bytes, path, body, on_loop):
    settings = settings.model_copy(update={"inline_max_bytes": inline_max_bytes, "max_text_bytes": 100_000})
    app = create_app(settings)
    with TestClient(app) as c:
        analyzer = app.state.holder.current
        seen: list[bool] = []
        for name in ("analyze", "classify", "extract"):
            real = getattr(analyzer, name)

            def spy(*args, _real=real, **kwargs):
                seen.append(_on_event_loop())
                return _real(*args, **kwargs)

            setattr(analyzer, name, spy)
        assert c.post(path, json=body).status_code == 200
    assert seen and set(seen) == {on_loop}


def test_the_loaded_model_is_out_of_the_collectors_sight(client):
    analyzer = client.app.state.holder.current
    assert gc.get_freeze_count() > 0
    assert not any(obj is analyzer.model for obj in gc.get_objects())


def test_feedback_is_durable_across_a_restart(settings):
    with TestClient(create_app(settings)) as c:
        r = c.post("/v1/feedback", json={"id": "doc-9", "text": "KTP hilang", "labels": ["adminduk"]})
        assert r.status_code == 200 and r.json()["stored"]
    from pilah.service.feedback import FeedbackStore

    rows = FeedbackStore(settings.feedback_db).rows()  # a new connection, as after a restart
    assert [(row["doc_id"], row["text"]) for row in rows] == [("doc-9", "KTP hilang")]
    with TestClient(create_app(settings)) as c:
        c.post("/v1/feedback", json={"id": "doc-10", "text": "jalan", "labels": ["lainnya"]})
    assert len(FeedbackStore(settings.feedback_db).rows()) == 2


def test_admin_is_refused_without_a_configured_key(small_model_dir, tmp_path):
    s = Settings(model_dir=small_model_dir, feedback_db=tmp_path / "f.db")
    with TestClient(create_app(s)) as c:
        r = c.post("/v1/admin/reload", json={}, headers={"X-API-Key": "anything-at-all-1234"})
    assert r.status_code == 403 and r.json()["code"] == "admin_disabled"


def test_reload_swaps_a_good_model_and_rejects_a_bad_one(client, small_model_dir, tmp_path):
    good = tmp_path / "good"
    shutil.copytree(small_model_dir, good)
    bad = tmp_path / "bad"
    shutil.copytree(small_model_dir, bad)
    with (bad / "pipeline.skops").open("ab") as fh:
        fh.write(b"corrupt")
    r = client.post("/v1/admin/reload", json={"model_dir": str(bad)}, headers={"X-API-Key": KEY})
    assert r.status_code == 422 and r.json()["code"] == "model_integrity"
    assert client.post("/v1/analyze", json={"text": "jalan rusak"}).status_code == 200
    assert client.get("/v1/model").json()["path"] == str(small_model_dir)
    r = client.post("/v1/admin/reload", json={"model_dir": str(good)}, headers={"X-API-Key": KEY})
    assert r.status_code == 200 and r.json()["status"] == "reloaded"
    assert client.get("/v1/model").json()["path"] == str(good)


def test_requests_during_a_swap_all_succeed(client, small_model_dir):
    stop = threading.Event()
    statuses: list[int] = []

    def hammer() -> None:
        while not stop.is_set():
            statuses.append(client.post("/v1/analyze", json={"text": "obat kosong di puskesmas"}).status_code)

    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(hammer) for _ in range(3)]
        for _ in range(2):
            r = client.post("/v1/admin/reload", json={"model_dir": str(small_model_dir)},
                            headers={"X-API-Key": KEY})
            assert r.status_code == 200
        stop.set()
        for f in futures:
            f.result()
    assert statuses and set(statuses) == {200}


def test_unpaired_surrogates_and_undecodable_bodies_are_client_errors(client):
    r = client.post("/v1/analyze", content=b'{"text": "jalan \\ud800 rusak"}',
                    headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["code"] == "invalid_utf8"
    r = client.post("/v1/analyze", content=b'{"text": "jalan \xff rusak"}',
                    headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["code"] == "invalid_utf8" and r.json()["detail"].startswith("Byte 16 ")
    r = client.post("/v1/analyze/batch", content=b'{"documents": [{"text": "caf\xe9"}]}',
                    headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["code"] == "invalid_utf8"
    r = client.post("/v1/feedback", content=b'{"id": 1, "text": "a \\udc80", "labels": []}',
                    headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["code"] == "invalid_utf8"
    r = client.post("/v1/analyze/batch", content=b'{"documents": [{"id": NaN, "text": "jalan rusak"}]}',
                    headers={"content-type": "application/json"})
    assert r.status_code == 200 and r.json()["results"][0]["error"]["code"] == "invalid_id"


def test_chunked_body_over_the_limit_is_refused(small_model_dir, tmp_path):
    s = Settings(model_dir=small_model_dir, feedback_db=tmp_path / "f.db", max_body_bytes=2048)

    def chunks():
        yield b'{"text": "'
        for _ in range(10):
            yield b"jalan rusak " * 50
        yield b'"}'

    with TestClient(create_app(s)) as c:
        r = c.post("/v1/analyze", content=chunks(), headers={"content-type": "application/json"})
        assert r.status_code == 413 and r.json()["code"] == "body_too_large"
        small = c.post("/v1/analyze", content=iter([b'{"text": "jalan rusak"}']),
                       headers={"content-type": "application/json"})
        assert small.status_code == 200


def test_docs_page_works_offline(client):
    page = client.get("/docs")
    assert page.status_code == 200 and "/v1/analyze" in page.text
    assert "http://" not in page.text and "https://" not in page.text


# The same document fields give the same codes on every endpoint: those of `pilah analyze` (parse_document).
BAD_DOCUMENTS = [
    ({"id": 1.5, "text": "jalan rusak"}, "invalid_id"),
    ({"id": True, "text": "jalan rusak"}, "invalid_id"),
    ({"id": ["a"], "text": "jalan rusak"}, "invalid_id"),
    ({"id": 1, "text": "jalan rusak", "title": 5}, "title_not_string"),
    ({"id": 1, "text": "jalan rusak", "region": 1505}, "region_not_string"),
    ({"id": 1, "text": None}, "missing_text"),
    ({"id": 1}, "missing_text"),
    ({"id": 1, "text": ["jalan"]}, "text_not_string"),
    ({"id": 1, "text": "jalan rusak", "region": "99.99"}, "unknown_region"),
    ({"id": 1, "text": "jalan rusak", "region": "Kota Atlantis"}, "unknown_region"),
]


@pytest.mark.parametrize(("document", "code"), BAD_DOCUMENTS)
def test_single_and_batch_requests_give_the_same_code_and_message(client, document, code):
    batch = client.post("/v1/analyze/batch", json={"documents": [{"text": "obat habis"}, document]})
    assert batch.status_code == 200
    first, error = batch.json()["results"]
    assert "sector" in first and error["error"]["code"] == code  # the rest of the batch goes on
    for path in ("/v1/analyze", "/v1/classify", "/v1/agencies"):
        r = client.post(path, json=document)
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == code and r.json()["detail"] == error["error"]["message"]


def test_an_unknown_region_says_what_is_accepted(client):
    detail = client.post("/v1/analyze", json={"text": "ke dinsos", "region": "Kota Atlantis"}).json()["detail"]
    assert "Kota Atlantis" in detail and '"15.05"' in detail and '"Kabupaten Muaro Jambi"' in detail


@pytest.mark.parametrize("region", ["15.05", "Kabupaten Muaro Jambi", "muaro jambi", "  "])
def test_a_known_region_by_code_or_name_is_used(client, region):
    r = client.post("/v1/analyze", json={"text": "sudah tiga kali ke dinsos tidak ada hasil", "region": region})
    assert r.status_code == 200
    names = [a["name"] for a in r.json()["agencies"]]
    assert names == (["Dinas Sosial"] if not region.strip() else ["Dinas Sosial Kabupaten Muaro Jambi"])


def test_the_openapi_schema_still_documents_the_document_fields(client):
    schema = client.get("/openapi.json").json()["components"]["schemas"]["AnalyzeIn"]
    assert schema["required"] == ["text"]
    assert schema["properties"]["text"]["type"] == "string"
    assert {t["type"] for t in schema["properties"]["id"]["anyOf"]} == {"string", "integer", "null"}
    assert {t["type"] for t in schema["properties"]["region"]["anyOf"]} == {"string", "null"}


@pytest.mark.parametrize("value", ["maybe", "yes", "true", 1, None])
def test_a_field_outside_the_document_gets_invalid_request_naming_it(client, value):
    r = client.post("/v1/analyze", json={"text": "jalan rusak", "explain": value})
    assert r.status_code == 422 and r.json()["code"] == "invalid_request"  # true or false only, not "yes"
    assert r.json()["detail"].startswith('"explain":')


def test_the_text_limit_is_the_services_setting_and_the_message_names_it(settings):
    two_million = "jalan rusak " * 170_000
    with TestClient(create_app(settings)) as c:
        r = c.post("/v1/analyze", json={"text": two_million})
        assert r.status_code == 413 and r.json()["code"] == "text_too_large"
        assert "PILAH_MAX_TEXT_BYTES" in r.json()["detail"] and "2,000" in r.json()["detail"]
        b = c.post("/v1/analyze/batch", json={"documents": [{"text": "x" * 2001}]}).json()["results"][0]
        assert b["error"]["code"] == "text_too_large" and "PILAH_MAX_TEXT_BYTES" in b["error"]["message"]
    # Raised above the command line's 1,000,000 characters, the service's setting is the only limit.
    raised = settings.model_copy(update={"max_text_bytes": 1_200_000})
    with TestClient(create_app(raised)) as c:
        r = c.post("/v1/classify", json={"text": ("jalan rusak " * 100_000)[:1_100_000]})
        assert r.status_code == 200 and r.json()["sector"]["label"] == "infrastruktur"


def test_the_body_limit_message_names_its_setting(small_model_dir, tmp_path):
    s = Settings(model_dir=small_model_dir, feedback_db=tmp_path / "f.db", max_body_bytes=2048)
    with TestClient(create_app(s)) as c:
        r = c.post("/v1/analyze", json={"text": "jalan " * 1000})
    assert r.status_code == 413 and "PILAH_MAX_BODY_BYTES" in r.json()["detail"]


@pytest.mark.parametrize("path", ["/v1/analyze", "/v1/classify"])
def test_explain_on_an_abstention_returns_an_empty_explanation(client, path):
    r = client.post(path, json={"text": "selamat hari raya untuk semua warga", "explain": True})
    assert r.status_code == 200 and r.json()["labels"] == [] and r.json()["explanation"] == []
    batch = client.post("/v1/analyze/batch", json={"documents": [{"text": "selamat hari raya untuk semua warga"}],
                                                   "explain": True}).json()["results"][0]
    assert batch["explanation"] == []


TEXT = "sudah 3 kali ke Dinsos Kota Jambi tapi tidak ada hasil"  # "Dinsos Kota Jambi" is at 16-33


@pytest.mark.parametrize(
    ("body", "status", "code", "says"),
    [
        ({"labels": []}, 422, "invalid_labels", '["lainnya"]'),
        ({"labels": ["lainnya", "adminduk"]}, 422, "invalid_labels", "alone"),
        ({"labels": ["adminduk", "adminduk"]}, 422, "invalid_labels", "more than once"),
        ({"labels": ["jalan_raya"]}, 422, "unknown_label", "GET /v1/taxonomy"),
        ({"labels": "adminduk"}, 422, "invalid_labels", "list of sector ids"),
        ({"labels": [3]}, 422, "invalid_labels", "list of sector ids"),
        ({"id": 1.5}, 422, "invalid_id", "string or an integer"),
        ({"id": None}, 422, "invalid_id", "string or an integer"),
        ({"id": " "}, 422, "invalid_id", "is empty"),
        ({"text": ""}, 422, "empty_text", "empty"),
        ({"text": 5}, 422, "text_not_string", "string"),
        ({"text": "jalan " * 400}, 413, "text_too_large", "PILAH_MAX_TEXT_BYTES"),
        ({"agencies": [{"start": 33, "end": 16, "name": "Dinas Sosial Kota Jambi"}]}, 422, "invalid_agency",
         "0 <= start < end <= 54"),
        ({"agencies": [{"start": 16, "end": 99, "name": "Dinas Sosial Kota Jambi"}]}, 422, "invalid_agency",
         "agencies[0]: start 16 and end 99"),
        ({"agencies": [{"start": -1, "end": 5, "name": "Dinas Sosial Kota Jambi"}]}, 422, "invalid_agency",
         "agencies[0].start"),
        ({"agencies": [{"start": 16, "end": 33, "name": "  "}]}, 422, "invalid_agency", "official name"),
        ({"agencies": [{"start": 16, "end": 33}]}, 422, "invalid_agency", "agencies[0].name"),
        ({"agencies": [{"start": "16", "end": 33, "name": "Dinas Sosial Kota Jambi"}]}, 422, "invalid_agency",
         '"start": int'),
        ({"agencies": [{"start": 16, "end": 33, "name": "Dinas Sosial Kota Jambi", "text": "Dinsos"}]}, 422,
         "invalid_agency", "\'Dinsos Kota Jambi\' at 16-33"),
        ({"agencies": {"start": 16}}, 422, "invalid_agency", "agencies:"),
    ],
)
def test_a_bad_correction_is_refused_with_a_code_and_nothing_is_stored(client, settings, body, status, code, says):
    r = client.post("/v1/feedback", json={"id": "lapor-1", "text": TEXT, "labels": ["adminduk"], **body})
    assert r.status_code == status and r.json()["code"] == code
    assert says in r.json()["detail"]
    from pilah.service.feedback import FeedbackStore

    assert FeedbackStore(settings.feedback_db).rows() == []


def test_a_correction_stores_its_agencies_in_the_corpus_shape(client, settings):
    agency = {"start": 16, "end": 33, "name": "Dinas Sosial Kota Jambi", "kind": "dinas", "acronym": "Dinsos"}
    r = client.post("/v1/feedback", json={"id": 7, "text": TEXT, "labels": ["lainnya"], "agencies": [agency]})
    assert r.status_code == 200
    from pilah.service.feedback import FeedbackStore

    (row,) = FeedbackStore(settings.feedback_db).rows()
    assert json.loads(row["labels"]) == []  # out of scope, trained as the abstain label
    assert json.loads(row["agencies"]) == [
        {"start": 16, "end": 33, "name": "Dinas Sosial Kota Jambi", "text": "Dinsos Kota Jambi"}
    ]


def test_a_repeated_id_replaces_its_correction_only_with_the_same_text(client, settings):
    from pilah.service.feedback import FeedbackStore, read_feedback_examples

    first = client.post("/v1/feedback", json={"id": "d1", "text": TEXT, "labels": ["adminduk"]})
    again = client.post("/v1/feedback", json={"id": "d1", "text": TEXT, "labels": ["kesehatan"]})
    assert first.status_code == 200 and again.status_code == 200
    other = client.post("/v1/feedback", json={"id": "d1", "text": "jalan rusak", "labels": ["infrastruktur"]})
    assert other.status_code == 409 and other.json()["code"] == "feedback_conflict"
    assert "'d1'" in other.json()["detail"] and "same text" in other.json()["detail"]
    assert len(FeedbackStore(settings.feedback_db).rows()) == 2
    (example,) = read_feedback_examples(settings.feedback_db, "lainnya")
    assert example.labels == ("kesehatan",) and example.text == TEXT  # the latest correction wins


def test_after_a_reload_only_the_new_model_reads_1_in_multiprocess_metrics(tmp_path):
    """prometheus_client picks its multiprocess values at import: a fresh interpreter with the variable set."""
    code = (
        "from prometheus_client import CollectorRegistry\n"
        "from pilah.service.metrics import ServiceMetrics\n"
        "m = ServiceMetrics(CollectorRegistry())\n"
        "m.set_model('pilah', 'v1'); m.set_model('pilah', 'v2')\n"
        "print('\\n'.join(l for l in m.exposition().decode().splitlines() if l.startswith('pilah_model_info')))\n"
    )
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-W", "error", "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout
    values = {line.split('version="')[1].split('"')[0]: float(line.rsplit(" ", 1)[1]) for line in out.splitlines()}
    assert values == {"v1": 0.0, "v2": 1.0}
