"""The supplier side: supplier profiles, sealed bid envelopes, submission and receipts."""
