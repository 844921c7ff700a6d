"""The hand-written side of the `backend` service: ORM rows (`app.models`), column types for
SQLite and Postgres alike (`app.types`), lookups (`app.queries`) and the conversion of rows to
the generated Pydantic models (`app.views`). The controllers in `controllers/` use these."""
