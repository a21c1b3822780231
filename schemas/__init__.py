"""amili-fleet's event contracts, importable by producers: CloudEvents envelope, typed data, catalog.

Start at `schemas.catalog` (use cases, event types, topics, keys), `schemas.codec` (records <-> events)
and `docs/producers.md`. Models: `registrations`, `actions`, `partner` (inbound), `facts` (pollers),
`outcomes`; field types in `types` and `sweden`; dead letters in `deadletter`; export in `export`.
"""
