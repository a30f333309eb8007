"""Production settings: secure defaults, and no start on the development key."""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from nsatu.site.settings import *  # noqa: F403
from nsatu.site.settings import DEV_SECRET_KEY

SECRET_KEY = os.environ.get("NSATU_SECRET_KEY", "")
# Long and varied: 60 x "a" is as guessable as no key (a random token of 50+ characters holds 30+
# different characters; 20 leaves a margin).
if (
    not SECRET_KEY
    or SECRET_KEY == DEV_SECRET_KEY
    or SECRET_KEY.startswith("django-insecure")
    or len(SECRET_KEY) < 50
    or len(set(SECRET_KEY)) < 20
):
    raise ImproperlyConfigured(
        "NSATU_SECRET_KEY must be set to a random value of at least 50 characters, 20 of them different, "
        "in production "
        "(python -c 'import secrets; print(secrets.token_urlsafe(64))')"
    )
DEBUG = False

SECURE_SSL_REDIRECT = os.environ.get("NSATU_SSL_REDIRECT", "1") == "1"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = False
