"""Policy 7: reflect a live database, write it as a deterministic snapshot, compare two schemas.

`connect` opens a database read-only, `reflect` reads its schema (SQLAlchemy's inspector plus
the catalogues where the inspector stops), `snapshot` turns that into sorted, normalised JSON,
`drift` compares two snapshots into GOV701-GOV703 findings and `owners` names the migration
that made each object. Nothing here writes to a database.
"""
