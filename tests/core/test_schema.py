import pytest
from django.core.management import call_command


def test_openapi_schema_generates_and_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    for path in ("/api/v1/slots/:", "/api/v1/interviews/{id}/cancel:", "/api/v1/calendars/import/:"):
        assert path in text


@pytest.mark.django_db
def test_schema_and_docs_are_served_without_a_token(anon_client):
    assert anon_client.get("/api/v1/schema/").status_code == 200
    docs = anon_client.get("/api/v1/docs/")
    assert docs.status_code == 200 and b"swagger-ui" in docs.content
    assert b"cdn.jsdelivr" not in docs.content  # assets are served locally
