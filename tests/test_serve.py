"""``specc serve``: the HTTP JSON API over real HTTP on 127.0.0.1 (standard-library clients).

One tiny Keras run is trained per session on made topic data (tests/test_train_e2e.py's
``make_csv``), served by uvicorn in a background thread, and its predictions over HTTP must
equal ``specc.load_run(...).predict(...)``.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

import specc
from specc.serve.app import ServeLimits, ServerThread, build_app, serve
from tests.conftest import ROOT
from tests.test_train_e2e import CSV_SPEC, make_csv

LIMITS = ServeLimits(max_texts=8, max_text_chars=200, max_body_bytes=4096, batch_wait_s=0.01)
TEXTS = ["goal match team", "bread cheese soup", "chip code data cloud",
         "the score of the match", "bake the bread with salt", "a robot in the cloud"]


@pytest.fixture(scope="session")
def serve_run(tmp_path_factory):
    """The folder of a finished run of the CSV topics spec (3 epochs)."""
    folder = tmp_path_factory.mktemp("serve")
    make_csv(folder)
    (folder / "spec.yaml").write_text(CSV_SPEC)
    spec = specc.load_spec(folder / "spec.yaml").replace({"train.epochs": 3})
    return specc.train(spec, out=folder / "run").folder


def _wait_healthy(url: str) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.05)


@pytest.fixture(scope="module")
def server(serve_run):
    """One model served under LIMITS: (ServerThread, the served Run)."""
    run = specc.load_run(serve_run)
    with ServerThread(build_app([run], LIMITS)) as s:
        _wait_healthy(s.url)
        yield s, run


@pytest.fixture(scope="module")
def two_models(serve_run):
    """The same run folder served twice: its second copy is named after the folder."""
    with ServerThread(build_app([specc.load_run(serve_run), specc.load_run(serve_run)],
                                LIMITS)) as s:
        _wait_healthy(s.url)
        yield s


def call(url: str, method: str, path: str, body=None, headers=None):
    """(status, parsed JSON body) of one request with http.client."""
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        if isinstance(body, dict | list):
            body = json.dumps(body)
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        if r.getheader("content-type", "").startswith("application/json"):
            return r.status, json.loads(data)
        return r.status, data.decode()
    finally:
        conn.close()


def expected_rows(folder, texts):
    return specc.load_run(folder).predict(texts).rows()


def assert_rows_equal(got, want):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.keys() == w.keys() and g["label"] == w["label"]
        for k, v in w.items():
            if k != "label":
                assert g[k] == pytest.approx(v, abs=1e-5)


def test_predict_health_models_and_docs(server, serve_run):
    s, run = server
    status, out = call(s.url, "POST", "/predict", {"texts": TEXTS})
    assert status == 200 and out["model"] == "topics"
    assert_rows_equal(out["predictions"], expected_rows(serve_run, TEXTS))
    assert [r["label"] for r in out["predictions"][:3]] == ["sport", "food", "tech"]
    # the model may be named; curl's default form content type is accepted too
    status, out2 = call(s.url, "POST", "/predict", {"texts": TEXTS[:1], "model": "topics"},
                        {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200 and out2["model"] == "topics"
    assert_rows_equal(out2["predictions"], out["predictions"][:1])

    assert call(s.url, "GET", "/health") == (200, {"status": "ok", "models": ["topics"]})
    status, models = call(s.url, "GET", "/models")
    assert status == 200 and len(models) == 1
    m = models[0]
    assert (m["name"], m["task"], m["classes"]) == ("topics", "multiclass",
                                                    ["food", "sport", "tech"])
    assert m["spec"] == run.spec.to_dict() and m["spec"]["train"]["epochs"] == 3

    status, doc = call(s.url, "GET", "/openapi.json")
    assert status == 200 and doc["openapi"].startswith("3.")
    assert "post" in doc["paths"]["/predict"] and {"/health", "/models"} <= set(doc["paths"])
    assert doc["components"]["schemas"]["PredictRequest"]["properties"]["model"]["enum"] == [
        "topics"]
    status, page = call(s.url, "GET", "/docs")
    assert status == 200 and "/openapi.json" in page and "<script" not in page


def _chunks(n):
    for _ in range(n):
        yield b" " * 512


BAD = [  # (method, path, body, headers, status)
    ("POST", "/predict", '{"texts": ["a"', None, 400),
    ("POST", "/predict", b"\xff\xfe\xfa", None, 400),
    ("POST", "/predict", "[1, 2]", None, 422),
    ("POST", "/predict", {}, None, 422),
    ("POST", "/predict", {"text": ["a"]}, None, 422),
    ("POST", "/predict", {"texts": "a single string"}, None, 422),
    ("POST", "/predict", {"texts": ["ok", 3]}, None, 422),
    ("POST", "/predict", {"texts": [None]}, None, 422),
    ("POST", "/predict", {"texts": []}, None, 422),
    ("POST", "/predict", {"texts": ["x"] * 9}, None, 413),  # over max_texts
    ("POST", "/predict", {"texts": ["x" * 201]}, None, 422),  # over max_text_chars
    ("POST", "/predict", {"texts": ["y" * 5000]}, None, 413),  # body over max_body_bytes
    ("POST", "/predict", _chunks(10), {"Transfer-Encoding": "chunked"}, 413),
    ("POST", "/predict", {"texts": ["a"], "model": "nope"}, None, 404),
    ("POST", "/predict", {"texts": ["a"], "model": 7}, None, 422),
    ("GET", "/predict", None, None, 405),
    ("POST", "/health", "{}", None, 405),
    ("GET", "/nope", None, None, 404),
]


@pytest.mark.parametrize("method,path,body,headers,status", BAD,
                         ids=[f"{i}-{b[4]}" for i, b in enumerate(BAD)])
def test_bad_requests_get_one_line_json_errors(server, method, path, body, headers, status):
    s, _ = server
    if headers and "Transfer-Encoding" in headers:  # http.client sends a generator chunked
        host, port = s.url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        conn.request(method, path, body=body, encode_chunked=True)
        r = conn.getresponse()
        got, out = r.status, json.loads(r.read())
        conn.close()
    else:
        got, out = call(s.url, method, path, body, headers)
    assert got == status, out
    assert list(out) == ["error"] and isinstance(out["error"], str)
    assert "\n" not in out["error"] and "Traceback" not in out["error"] and out["error"]
    assert call(s.url, "GET", "/health")[0] == 200


def test_text_over_the_limit_names_it(server):
    s, _ = server
    status, out = call(s.url, "POST", "/predict", {"texts": ["fine", "z" * 201]})
    assert status == 422 and "texts[1]" in out["error"] and "200" in out["error"]
    assert call(s.url, "POST", "/predict", {"texts": ["z" * 200]})[0] == 200


def test_a_failing_model_gives_500_and_the_server_keeps_serving(server, monkeypatch):
    s, run = server

    def broken(texts):
        raise ValueError("boom\nwith a second line")
    monkeypatch.setattr(run, "predict", broken)
    status, out = call(s.url, "POST", "/predict", {"texts": ["goal"]})
    assert status == 500 and list(out) == ["error"] and "\n" not in out["error"]
    assert "ValueError" in out["error"]
    monkeypatch.undo()
    assert call(s.url, "GET", "/health")[0] == 200
    assert call(s.url, "POST", "/predict", {"texts": ["goal"]})[0] == 200


def test_32_concurrent_requests_get_their_own_rows(server, serve_run):
    s, _ = server
    batcher = s.server.config.app.state.api.batchers["topics"]
    requests = [[TEXTS[(i + k) % len(TEXTS)] + f" {i}" for k in range(1 + i % 3)]
                for i in range(32)]
    want = expected_rows(serve_run, [t for r in requests for t in r])
    calls_before = batcher.calls
    barrier = threading.Barrier(32)

    def post(texts):
        data = json.dumps({"texts": texts}).encode()
        req = urllib.request.Request(s.url + "/predict", data=data, method="POST",
                                     headers={"Content-Type": "application/json"})
        barrier.wait(timeout=20)
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())

    with ThreadPoolExecutor(32) as pool:
        results = list(pool.map(post, requests))
    start = 0
    for texts, (status, out) in zip(requests, results):
        assert status == 200 and out["model"] == "topics"
        assert_rows_equal(out["predictions"], want[start:start + len(texts)])
        start += len(texts)
    assert batcher.calls - calls_before < 32  # requests shared model calls


def test_keep_alive_answers_are_not_held_back_by_nagle(server):
    """Responses on a reused connection must not wait for the client's delayed ACK
    (~40 ms each when the server's sockets lack TCP_NODELAY)."""
    s, _ = server
    host, port = s.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    times = []
    for _ in range(15):
        start = time.perf_counter()
        conn.request("POST", "/predict", body=json.dumps({"texts": ["goal"]}))
        conn.getresponse().read()
        conn.request("GET", "/health")
        conn.getresponse().read()
        times.append(time.perf_counter() - start)
    conn.close()
    assert sorted(times)[len(times) // 2] < 0.06  # two held-back answers: >= 80 ms


def test_several_models_need_a_name(two_models, serve_run):
    s = two_models
    assert call(s.url, "GET", "/health")[1]["models"] == ["topics", "run"]
    status, out = call(s.url, "POST", "/predict", {"texts": ["goal"]})
    assert status == 422 and "topics, run" in out["error"]
    want = expected_rows(serve_run, ["goal match"])
    for name in ("topics", "run"):
        status, out = call(s.url, "POST", "/predict", {"texts": ["goal match"], "model": name})
        assert status == 200 and out["model"] == name
        assert_rows_equal(out["predictions"], want)
    assert [m["name"] for m in call(s.url, "GET", "/models")[1]] == ["topics", "run"]


def test_limits_defaults_and_bad_folders(tmp_path):
    assert ServeLimits() == ServeLimits(256, 20000, 4 << 20, 0.002)
    with pytest.raises(specc.UsageError):
        serve([str(tmp_path)], port=0)
    with pytest.raises(specc.UsageError):
        build_app([], LIMITS)


def test_specc_serve_command_prints_its_address_and_stops_on_ctrl_c(serve_run):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.Popen([sys.executable, "-m", "specc", "serve", str(serve_run), "--port",
                             "0"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("serving 1 model(s) at http://127.0.0.1:"), line
        assert line.endswith(" (docs: /docs)")
        url = line.split(" at ")[1].split(" ")[0]
        assert call(url, "GET", "/health") == (200, {"status": "ok", "models": ["topics"]})
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
