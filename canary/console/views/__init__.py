"""Every console page, one module per area; each view is gated by ``security_required``."""
