"""Why an S3 request failed, in words: a botocore error to a reason and the fix."""

from __future__ import annotations

__all__ = ["MISSING_OBJECT", "diagnose", "error_code"]

#: Error codes of an object that does not exist: a day without a file, not a failure.
MISSING_OBJECT = frozenset({"NoSuchKey", "404", "NotFound"})
_CREDENTIALS = frozenset({
    "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "403", "Forbidden", "ExpiredToken",
    "InvalidToken", "TokenRefreshRequired", "AllAccessDisabled",
})
_NO_BUCKET = frozenset({"NoSuchBucket", "404", "NotFound"})
_KEYS_FIX = ("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or `[s3] access_key_id` and `secret_access_key`) "
             "to keys that may read the bucket")


def error_code(error: BaseException) -> str | None:
    """The ``Code`` of a botocore ``ClientError``; ``None`` for other errors."""
    response = getattr(error, "response", None)
    return response.get("Error", {}).get("Code") if isinstance(response, dict) else None


def diagnose(error: BaseException) -> tuple[str, str]:
    """``(reason, fix)`` of a failed S3 call: unreachable endpoint, refused credentials, missing bucket, other."""
    from botocore import exceptions

    code = error_code(error)
    if isinstance(error, exceptions.NoCredentialsError):
        return "no credentials are set", _KEYS_FIX
    if isinstance(error, exceptions.PartialCredentialsError):
        return "only part of the credentials is set", _KEYS_FIX
    if code in _CREDENTIALS:
        return (f"the server refused the credentials ({code})",
                f"{_KEYS_FIX} (and check that your plan includes these files)")
    if code in _NO_BUCKET:
        return ("the bucket does not exist",
                "check RESEARCH_ENV_S3_BUCKET (`[s3] bucket`) and RESEARCH_ENV_S3_ENDPOINT (`[s3] endpoint`)")
    if isinstance(error, exceptions.ConnectionError | exceptions.HTTPClientError | exceptions.IncompleteReadError):
        return (f"cannot reach the endpoint ({error})",
                "check RESEARCH_ENV_S3_ENDPOINT (`[s3] endpoint`) and the network, or leave s3 out of "
                "RESEARCH_ENV_SOURCES (`[data] sources`)")
    if code is not None:
        message = error.response.get("Error", {}).get("Message") or "no message"
        return f"the server answered {code} ({message})", "try again later, or check the `[s3]` settings"
    return f"{type(error).__name__}: {error}", "check the `[s3]` settings"
