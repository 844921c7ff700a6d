"""Imports the Python that //services/backend:generated generated, through py_library."""

import json
import os
import unittest

import pydantic

from generated import protocols
from generated.routers import authors, books
from shared.generated import events, schemas
from shared.generated.clients import backend


class GeneratedTest(unittest.TestCase):
    def test_models_validate(self) -> None:
        author = schemas.AuthorCreate(name="Ursula K. Le Guin", country="US")
        self.assertEqual(author.model_dump()["name"], "Ursula K. Le Guin")
        with self.assertRaises(pydantic.ValidationError):
            schemas.AuthorCreate(name="", country="usa")

    def test_service_modules(self) -> None:
        self.assertTrue(hasattr(protocols, "BooksControllerProtocol"))
        self.assertTrue(hasattr(backend, "BackendClient"))
        self.assertTrue(hasattr(authors, "router") or dir(authors))
        self.assertTrue(dir(books) and dir(events))

    def test_openapi_names_the_models(self) -> None:
        # data = [":openapi"]: the generated OpenAPI document is a runfile.
        path = os.path.join("services/backend/generated/services/backend/docs/openapi.json")
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        components = doc["components"]["schemas"]
        for name in ["AuthorCreate", "AuthorRead", "BookCreate", "BookRead"]:
            self.assertIn(name, components)
            self.assertTrue(hasattr(schemas, name), name)


if __name__ == "__main__":
    unittest.main()
