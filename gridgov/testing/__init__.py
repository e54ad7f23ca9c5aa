"""Test support shared by the whole suite (pytest plugins); never imported by the application."""
