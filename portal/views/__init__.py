"""Portal pages, one module per area; portal/urls.py routes to them."""
