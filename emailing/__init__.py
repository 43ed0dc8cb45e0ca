"""Email marketing: consent, segments, bulk sends that never double-send, tracking and unsubscribe."""
