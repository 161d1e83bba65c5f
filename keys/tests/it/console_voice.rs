//! The console's voice message player against a breached server (the
//! malicious double): each test performs the attack and shows it gains
//! nothing.
//!
//! - The player's source answers the reporter's recording, opened here,
//!   with its audio type; nothing without the console's session cookie.
//! - An attachment the server seals itself (with a mailbox key it holds)
//!   under the voice message's id is not played.
//! - After the server swaps the report under its id, the player of the
//!   report the advisor read plays nothing.
//! - Only audio types get a player; no other type is served as audio.

use std::sync::atomic::Ordering;

use meldkluis_crypto_core::{
    os_rng, seal_item, ItemId, ItemKind, PublicKey, SealParams, StaticKey as _, StaticSecret,
    TenantId,
};
use serde_json::json;

use crate::console_attacks::{breached_server, new_keys, open_console, Keys};
use crate::double::{b64, Served};

/// A voice message's bytes (a WebM file's magic, then a canary).
const RECORDING: &[u8] = b"\x1a\x45\xdf\xa3 CANARY voice bytes";

fn seal(
    kind: ItemKind,
    item_id: ItemId,
    report_id: ItemId,
    sender: &StaticSecret,
    to: &[PublicKey],
    content: &[u8],
) -> Vec<u8> {
    seal_item(
        &SealParams {
            kind,
            tenant: &TenantId::new("acme").unwrap(),
            item_id,
            report_id,
            sender,
            recipients: to,
        },
        content,
        &mut os_rng(),
    )
    .unwrap()
}

/// Serves, as both the real and the swapped thread of report `id`, a
/// report from `mailbox` naming attachment `attachment` of type
/// `audio_type`, and that attachment sealed by `attachment_sender`.
fn serve_voice_report(
    served: &Served,
    keys: &Keys,
    id: ItemId,
    mailbox: &StaticSecret,
    audio_type: &str,
    attachment_sender: &StaticSecret,
) -> ItemId {
    let attachment = ItemId::random(&mut os_rng());
    let to = [
        keys.advisor.public_key(),
        keys.recovery.public_key(),
        mailbox.public_key(),
    ];
    let content = json!({
        "format": "meldkluis-report/1",
        "language": "en",
        "category": null,
        "answers": [],
        "reporter": { "anonymous": true },
        "advisors": [],
        "attachments": [{ "id": attachment.to_hex(), "name": "spraakbericht-2026-11-30.webm", "type": audio_type, "size": RECORDING.len() }],
    });
    let report = seal(
        ItemKind::Report,
        id,
        id,
        mailbox,
        &to,
        content.to_string().as_bytes(),
    );
    let sealed = seal(
        ItemKind::Attachment,
        attachment,
        id,
        attachment_sender,
        &to,
        RECORDING,
    );
    let thread = json!({
        "report_id": id.to_hex(),
        "created_day": "2026-11-30",
        "status": "received",
        "agreed_update_date": null,
        "report": b64(&report),
        "messages": [],
        "attachments": [{ "id": attachment.to_hex(), "from": "reporter", "created_day": "2026-11-30", "item_len": sealed.len() }],
        "grants": [],
    });
    served.threads.lock().unwrap().insert(id.to_hex(), thread);
    served
        .attachments
        .lock()
        .unwrap()
        .insert(attachment.to_hex(), sealed);
    attachment
}

/// The `src` of the first `<audio>` of a page, from `/reports/` on (the
/// console's base is added by the test browser).
fn player_source(page: &str) -> Option<String> {
    let start = page.find("<audio")?;
    let tag = &page[start..start + page[start..].find('>')?];
    let src = tag.split("src=\"").nth(1)?.split('"').next()?;
    Some(src[src.find("/reports/")?..].replace("&amp;", "&"))
}

/// `attachment` of report `id`, sealed by `sender` to the advisor and the
/// recovery key.
fn sealed_recording(keys: &Keys, id: ItemId, attachment: ItemId, sender: &StaticSecret) -> Vec<u8> {
    let to = [
        keys.advisor.public_key(),
        keys.recovery.public_key(),
        sender.public_key(),
    ];
    seal(ItemKind::Attachment, attachment, id, sender, &to, RECORDING)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_player_plays_the_reporters_recording_and_nothing_the_server_sealed_or_swapped() {
    let keys = new_keys();
    let (served, base, id, real, fake) = breached_server(&keys).await;
    let attachment = serve_voice_report(&served, &keys, id, &real, "audio/webm", &real);
    let browser = open_console(&base, &keys, None).await;
    let (status, page) = browser.get(&format!("/reports/{}", id.to_hex())).await;
    assert_eq!(status, 200, "{page}");
    let source = player_source(&page).expect("a player for the voice message");
    assert!(source.contains(&attachment.to_hex()), "{source}");

    // Played: the recording, opened here, as audio, never cached.
    let response = browser.get_response(&source).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "audio/webm");
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert!(response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("media-src 'self'"));
    assert_eq!(response.bytes().await.unwrap(), RECORDING);

    // The server seals an attachment of its own under the same id.
    let substitute = StaticSecret::generate(&mut os_rng());
    served.attachments.lock().unwrap().insert(
        attachment.to_hex(),
        sealed_recording(&keys, id, attachment, &substitute),
    );
    let response = browser.get_response(&source).await;
    assert_ne!(
        response.status(),
        200,
        "a substituted attachment is not played"
    );
    let body = response.bytes().await.unwrap();
    assert!(!body.windows(RECORDING.len()).any(|w| w == RECORDING));
    // (The reporter's own plays again: the refusal was the substitution.)
    served.attachments.lock().unwrap().insert(
        attachment.to_hex(),
        sealed_recording(&keys, id, attachment, &real),
    );
    assert_eq!(browser.get_response(&source).await.status(), 200);

    // The server swaps the report under its id (its own mailbox key).
    let mut swapped = served.threads.lock().unwrap()[&id.to_hex()].clone();
    let to = [
        keys.advisor.public_key(),
        keys.recovery.public_key(),
        fake.public_key(),
    ];
    let fake_report = seal(
        ItemKind::Report,
        id,
        id,
        &fake,
        &to,
        br#"{"format":"meldkluis-report/1","answers":[],"attachments":[]}"#,
    );
    swapped["report"] = json!(b64(&fake_report));
    served.swapped.lock().unwrap().insert(id.to_hex(), swapped);
    served.swap.store(true, Ordering::SeqCst);
    let response = browser.get_response(&source).await;
    assert_eq!(
        response.status(),
        409,
        "the report the advisor read is gone: nothing played"
    );
    let body = response.bytes().await.unwrap();
    assert!(!body.windows(RECORDING.len()).any(|w| w == RECORDING));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_audio_types_get_a_player_and_nothing_else_is_served_as_audio() {
    let keys = new_keys();
    let (served, base, id, real, _) = breached_server(&keys).await;
    let attachment = serve_voice_report(&served, &keys, id, &real, "text/html", &real);
    let browser = open_console(&base, &keys, None).await;
    let (status, page) = browser.get(&format!("/reports/{}", id.to_hex())).await;
    assert_eq!(status, 200, "{page}");
    assert!(!page.contains("<audio"), "no player for text/html");
    let report_hash = crate::console_attacks::field(&page, "report_hash");
    for audio_type in ["text%2Fhtml", "audio%2Fwebm%0d%0aX-Injected%3A%201", ""] {
        let (status, _) = browser
            .get(&format!(
                "/reports/{}/attachments/{}/audio?report_hash={report_hash}&type={audio_type}",
                id.to_hex(),
                attachment.to_hex()
            ))
            .await;
        assert_eq!(status, 404, "type {audio_type:?}");
    }
}
