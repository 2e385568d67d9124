"""The HTTP JSON API of ``specc serve``: a Starlette app over finished runs, run by uvicorn.

Endpoints:

* ``POST /predict`` with ``{"texts": ["...", ...], "model": "<name>"}`` (``model`` may be
  left out when one run is served) -> ``{"model": name, "predictions": [row, ...]}``, one
  row per text in input order, as :meth:`specc.runtime.predictors.Predictions.rows` gives
  it (``{"label": "pos", "neg": 0.1, "pos": 0.9}``, or ``{"prediction": 1.2}`` for
  regression).
* ``GET /health`` -> ``{"status": "ok", "models": [name, ...]}``.
* ``GET /models`` -> ``[{"name", "task", "classes", "spec"}, ...]`` (``spec``: the resolved
  spec the run trained, a dict; ``classes``: None for regression).
* ``GET /openapi.json`` (OpenAPI 3.1) and ``GET /docs`` (a self-contained HTML page).

Model names: a run is served under its spec's name; a run whose spec name is already taken
is served under its run folder's name instead (then ``<folder>-2``, ``-3``, ... should that
be taken too). ``GET /models`` lists the names in the order the runs were given.

Every refused request gets ``{"error": "<one line>"}``: 400 malformed JSON (or a bad
``Content-Length``); 404 unknown path or model; 405 wrong method; 413 a body over
``max_body_bytes`` (checked against ``Content-Length`` and counted while reading, so chunked
bodies are bounded too) or more than ``max_texts`` texts; 422 a body that is not an object,
an unknown field, ``texts`` missing, not a list of strings or empty, a text longer than
``max_text_chars`` characters, ``model`` missing while several runs are served or not a
string; 500 an unexpected error while predicting (logged with its traceback on the server;
the server keeps serving).

Micro-batching: each model has one :class:`Batcher` (an asyncio queue and one task) that
gathers concurrent requests for up to ``batch_wait_s`` seconds, or until
``4 * max_texts`` texts are waiting, predicts them in one ``Run.predict`` call on a worker
thread and hands each request its own slice of the rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import logging
import shlex
import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from specc import __version__
from specc.errors import SpeccError, UsageError, one_line

log = logging.getLogger("specc.serve")


@dataclass(frozen=True)
class ServeLimits:
    """What one request may ask of the server.

    Attributes:
        max_texts: most texts in one ``POST /predict`` (more: 413).
        max_text_chars: longest text, in characters (Unicode code points; longer: 422).
        max_body_bytes: largest request body in bytes (larger: 413); default 4 MiB.
        batch_wait_s: seconds a request waits for others to share one model call
            (micro-batching; 0 still batches the requests that are already waiting).
    """

    max_texts: int = 256
    max_text_chars: int = 20000
    max_body_bytes: int = 4 << 20
    batch_wait_s: float = 0.002


class ApiError(HTTPException):
    """A refused request: answered ``{"error": detail}`` with ``status_code``.

    Args:
        status_code: the HTTP status (4xx or 500).
        detail: what is wrong, one line (made one line if it is not).
    """

    def __init__(self, status_code: int, detail: str):
        super().__init__(status_code, one_line(detail))


def _error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": one_line(message)}, status, headers=headers)


def _short(value: object, n: int = 60) -> str:
    """``value`` as JSON, cut to ``n`` characters, for an error message."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= n else text[:n - 3] + "..."


_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
               int: "a number", float: "a number", type(None): "null"}


def _json_type(value: object) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


# --- micro-batching -------------------------------------------------------------------------

@dataclass
class _Job:
    texts: list[str]
    future: asyncio.Future


class Batcher:
    """Gathers concurrent prediction requests for one run into shared ``Run.predict`` calls.

    Args:
        run: the run (anything with ``predict(list[str]) -> Predictions``).
        wait_s: seconds to wait for more requests after the first one of a batch arrives.
        max_batch: most texts in one model call; a request that would overflow a batch waits
            for the next one (a single request is never split).

    Attributes:
        calls: how many ``run.predict`` calls were made (for tests and the bench).

    The queue and its task are made on first use, in the running event loop; model calls
    run on a worker thread, one at a time per model, so requests arriving meanwhile form
    the next batch.
    """

    def __init__(self, run, wait_s: float, max_batch: int):
        self.run, self.wait_s, self.max_batch = run, float(wait_s), int(max_batch)
        self.calls = 0
        self._queue: asyncio.Queue | None = None
        self._task: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._carry: _Job | None = None

    async def predict(self, texts: list[str]) -> list[dict]:
        """The rows of ``texts`` (one JSON-ready dict per text, in order).

        Raises:
            Exception: whatever ``run.predict`` raised for the batch holding these texts.
        """
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._loop is not loop:
            self._loop, self._queue, self._carry = loop, asyncio.Queue(), None
            self._task = loop.create_task(self._serve_batches())
        job = _Job(list(texts), loop.create_future())
        self._queue.put_nowait(job)
        return await job.future

    async def stop(self) -> None:
        """Cancel the batching task and fail the requests still waiting."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        waiting = [self._carry] if self._carry else []
        while self._queue is not None and not self._queue.empty():
            waiting.append(self._queue.get_nowait())
        for job in waiting:
            if not job.future.done():
                job.future.set_exception(RuntimeError("the server is shutting down"))
        self._task = self._queue = self._carry = None

    async def _next_batch(self) -> list[_Job]:
        """Jobs for one model call: the first waiting job, then whatever arrives within
        ``wait_s`` while the batch has room."""
        loop = asyncio.get_running_loop()
        if self._carry is not None:  # the job that did not fit in the last batch
            first, self._carry = self._carry, None
        else:
            first = await self._queue.get()
        jobs, n = [first], len(first.texts)
        deadline = loop.time() + self.wait_s
        while n < self.max_batch:
            try:
                job = self._queue.get_nowait()
            except asyncio.QueueEmpty:
                left = deadline - loop.time()
                if left <= 0:
                    break
                try:
                    job = await asyncio.wait_for(self._queue.get(), left)
                except TimeoutError:
                    break
            if n + len(job.texts) > self.max_batch:
                self._carry = job
                break
            jobs.append(job)
            n += len(job.texts)
        return jobs

    def _predict_rows(self, texts: list[str]) -> list[dict]:
        rows = self.run.predict(texts).rows()
        if len(rows) != len(texts):
            raise RuntimeError(f"the model gave {len(rows)} rows for {len(texts)} texts")
        return rows

    async def _serve_batches(self) -> None:
        while True:
            jobs = [j for j in await self._next_batch() if not j.future.done()]
            if not jobs:
                continue
            texts = [t for j in jobs for t in j.texts]
            self.calls += 1
            try:
                rows = await asyncio.to_thread(self._predict_rows, texts)
            except Exception as e:  # every request of the batch gets the error; keep serving
                log.error("predict failed for %d texts", len(texts), exc_info=True)
                for j in jobs:
                    if not j.future.done():
                        j.future.set_exception(e)
                continue
            start = 0
            for j in jobs:
                if not j.future.done():
                    j.future.set_result(rows[start:start + len(j.texts)])
                start += len(j.texts)


# --- the app --------------------------------------------------------------------------------

def model_names(runs: Sequence) -> list[str]:
    """The name each run is served under, in order: its spec's name, or for a name already
    taken its run folder's name (then ``<folder>-2``, ``-3``, ...)."""
    names: list[str] = []
    for run in runs:
        name = run.name if run.name not in names else Path(run.folder).name
        base, i = name, 2
        while name in names:
            name, i = f"{base}-{i}", i + 1
        names.append(name)
    return names


async def _read_body(request: Request, limit: int) -> bytes:
    """The request body, refused (413) past ``limit`` bytes before it is all read."""
    length = request.headers.get("content-length")
    if length is not None:
        if not length.strip().isdigit():
            raise ApiError(400, f"invalid Content-Length header {_short(length)}")
        if int(length) > limit:
            raise ApiError(413, f"request body of {int(length)} bytes is over the limit of "
                                f"{limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise ApiError(413, f"request body is over the limit of {limit} bytes")
    return bytes(body)


def _parse_json(raw: bytes) -> object:
    try:
        return json.loads(raw)
    except json.JSONDecodeError as e:
        raise ApiError(400, f"malformed JSON: {e.msg} (line {e.lineno}, column {e.colno})"
                       ) from None
    except (ValueError, RecursionError) as e:  # bad UTF-8/16/32, nesting too deep
        raise ApiError(400, f"malformed JSON ({type(e).__name__})") from None


def _texts(body: dict, limits: ServeLimits) -> list[str]:
    """``body["texts"]``, checked against ``limits`` (422 or 413)."""
    if "texts" not in body:
        raise ApiError(422, 'the body needs "texts": a list of strings')
    texts = body["texts"]
    if not isinstance(texts, list):
        raise ApiError(422, f'"texts" must be a list of strings, not {_json_type(texts)}')
    if not texts:
        raise ApiError(422, '"texts" is empty; give at least one text')
    if len(texts) > limits.max_texts:
        raise ApiError(413, f"{len(texts)} texts; at most {limits.max_texts} per request")
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise ApiError(422, f"texts[{i}] is {_json_type(text)}, not a string")
        if len(text) > limits.max_text_chars:
            raise ApiError(422, f"texts[{i}] has {len(text)} characters; the limit is "
                                f"{limits.max_text_chars}")
    return texts


class _Api:
    """The endpoints over the served runs (see the module docstring)."""

    def __init__(self, runs: Sequence, limits: ServeLimits):
        self.limits = limits
        self.runs = dict(zip(model_names(runs), runs))
        self.batchers = {name: Batcher(run, limits.batch_wait_s, 4 * limits.max_texts)
                         for name, run in self.runs.items()}

    def _model(self, body: dict) -> str:
        name = body.get("model")
        if name is None:
            if len(self.runs) == 1:
                return next(iter(self.runs))
            raise ApiError(422, f'{len(self.runs)} models are served: name one with "model" '
                                f"(one of {', '.join(self.runs)})")
        if not isinstance(name, str):
            raise ApiError(422, f'"model" must be a string, not {_json_type(name)}')
        if name not in self.runs:
            raise ApiError(404, f"unknown model {_short(name)}; served: "
                                f"{', '.join(self.runs)}")
        return name

    async def predict(self, request: Request) -> JSONResponse:
        body = _parse_json(await _read_body(request, self.limits.max_body_bytes))
        if not isinstance(body, dict):
            raise ApiError(422, 'the body must be a JSON object such as {"texts": ["a text"]}, '
                                f"not {_json_type(body)}")
        unknown = sorted(set(body) - {"texts", "model"})
        if unknown:
            raise ApiError(422, f"unknown field {_short(unknown[0])}; the fields are "
                                '"texts" and "model"')
        name = self._model(body)
        texts = _texts(body, self.limits)
        try:
            rows = await self.batchers[name].predict(texts)
        except SpeccError as e:
            raise ApiError(500, f"prediction failed: {e}") from None
        except Exception as e:
            raise ApiError(500, f"prediction failed ({type(e).__name__}); see the server "
                                "log") from None
        return JSONResponse({"model": name, "predictions": rows})

    async def health(self, request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "models": list(self.runs)})

    async def models(self, request: Request) -> JSONResponse:
        return JSONResponse([{"name": name, "task": run.task, "classes": run.class_names,
                              "spec": run.spec.to_dict()} for name, run in self.runs.items()])

    async def openapi(self, request: Request) -> JSONResponse:
        return JSONResponse(openapi_document(list(self.runs), self.limits))

    async def docs(self, request: Request) -> HTMLResponse:
        return HTMLResponse(docs_page(list(self.runs), self.limits,
                                      str(request.base_url).rstrip("/")))


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    """Starlette's own 404/405 (and any :class:`ApiError`) as ``{"error": ...}``."""
    message = exc.detail
    if not isinstance(exc, ApiError):
        if exc.status_code == 404:
            message = f"no such path: {request.url.path} (see /docs)"
        elif exc.status_code == 405:
            allow = (exc.headers or {}).get("Allow", "")
            message = f"method {request.method} is not allowed on {request.url.path}; use {allow}"
    return _error(exc.status_code, message, headers=exc.headers)


async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    """Any other exception: 500 with one line (uvicorn logs the traceback)."""
    return _error(500, f"internal error ({type(exc).__name__})")


def build_app(runs: Sequence, limits: ServeLimits = ServeLimits()) -> Starlette:
    """The Starlette app serving ``runs`` (see the module docstring for the endpoints).

    Loads every run's model now (``run.predictor``), so the first request is not slowed by
    it.

    Args:
        runs: finished runs (:class:`specc.api.Run`, e.g. from :func:`specc.load_run`), at
            least one.
        limits: the request limits and batching wait.

    Raises:
        UsageError: no runs, or a run whose model cannot be loaded.
    """
    if not runs:
        raise UsageError("specc serve needs at least one run folder")
    for run in runs:
        run.predictor  # noqa: B018 (loads the model)
    api = _Api(runs, limits)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        for batcher in api.batchers.values():
            await batcher.stop()

    app = Starlette(routes=[Route("/predict", api.predict, methods=["POST"]),
                            Route("/health", api.health, methods=["GET"]),
                            Route("/models", api.models, methods=["GET"]),
                            Route("/openapi.json", api.openapi, methods=["GET"],
                                  include_in_schema=False),
                            Route("/docs", api.docs, methods=["GET"], include_in_schema=False)],
                    exception_handlers={HTTPException: _http_error, Exception: _internal_error},
                    lifespan=lifespan)
    app.state.api = api
    return app


# --- documentation --------------------------------------------------------------------------

def openapi_document(names: list[str], limits: ServeLimits) -> dict:
    """The OpenAPI 3.1 document of the API serving models ``names`` under ``limits``."""
    def ref(name):
        return {"$ref": f"#/components/schemas/{name}"}

    def ok(schema, description):
        return {"description": description, "content": {"application/json": {"schema": schema}}}

    def refused(description):
        return ok(ref("Error"), description)

    number = {"type": "number"}
    schemas = {
        "PredictRequest": {
            "type": "object", "required": ["texts"], "additionalProperties": False,
            "properties": {
                "texts": {"type": "array", "minItems": 1, "maxItems": limits.max_texts,
                          "items": {"type": "string", "maxLength": limits.max_text_chars}},
                "model": {"type": "string", "enum": names,
                          "description": "required when several models are served"}}},
        "Prediction": {
            "type": "object",
            "description": "classification: the predicted label and one probability per "
                           "class (or decision values score/score_<class>); regression: "
                           "prediction",
            "properties": {"label": {"type": "string"}, "prediction": number},
            "additionalProperties": number},
        "PredictResponse": {
            "type": "object", "required": ["model", "predictions"],
            "properties": {"model": {"type": "string"},
                           "predictions": {"type": "array", "items": ref("Prediction")}}},
        "Health": {"type": "object", "properties": {
            "status": {"const": "ok"}, "models": {"type": "array", "items": {"type": "string"}}}},
        "Model": {"type": "object", "required": ["name", "task", "classes", "spec"],
                  "properties": {
                      "name": {"type": "string"},
                      "task": {"enum": ["binary", "multiclass", "regression"]},
                      "classes": {"type": ["array", "null"], "items": {"type": "string"}},
                      "spec": {"type": "object", "description": "the resolved spec"}}},
        "Error": {"type": "object", "required": ["error"],
                  "properties": {"error": {"type": "string", "description": "one line"}}},
    }
    predict = {
        "summary": "Predict the classes (or values) of texts",
        "description": f"Concurrent requests for one model share model calls (micro-batching, "
                       f"up to {limits.batch_wait_s * 1000:g} ms of waiting).",
        "requestBody": {"required": True,
                        "content": {"application/json": {"schema": ref("PredictRequest")}}},
        "responses": {
            "200": ok(ref("PredictResponse"), "one prediction per text, in input order"),
            "400": refused("malformed JSON or Content-Length"),
            "404": refused("unknown model"),
            "413": refused(f"body over {limits.max_body_bytes} bytes or more than "
                           f"{limits.max_texts} texts"),
            "422": refused("not an object, unknown field, texts missing, empty, not strings "
                           f"or longer than {limits.max_text_chars} characters, model missing "
                           "while several are served"),
            "500": refused("the model failed on this batch")}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "specc serve", "version": __version__,
                 "description": f"Served models: {', '.join(names)}"},
        "paths": {
            "/predict": {"post": predict},
            "/health": {"get": {"summary": "Liveness and the served models",
                                "responses": {"200": ok(ref("Health"), "ok")}}},
            "/models": {"get": {"summary": "The served models and their specs",
                                "responses": {"200": ok({"type": "array", "items": ref("Model")},
                                                        "one entry per served model")}}}},
        "components": {"schemas": schemas},
    }


def docs_page(names: list[str], limits: ServeLimits, base_url: str = "http://HOST:PORT"
              ) -> str:
    """A self-contained HTML page describing the API (no scripts), linking /openapi.json;
    its curl example posts to ``base_url``."""
    esc = html.escape
    example = json.dumps({"texts": ["a great film"], "model": names[0]})
    endpoints = [
        ("POST", "/predict", '{"texts": [...], "model": name} -> {"model", "predictions"}'),
        ("GET", "/health", '{"status": "ok", "models": [...]}'),
        ("GET", "/models", "[{name, task, classes, spec}, ...]"),
        ("GET", "/openapi.json", "this API as OpenAPI 3.1")]
    rows = "".join(f"<tr><td><code>{m} {p}</code></td><td>{esc(d)}</td></tr>"
                   for m, p, d in endpoints)
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>specc serve</title>
<style>body{{font-family:sans-serif;max-width:50em;margin:2em auto}}td{{padding:.2em 1em}}</style>
</head><body>
<h1>specc serve</h1>
<p>Models: {", ".join(f"<code>{esc(n)}</code>" for n in names)}.
The full schema is at <a href="/openapi.json">/openapi.json</a>.</p>
<table>{rows}</table>
<h2>Example</h2>
<pre>curl -d {esc(shlex.quote(example))} {esc(base_url)}/predict</pre>
<p>Limits: {limits.max_texts} texts per request, {limits.max_text_chars} characters per
text, {limits.max_body_bytes} bytes per body. Errors are <code>{{"error": "..."}}</code>
with status 400, 404, 405, 413, 422 or 500.</p>
</body></html>
"""


# --- running it -----------------------------------------------------------------------------

def _bind(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host``:``port`` (0: a free port), not yet listening.

    Raises:
        UsageError: the address cannot be bound (in use, not this machine's, ...).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto given explicitly: asyncio sets TCP_NODELAY on accepted connections only when
    # the socket's proto is IPPROTO_TCP; without it Nagle's algorithm meets the client's
    # delayed ACK and every keep-alive response waits ~40 ms.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise UsageError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    return sock


def _server(app: Starlette):
    import uvicorn
    return uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))


def serve(run_dirs: list[str], host: str = "127.0.0.1", port: int = 8000,
          limits: ServeLimits = ServeLimits()) -> None:
    """Serve the runs in ``run_dirs`` on ``host``:``port`` until Ctrl-C (then return).

    Loads every model first, then prints ``serving N model(s) at http://HOST:PORT (docs:
    /docs)`` (the port actually bound when ``port`` is 0) and runs uvicorn (log level
    warning, no access log).

    Raises:
        UsageError: a folder that is not a finished run, a model that cannot be loaded, or
            an address that cannot be bound.
    """
    from specc.api import load_run
    sock = _bind(host, port)  # fail early on a busy port, before loading the models
    try:
        app = build_app([load_run(d) for d in run_dirs], limits)
        sock.listen(2048)  # connections now queue until uvicorn accepts them
        shown = f"[{host}]" if ":" in host else host
        print(f"serving {len(run_dirs)} model(s) at http://{shown}:{sock.getsockname()[1]} "
              "(docs: /docs)", flush=True)
        _server(app).run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl-C it handled
        pass
    finally:
        sock.close()


class ServerThread:
    """``app`` served by uvicorn on 127.0.0.1 (a free port) in a daemon thread: for tests,
    benchmarks and notebooks. Use as a context manager, or :meth:`start` / :meth:`stop`.

    Attributes:
        url: ``http://127.0.0.1:PORT``.
        server: the ``uvicorn.Server``.
    """

    def __init__(self, app: Starlette):
        self._sock = _bind("127.0.0.1", 0)
        self._sock.listen(2048)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self.server = _server(app)
        self._thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self._sock]},
                                        name="specc-serve", daemon=True)

    def start(self, timeout_s: float = 30) -> "ServerThread":
        """Start serving and wait until uvicorn has started.

        Raises:
            RuntimeError: uvicorn did not start within ``timeout_s`` seconds.
        """
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.01)
        return self

    def stop(self, timeout_s: float = 10) -> None:
        """Ask uvicorn to exit (``should_exit``) and wait for its thread."""
        self.server.should_exit = True
        self._thread.join(timeout_s)
        self._sock.close()

    def __enter__(self) -> "ServerThread":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
