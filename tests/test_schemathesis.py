"""SEC-1, bounded fuzzing: schemathesis generates requests from `/openapi.json` — valid ones and, in
negative mode, ones that break the schema — for every operation, as an admin of the demo company, on
each engine. No answer may be a server error. Bounded: a few examples per operation and mode."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from poolcrm.demo import run_demo
from tests.conftest import auth_headers

EXAMPLES_PER_MODE = 6
SKIPPED = ("/api/v1/admin/clock",)  # moves the process-wide clock under the other tests


def test_sec1_schemathesis_finds_no_server_error_on_any_operation(app, client, database, make_user):
    run_demo(database)
    make_user("fuzz", ["admin", "gm", "cs", "sales"], dept="总经办", kind="other")
    headers = auth_headers(client, "fuzz")
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: dict[str, list[Any]] = defaultdict(list)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 50
    for operation in operations:
        if operation.path.startswith(SKIPPED):
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES_PER_MODE,
                deadline=None,
                database=None,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(operation.as_strategy(generation_mode=mode))
            def call(case: Any) -> None:
                response = case.call(headers=headers)
                if response.status_code >= 500:
                    failures[f"{case.operation.method.upper()} {case.operation.path}"].append(
                        (response.status_code, case.path_parameters, case.query, str(case.body)[:200])
                    )

            try:
                call()
            except Unsatisfiable:  # nothing in this operation can be made invalid
                continue
    assert dict(failures) == {}
