"""Chaos tests: real faults against a running platform (docs/reliability.md; `make chaos`)."""
