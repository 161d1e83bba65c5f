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
error-not_acknowledged = Your submission could not be confirmed as safely stored yet. Please send it again in a moment; it will not be stored twice.
error-invalid_email_address = This e-mail address is invalid. Please check it and try again.
error-session_limit = Too many people are logged in to this organisation right now. Please try again in a few minutes; your report and messages are kept.
error-report_limit = This organisation has received the most reports it accepts in one day. Please try again tomorrow, and keep your text until then.
error-thread_limit = No more messages or attachments can be added to this report: its limit has been reached. What was already sent is kept.
error-storage_limit = The attachments of this report already take up the most space allowed. This attachment was not stored; earlier attachments are kept.
error-request_timeout = Sending took too long and was stopped. Please check your connection and try again.

# A report's end (issue 11): closing, reopening, a longer hold.
error-closing_reason_required = Choose a reason to close the report.
error-invalid_status_change = This status change is not possible: a report is archived only after it was closed, and a closing reason goes only with a closed report.
error-invalid_hold = A longer hold needs a reason and a day after today, at most ten years ahead.

# The organisation's side (issue 12): recipients, figures, forwards.
error-already_enrolled = This key is already enrolled with this organisation.
error-invalid_invitation = This invitation does not work (any more): it is unknown, already used or expired. Ask the operator for a new one.
error-invalid_period = Choose a quarter that has ended (for example 2026-Q3) or a year that has ended (for example 2026).
error-not_joined = Your advisor has not linked your conversation to this mailbox yet. Once that is done, you can send messages here.
