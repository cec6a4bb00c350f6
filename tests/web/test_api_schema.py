"""The API against its own OpenAPI schema, with schemathesis: no input gives a 5xx.

schemathesis draws requests from the schema (valid ones and ones just
outside it) for every operation, as an admin with an API token over the
seeded books; whatever it sends, the answer is a success or a 4xx with the
error shape, never a server error (docs/web.md, "Errors").
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

from booksync.db.engine import session_factory
from booksync.users.tokens import create_token
from tests.web.conftest import ADMIN, Web

EXAMPLES = 20  # per operation and database; CI runs both databases


def test_no_request_the_schema_allows_or_nearly_allows_gives_a_server_error(web: Web) -> None:
    with session_factory(web.engine).begin() as session:
        token = create_token(session, ADMIN, "schemathesis")[1]
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", web.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, "the schema lists the API's operations"
    failures: list[str] = []
    for operation in operations:
        strategy = operation.as_strategy()

        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=strategy)
        def call(case: schemathesis.Case) -> None:
            try:
                answer = case.call(headers=headers)
            except Exception as exc:  # the app raised: a server error the client would see
                failures.append(f"{case.method} {case.formatted_path} -> "
                                f"{type(exc).__name__}: {exc}")
                return
            if answer.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} -> "
                                f"{answer.status_code}: {answer.text[:200]}")
            elif answer.status_code >= 400 and "application/json" in str(
                    answer.headers.get("content-type")):
                body = answer.json()
                assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]), (
                    case.method, case.formatted_path, body)

        call()
    assert not failures, "\n".join(failures[:20])


def test_the_schema_is_served_and_names_the_api(web: Web) -> None:
    schema = web.client().get("/api/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    assert any(path.startswith("/api/v1/") for path in schema["paths"])
