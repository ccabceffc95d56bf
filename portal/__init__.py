"""The customer portal: server-rendered pages where an account manages its endpoints, reads what was
sent and what its server answered, and recovers, on the same services as the API. The top layer: it
may import every app, and no app imports it."""
