"""Deterministic runtime annotations: sandboxed compile → judge → measure (simulate)."""
