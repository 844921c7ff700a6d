"""The `shared` package of the bookshelf fleet: `shared.generated` is written by specgen
(models in `schemas`, typed clients in `clients`); anything hand-written for every service
goes next to it. Import root: the `shared/` directory (put it on PYTHONPATH)."""
