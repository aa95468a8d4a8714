import jsonschema
import pytest
from django.test import Client

from api import openapi
from api.models import ApiToken, Scope


@pytest.fixture
def ada(django_user_model):
    return django_user_model.objects.create(username="ada")


@pytest.fixture
def write_token(ada):
    return ApiToken.create(ada, "script", Scope.WRITE)[1]


@pytest.fixture
def read_token(ada):
    return ApiToken.create(ada, "dashboard", Scope.READ)[1]


@pytest.fixture
def api():
    """A client with no cookies, speaking to the API with a bearer token."""

    class Api:
        def __init__(self):
            self.client = Client()

        def get(self, path, token=None, **params):
            return self.client.get(path, params, **self._auth(token))

        def post(self, path, token=None, data=None, **headers):
            return self.client.post(
                path, data or {}, content_type="application/json", **self._auth(token), **headers
            )

        @staticmethod
        def _auth(token):
            return {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    return Api()


def conforms(response, schema_name: str) -> dict:
    """Validate a response body against the API's own OpenAPI component schema."""
    document = openapi.document("http://testserver/api/v1")
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": document["components"]}
    body = response.json()
    jsonschema.validate(body, schema, cls=jsonschema.Draft202012Validator)
    return body
