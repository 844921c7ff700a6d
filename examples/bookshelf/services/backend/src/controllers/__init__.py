"""The business logic of the `backend` service: one controller class per domain, each
implementing its Protocol from `generated.protocols` (the generated routers call them)."""
