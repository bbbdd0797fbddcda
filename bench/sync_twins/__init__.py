"""The sync twins of the async overview and dashboard, for bench/async_views.py only."""
