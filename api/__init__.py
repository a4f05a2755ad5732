"""The REST interface: thin views over services and selectors. Not an app; has no models."""
