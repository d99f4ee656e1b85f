"""The upload checks moved to rsportal.core.uploads, so every upload goes through the same ones."""

from rsportal.core.uploads import ALLOWED, MAX_BYTES, RejectedUpload, check, display_name, new_token  # noqa: F401
