"""Tools for people trying or measuring the product, not for its users: invented data
at any scale (datagen.py), the demo's seeding (demo.py) and the embedded PostgreSQL the
demo runs on when no database is configured (embedded_postgres.py)."""
