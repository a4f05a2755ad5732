"""Closing, key release and opening, examination, scoring, award, complaints and contracts."""
