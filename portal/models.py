"""Portal links: the single-use half of a portal session. The signed token in the URL carries only the
nonce; this row says whose it is, what it may see, until when, and whether it was used already."""

from __future__ import annotations

from django.db import models

from eventhub.models import Account, ApiKey


class PortalLink(models.Model):
    """`used_at` is set by one conditional UPDATE, so two concurrent opens of one link start one session."""

    nonce = models.CharField(max_length=64, unique=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    # The key that minted the link: portal actions are audited as it (via portal) and end when it is revoked.
    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    read_only = models.BooleanField(default=False)
    event_types = models.JSONField(default=list, blank=True)  # empty: not scoped by name
    categories = models.JSONField(default=list, blank=True)  # empty: not scoped by category
    created = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["expires_at"], name="portal_link_expires")]

    def __str__(self) -> str:
        return f"portal link for {self.account_id} (expires {self.expires_at:%Y-%m-%d %H:%M})"
