"""Builders of small real models for the edge-quantize tests (see tiny_models.py)."""
