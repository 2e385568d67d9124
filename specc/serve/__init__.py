"""``specc serve``: trained runs behind an HTTP JSON API (Starlette + uvicorn).

Endpoints (see :mod:`specc.serve.app`)::

    POST /predict       {"texts": ["a great film"], "model": "imdb-conv1d"}
                        -> {"model": "imdb-conv1d", "predictions": [{"label": "pos", ...}]}
    GET  /health        -> {"status": "ok", "models": ["imdb-conv1d"]}
    GET  /models        -> [{"name", "task", "classes", "spec"}, ...]
    GET  /openapi.json  the OpenAPI 3.1 document;  GET /docs: a page describing the API

Concurrent requests for one model are micro-batched into one ``Run.predict`` call.
Importing this package does not import Starlette, uvicorn or TensorFlow.
"""

from __future__ import annotations

__all__ = ["ServeLimits", "build_app", "serve", "ServerThread"]


def __getattr__(name: str):
    """Import the public names of :mod:`specc.serve.app` on first use (PEP 562)."""
    if name in __all__:
        from specc.serve import app
        return getattr(app, name)
    raise AttributeError(f"module 'specc.serve' has no attribute {name!r}")
