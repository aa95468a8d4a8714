"""schemathesis fuzzes the API against a running test server: no input may cause a 500, and
every answer must match the OpenAPI document."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from api import auth
from api.models import ApiToken, Scope
from tests.conftest import require_service, trials
from tests.enforcement.factories import finished_batch
from tests.sync.factories import owned_base

pytestmark = pytest.mark.django_db(transaction=True)


def test_schemathesis_finds_no_server_errors(
    live_server, django_user_model, monkeypatch, tmp_path, request
):
    cli = Path(sys.executable).with_name("schemathesis")
    require_service(cli.exists() or bool(shutil.which("schemathesis")), "the schemathesis CLI")
    monkeypatch.setattr(auth, "REQUESTS_PER_MINUTE", 100_000)  # fuzzing, not rate limiting
    user = django_user_model.objects.create(username="fuzzer")
    owned_base(user)
    finished_batch(user)
    _, token = ApiToken.create(user, "fuzz", Scope.WRITE)
    result = subprocess.run(
        [
            str(cli),
            "run",
            f"{live_server.url}/api/v1/openapi.json",
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,"
            "response_schema_conformance",
            "--max-examples",
            str(trials(request, full=25, quick=8)),
            "--generation-deterministic",
            "--workers",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
