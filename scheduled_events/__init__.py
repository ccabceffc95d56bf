"""scheduled_events app."""
