"""Test support shared by every app: fake external services and their pytest fixtures."""
