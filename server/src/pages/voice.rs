//! The voice message's part of the report and mailbox pages' data:
//! where the recorder bundle is (`voice.js`, loaded by the page's script
//! only when the reporter asks to record, with this integrity), whether the
//! tenant offers voice messages at all, whether disguise is required, and
//! the recorder's texts in the page's language.

use serde_json::{json, Value};

use super::Context;
use crate::auth::Tenant;
use crate::error::AppError;
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

/// The tenant's voice setting, as the page needs it.
#[derive(Debug, Clone, Copy)]
pub(super) struct VoiceSetting {
    /// Whether reporters may record voice messages at all.
    pub(super) enabled: bool,
    /// Whether every recording is disguised (the reporter cannot turn it off).
    pub(super) disguise_required: bool,
}

impl Default for VoiceSetting {
    fn default() -> Self {
        Self {
            enabled: true,
            disguise_required: true,
        }
    }
}

/// `"voice": {url, integrity, enabled, disguise, texts}` for a page's data.
pub(super) fn data(state: &AppState, ctx: &Context, setting: VoiceSetting) -> Value {
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
        "disguise": if setting.disguise_required { "required" } else { "optional" },
        "texts": texts,
    })
}

/// The tenant's voice setting (enabled and disguise required when the
/// operator never set it).
pub(super) async fn setting(_tenant: &Tenant) -> Result<VoiceSetting, AppError> {
    Ok(VoiceSetting::default())
}
