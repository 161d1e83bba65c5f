//! The voice message's part of the report and mailbox pages' data:
//! where the recorder bundle is (`voice.js`, loaded by the page's script
//! only when the reporter asks to record, with this integrity), whether the
//! tenant offers voice messages at all, whether disguise is required, and
//! the recorder's texts in the page's language.

use axum::http::HeaderValue;
use axum::response::Response;
use serde_json::{json, Value};

use super::Context;
use crate::profile::Voice;
use crate::AppState;

/// Texts the recorder shows (web-client/i18n/locales/*/voice.ftl).
const TEXTS: &[&str] = &[
    "voice-open",
    "voice-title",
    "voice-explain",
    "voice-disguise",
    "voice-disguise-required",
    "voice-disguise-optional",
    "voice-start",
    "voice-stop",
    "voice-close",
    "voice-recording",
    "voice-stopped",
    "voice-limit-reached",
    "voice-recorded",
    "voice-listen",
    "voice-discard",
    "voice-discarded",
    "voice-add-report",
    "voice-add-message",
    "voice-added",
    "voice-remove",
    "voice-remove-named",
    "voice-removed",
    "voice-error-unsupported",
    "voice-error-denied",
    "voice-error-no-microphone",
    "voice-error-failed",
];

/// `"voice": {url, integrity, enabled, disguise, texts}` for a page's data.
pub(super) fn data(state: &AppState, ctx: &Context, setting: Voice) -> Value {
    let (url, integrity) = state.assets().reference("voice.js");
    let texts: serde_json::Map<String, Value> = if setting.enabled {
        TEXTS
            .iter()
            .map(|id| ((*id).to_owned(), Value::String(ctx.t(id))))
            .collect()
    } else {
        serde_json::Map::new()
    };
    json!({
        "url": url,
        "integrity": integrity,
        "enabled": setting.enabled,
        "disguise": setting.disguise,
        "texts": texts,
    })
}

/// The `Permissions-Policy` of a page that offers voice messages: the
/// microphone for this origin only (every other answer denies it, see
/// [`crate::http`]); nothing when the tenant has them off.
pub(super) fn allow_microphone(mut response: Response, setting: Voice) -> Response {
    if setting.enabled {
        response.headers_mut().insert(
            "permissions-policy",
            HeaderValue::from_static("camera=(), microphone=(self), geolocation=()"),
        );
    }
    response
}
