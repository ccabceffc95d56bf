"""deliveries app."""
