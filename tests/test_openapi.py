"""/api/openapi.json describes exactly the routes the API serves."""

import re

from werkzeug.routing import Rule


def _openapi_path(rule: Rule) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)


def test_document_is_served(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"].startswith("3.")
    assert "/api/posts/{slug}/comments" in doc["paths"]


def test_every_api_route_is_described_and_nothing_more(app, client):
    doc = client.get("/api/openapi.json").get_json()
    served: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            methods = {m.lower() for m in rule.methods} - {"head", "options"}
            served.setdefault(_openapi_path(rule), set()).update(methods)
    described = {path: set(ops) for path, ops in doc["paths"].items()}
    assert served == described
