//! Playing a voice message (issue 13) on the report page: an attachment
//! whose entry in the report's or a message's `attachments` list has an
//! audio type gets an `<audio controls>` whose source is
//! `GET /reports/{id}/attachments/{aid}/audio`: the attachment opened in
//! memory exactly as for an export (only from the senders the report's
//! header allows, only while the server serves the report the advisor
//! read), answered with its audio type, `no-store` like every answer of the
//! console, never written to disk. The console's policy admits media only
//! from itself (`media-src 'self'`).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use meldkluis_i18n::{tf, Arg, Lang};
use serde::Deserialize;
use serde_json::Value;

use super::{attachment_content, canonical_id, not_taken, ConsoleState};

/// The audio types played here (as the sender named them, parameters
/// dropped), each answered with exactly this `Content-Type`. Anything else
/// is only exported.
const AUDIO_TYPES: &[&str] = &[
    "audio/webm",
    "audio/ogg",
    "audio/mpeg",
    "audio/mp4",
    "audio/aac",
    "audio/wav",
    "audio/x-wav",
    "audio/flac",
];

/// The playable type of a content type as a sender wrote it:
/// `audio/webm;codecs=opus` → `audio/webm`.
fn playable(given: &str) -> Option<&'static str> {
    let essence = given.split(';').next()?.trim().to_ascii_lowercase();
    AUDIO_TYPES.iter().copied().find(|t| *t == essence)
}

/// Attachment id → playable audio type, from the opened report's and
/// messages' `attachments` lists (`web-client/REPORT-CONTENT.md`).
pub(crate) fn audio_types(contents: &[Value]) -> HashMap<&str, &'static str> {
    contents
        .iter()
        .filter_map(|content| content["attachments"].as_array())
        .flatten()
        .filter_map(|file| Some((file["id"].as_str()?, playable(file["type"].as_str()?)?)))
        .collect()
}

/// The player of one audio attachment, for the report page's attachment
/// list.
pub(crate) fn player(
    lang: Lang,
    base: &str,
    report_id: &str,
    report_hash: &str,
    attachment_id: &str,
    name: Option<&str>,
    audio_type: &str,
) -> Markup {
    let label = tf(
        lang,
        "voice-console-listen",
        &[("name", Arg::Str(name.unwrap_or(attachment_id)))],
    );
    let source = format!(
        "{base}/reports/{report_id}/attachments/{attachment_id}/audio?report_hash={}&type={}",
        percent_encoding::utf8_percent_encode(report_hash, percent_encoding::NON_ALPHANUMERIC),
        percent_encoding::utf8_percent_encode(audio_type, percent_encoding::NON_ALPHANUMERIC),
    );
    html! {
        audio.voice-player controls preload="none" src=(source) aria-label=(label) {}
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct AudioQuery {
    #[serde(default)]
    report_hash: String,
    #[serde(default, rename = "type")]
    audio_type: String,
}

/// `GET /reports/{id}/attachments/{aid}/audio?report_hash=…&type=…`: the
/// attachment's bytes, opened here, with an audio type.
pub(super) async fn audio(
    State(state): State<Arc<ConsoleState>>,
    headers: HeaderMap,
    Path((report_id, attachment_id)): Path<(String, String)>,
    Query(query): Query<AudioQuery>,
) -> Response {
    let lang = match state.admit(&headers) {
        Ok(lang) => lang,
        Err(refused) => return refused.into_response(),
    };
    let (Some(report_id), Some(attachment_id), Some(audio_type)) = (
        canonical_id(&report_id),
        canonical_id(&attachment_id),
        playable(&query.audio_type),
    ) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match attachment_content(&state, &report_id, &attachment_id, &query.report_hash).await {
        Ok(content) => {
            let mut response = content.into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(audio_type));
            response
        }
        Err(why) => not_taken(&state, lang, &report_id, why),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_audio_types_play() {
        assert_eq!(playable("audio/webm;codecs=opus"), Some("audio/webm"));
        assert_eq!(playable("Audio/WebM"), Some("audio/webm"));
        assert_eq!(playable("text/html"), None);
        assert_eq!(playable("audio/webm\r\nX: y"), None);
        assert_eq!(playable(""), None);
        let contents = vec![serde_json::json!({
            "attachments": [
                { "id": "a", "name": "spraakbericht-2026-12-01.webm", "type": "audio/webm" },
                { "id": "b", "name": "bewijs.pdf", "type": "application/pdf" },
                { "id": "c", "name": "x", "type": 5 },
            ]
        })];
        let types = audio_types(&contents);
        assert_eq!(types.len(), 1);
        assert_eq!(types["a"], "audio/webm");
    }
}
