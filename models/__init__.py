"""Shipped trained models (installed as zotrec.models)."""
