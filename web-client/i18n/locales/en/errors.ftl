# The server's error answers, one per stable error code (server/src/error.rs).
error-bad_request = The request is invalid.
error-invalid_json = The request body is invalid.
error-invalid_item = The sealed item is invalid.
error-invalid_tenant_id = The organisation id is invalid.
error-tenant_not_found = This organisation does not exist.
error-tenant_disabled = This organisation is not accepting reports at the moment.
error-tenant_not_ready = This organisation is not ready to receive reports yet.
error-not_found = Not found.
error-method_not_allowed = This operation is not allowed here.
error-unauthorized = You are not (or no longer) logged in.
error-login_failed = Logging in failed. Please check your login code.
error-rate_limited = Too many attempts. Please try again later.
error-payload_too_large = The request or file is too large.
error-unsupported_media_type = This kind of content is not accepted here.
error-conflict = This already exists.
error-internal = Something went wrong on the server. Please try again later.
error-unavailable = The service is temporarily unavailable.
