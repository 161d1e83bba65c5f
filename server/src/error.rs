//! The server's one error type, and how every error reaches a client.
//!
//! An [`AppError`] carries a public part (a stable machine-readable
//! [`ErrorCode`], from which the human text in Dutch or English follows) and
//! a private detail that only goes to the log. The JSON body is written by
//! the response middleware (see [`crate::http`]), which knows the client's
//! language; it also turns every other error response (an unknown route, a
//! wrong method, a body over the limit) into the same JSON shape. A 5xx never
//! shows internals.

use std::borrow::Cow;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
pub use meldkluis_i18n::Lang;

/// The stable, machine-readable error codes of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorCode {
    /// The request is malformed (a parameter, a header, a path segment).
    BadRequest,
    /// The body is not the JSON this endpoint expects.
    InvalidJson,
    /// A sealed item fails the structural checks for this endpoint.
    InvalidItem,
    /// The tenant id in the path is not a valid tenant id.
    InvalidTenantId,
    /// An e-mail address for notices is not a valid address.
    InvalidEmailAddress,
    /// There is no such tenant.
    TenantNotFound,
    /// The tenant has been disabled by the operator.
    TenantDisabled,
    /// The tenant is not ready to receive reports (no advisor or no
    /// recovery key enrolled yet).
    TenantNotReady,
    /// No such route, report, message or attachment (or not visible to the caller).
    NotFound,
    /// The method is not allowed on this route.
    MethodNotAllowed,
    /// Authentication is missing, expired or invalid.
    Unauthorized,
    /// Log-in failed. Deliberately the same for every reason.
    LoginFailed,
    /// Too many attempts; try again later.
    RateLimited,
    /// The body is larger than allowed.
    PayloadTooLarge,
    /// The content type is not the one this endpoint accepts.
    UnsupportedMediaType,
    /// The item or mailbox already exists.
    Conflict,
    /// Something failed inside the server; the details are in its log.
    Internal,
    /// The server is overloaded or shutting down.
    Unavailable,
    /// The tenant holds as many reporter sessions as it may; try later.
    SessionLimit,
    /// The tenant has received as many reports today as it accepts.
    ReportLimit,
    /// The report holds as many messages or attachments as it may.
    ThreadLimit,
    /// The report's attachments take as much space as they may.
    StorageLimit,
    /// The client took too long to send its request.
    RequestTimeout,
    /// Closing a report needs a closing reason (one of the codes).
    ClosingReasonRequired,
    /// This status change is not possible from the report's status
    /// (archived before closed, a closing reason with an open status).
    InvalidStatusChange,
    /// A hold needs a reason code and a day after today, at most ten years
    /// ahead.
    InvalidHold,
    /// The key is already enrolled in this tenant (as a recipient, an
    /// advisor or a recovery key).
    AlreadyEnrolled,
    /// The enrolment invitation is unknown, used or expired. Deliberately
    /// the same for every reason.
    InvalidInvitation,
    /// A figures period is not `YYYY-Qn` or `YYYY`, or has not ended.
    InvalidPeriod,
    /// A follow-up mailbox no advisor has joined to a report yet cannot
    /// write: there is no report to write into.
    NotJoined,
    /// The write is stored on this server but the replica did not confirm
    /// it in time, so it is not acknowledged: retry the same request (the
    /// same item id and bytes are answered as the first attempt would
    /// have been). Sent with `Retry-After`.
    NotAcknowledged,
}

impl ErrorCode {
    /// The code as it appears in the JSON body. Never changes once released.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::BadRequest => "bad_request",
            Self::InvalidJson => "invalid_json",
            Self::InvalidItem => "invalid_item",
            Self::InvalidTenantId => "invalid_tenant_id",
            Self::InvalidEmailAddress => "invalid_email_address",
            Self::TenantNotFound => "tenant_not_found",
            Self::TenantDisabled => "tenant_disabled",
            Self::TenantNotReady => "tenant_not_ready",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Unauthorized => "unauthorized",
            Self::LoginFailed => "login_failed",
            Self::RateLimited => "rate_limited",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::Conflict => "conflict",
            Self::Internal => "internal",
            Self::Unavailable => "unavailable",
            Self::SessionLimit => "session_limit",
            Self::ReportLimit => "report_limit",
            Self::ThreadLimit => "thread_limit",
            Self::StorageLimit => "storage_limit",
            Self::RequestTimeout => "request_timeout",
            Self::ClosingReasonRequired => "closing_reason_required",
            Self::InvalidStatusChange => "invalid_status_change",
            Self::InvalidHold => "invalid_hold",
            Self::AlreadyEnrolled => "already_enrolled",
            Self::InvalidInvitation => "invalid_invitation",
            Self::InvalidPeriod => "invalid_period",
            Self::NotJoined => "not_joined",
            Self::NotAcknowledged => "not_acknowledged",
        }
    }

    /// The HTTP status for this code.
    pub const fn status(self) -> StatusCode {
        match self {
            Self::BadRequest
            | Self::InvalidJson
            | Self::InvalidItem
            | Self::InvalidTenantId
            | Self::InvalidEmailAddress
            | Self::ClosingReasonRequired
            | Self::InvalidStatusChange
            | Self::InvalidHold
            | Self::InvalidPeriod => StatusCode::BAD_REQUEST,
            Self::InvalidInvitation => StatusCode::FORBIDDEN,
            Self::TenantNotFound | Self::NotFound => StatusCode::NOT_FOUND,
            Self::TenantDisabled => StatusCode::FORBIDDEN,
            Self::TenantNotReady | Self::Conflict | Self::AlreadyEnrolled | Self::NotJoined => {
                StatusCode::CONFLICT
            }
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Unauthorized | Self::LoginFailed => StatusCode::UNAUTHORIZED,
            Self::RateLimited | Self::SessionLimit | Self::ReportLimit | Self::ThreadLimit => {
                StatusCode::TOO_MANY_REQUESTS
            }
            Self::PayloadTooLarge | Self::StorageLimit => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Unavailable | Self::NotAcknowledged => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The code that fits an error response nobody labelled (axum's own
    /// 404 and 405, a body limit hit inside an extractor).
    pub fn for_status(status: StatusCode) -> Self {
        match status {
            StatusCode::NOT_FOUND => Self::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => Self::MethodNotAllowed,
            StatusCode::UNAUTHORIZED => Self::Unauthorized,
            StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::UnsupportedMediaType,
            StatusCode::TOO_MANY_REQUESTS => Self::RateLimited,
            StatusCode::CONFLICT => Self::Conflict,
            StatusCode::SERVICE_UNAVAILABLE => Self::Unavailable,
            StatusCode::REQUEST_TIMEOUT => Self::RequestTimeout,
            s if s.is_server_error() => Self::Internal,
            _ => Self::BadRequest,
        }
    }

    /// The human text in the given language (`error-<code>` in the
    /// `.ftl` files of `web-client/i18n`).
    pub fn message(self, lang: Lang) -> String {
        meldkluis_i18n::t(lang, &format!("error-{}", self.as_str()))
    }
}

/// The language of a request: a `lang` query parameter, else
/// `Accept-Language`, else Dutch.
pub fn negotiate_lang(query: Option<&str>, accept_language: Option<&str>) -> Lang {
    let chosen = query.and_then(|q| {
        q.split('&')
            .find_map(|pair| pair.strip_prefix("lang="))
            .filter(|tag| tag.len() <= 16)
    });
    meldkluis_i18n::catalog().negotiate(chosen, accept_language, None)
}

/// The one error type of the server.
#[derive(Debug)]
pub struct AppError {
    code: ErrorCode,
    /// For the log only; never sent to the client.
    detail: Cow<'static, str>,
}

impl AppError {
    /// An error with a code and a private detail for the log.
    pub fn new(code: ErrorCode, detail: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            detail: detail.into(),
        }
    }

    /// A malformed request.
    pub fn bad_request(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::BadRequest, detail)
    }

    /// An item that fails the structural checks.
    pub fn invalid_item(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidItem, detail)
    }

    /// Not found, or not visible to the caller (the same answer).
    pub fn not_found(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::NotFound, detail)
    }

    /// Missing or invalid authentication.
    pub fn unauthorized(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::Unauthorized, detail)
    }

    /// A failure inside the server.
    pub fn internal(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::Internal, detail)
    }

    /// The public code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The private detail (for logs and tests).
    pub fn detail(&self) -> &str {
        &self.detail
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.detail)
    }
}

impl std::error::Error for AppError {}

impl From<rusqlite::Error> for AppError {
    fn from(err: rusqlite::Error) -> Self {
        use rusqlite::ffi::ErrorCode as Sql;
        match &err {
            rusqlite::Error::SqliteFailure(e, _) if e.code == Sql::ConstraintViolation => {
                Self::new(ErrorCode::Conflict, format!("constraint: {err}"))
            }
            rusqlite::Error::SqliteFailure(e, _)
                if e.code == Sql::DatabaseBusy || e.code == Sql::DatabaseLocked =>
            {
                Self::new(ErrorCode::Unavailable, format!("database busy: {err}"))
            }
            _ => Self::internal(format!("sqlite: {err}")),
        }
    }
}

impl From<std::io::Error> for AppError {
    fn from(err: std::io::Error) -> Self {
        Self::internal(format!("io: {err}"))
    }
}

/// Marks a response as an [`AppError`], so the response middleware writes
/// the JSON body in the client's language.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ErrorMarker(pub(crate) ErrorCode);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if self.code.status().is_server_error() {
            tracing::error!(code = self.code.as_str(), detail = %self.detail, "request failed");
        } else {
            tracing::debug!(code = self.code.as_str(), detail = %self.detail, "request refused");
        }
        let mut response = self.code.status().into_response();
        if self.code == ErrorCode::NotAcknowledged {
            // Litestream syncs at least every second on its own.
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("1"),
            );
        }
        response.extensions_mut().insert(ErrorMarker(self.code));
        response
    }
}

/// Builds the JSON body of an error.
pub(crate) fn error_body(code: ErrorCode, lang: Lang) -> serde_json::Value {
    serde_json::json!({ "error": { "code": code.as_str(), "message": code.message(lang) } })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL_CODES: [ErrorCode; 31] = [
        ErrorCode::BadRequest,
        ErrorCode::InvalidJson,
        ErrorCode::InvalidItem,
        ErrorCode::InvalidTenantId,
        ErrorCode::InvalidEmailAddress,
        ErrorCode::TenantNotFound,
        ErrorCode::TenantDisabled,
        ErrorCode::TenantNotReady,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::Unauthorized,
        ErrorCode::LoginFailed,
        ErrorCode::RateLimited,
        ErrorCode::PayloadTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::Conflict,
        ErrorCode::Internal,
        ErrorCode::Unavailable,
        ErrorCode::SessionLimit,
        ErrorCode::ReportLimit,
        ErrorCode::ThreadLimit,
        ErrorCode::StorageLimit,
        ErrorCode::RequestTimeout,
        ErrorCode::ClosingReasonRequired,
        ErrorCode::InvalidStatusChange,
        ErrorCode::InvalidHold,
        ErrorCode::AlreadyEnrolled,
        ErrorCode::InvalidInvitation,
        ErrorCode::InvalidPeriod,
        ErrorCode::NotJoined,
        ErrorCode::NotAcknowledged,
    ];

    #[test]
    fn language_negotiation() {
        let tag = |q, h| negotiate_lang(q, h).tag();
        assert_eq!(tag(None, None), "nl");
        assert_eq!(tag(Some("lang=en"), Some("nl")), "en");
        assert_eq!(tag(None, Some("en-GB,en;q=0.9")), "en");
        assert_eq!(tag(None, Some("en;q=0.5, nl;q=0.8")), "nl");
        assert_eq!(tag(None, Some("de, fr")), "nl");
        assert_eq!(tag(Some("x=1&lang=en"), None), "en");
    }

    #[test]
    fn every_code_has_a_text_in_every_language() {
        for lang in meldkluis_i18n::catalog().languages() {
            for code in ALL_CODES {
                let text = code.message(lang);
                assert!(
                    !text.starts_with("error-"),
                    "{lang} has no text for {}",
                    code.as_str()
                );
            }
        }
    }

    #[test]
    fn every_code_is_4xx_or_5xx() {
        for code in ALL_CODES {
            assert!(code.status().is_client_error() || code.status().is_server_error());
        }
        // Statuses axum produces on its own map back to a code with the same status.
        for code in [
            ErrorCode::NotFound,
            ErrorCode::MethodNotAllowed,
            ErrorCode::PayloadTooLarge,
            ErrorCode::UnsupportedMediaType,
            ErrorCode::Internal,
        ] {
            assert_eq!(ErrorCode::for_status(code.status()).status(), code.status());
        }
    }
}
