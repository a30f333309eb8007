"""Locale formats that differ from Django's (FORMAT_MODULE_PATH); anything not set here is Django's."""
