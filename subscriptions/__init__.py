"""subscriptions app."""
