"""Helpers shared by Studio's tests."""
