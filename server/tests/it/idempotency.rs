//! Retries are safe: the item id is the idempotency key. A write sent again
//! with the same item id and the same bytes (the client's retry after a
//! lost answer, or after 503 `not_acknowledged`) is answered as the first
//! was, 201 with the same body, and stored once; different bytes under an
//! id in use stay 409 `conflict`, and the stored item is unchanged. Against
//! the real server binary.

use meldkluis_crypto_core::{ItemId, ItemKind, StaticSecret};
use rand::RngCore as _;
use serde_json::{json, Value};

use crate::backup::{
    http, mailbox_login, report_body, seal, set_up, stored_reports, Keys, Site, Submitted,
};
use crate::common::{b64, kill};

/// A report or follow-up request body under a fixed item id and mailbox.
fn sealed_body(
    keys: &Keys,
    id: ItemId,
    mailbox: &StaticSecret,
    mailbox_id: [u8; 16],
    auth_secret: [u8; 32],
    content: &[u8],
) -> Value {
    let item = seal(keys, ItemKind::Report, id, id, mailbox, content);
    report_body(&item, mailbox, mailbox_id, auth_secret)
}

async fn post(
    http: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    body: &Value,
) -> (u16, Value) {
    let mut request = http.post(url).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
}

fn count(db: &std::path::Path, sql: &str, id: &ItemId) -> i64 {
    rusqlite::Connection::open(db)
        .expect("open")
        .query_row(sql, [id.0.as_slice()], |r| r.get(0))
        .expect("count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_report_message_or_follow_up_is_answered_again_and_stored_once() {
    let root = tempfile::tempdir().expect("tempdir");
    let site = Site::new(root.path(), "node");
    let keys = set_up(&site, "acme");
    let db = site.tenant_db("acme");
    let (child, base) = site.start();
    let http = http();
    let reports = format!("{base}/api/v1/t/acme/reports");

    // A report, sent twice: the same answer, one report.
    let mailbox = StaticSecret::generate(&mut rand::rngs::OsRng);
    let (id, mailbox_id, auth_secret) =
        (ItemId::random(&mut rand::rngs::OsRng), random(), random());
    let body = sealed_body(&keys, id, &mailbox, mailbox_id, auth_secret, b"the report");
    let (status, first) = post(&http, &reports, None, &body).await;
    assert_eq!(status, 201, "{first}");
    let (status, again) = post(&http, &reports, None, &body).await;
    assert_eq!(
        (status, &again),
        (201, &first),
        "the retry answers as the first did"
    );
    let stored = stored_reports(&db);
    assert_eq!(stored.len(), 1);
    let stored_item = stored[id.0.as_slice()].clone();
    let day_count: i64 = rusqlite::Connection::open(&db)
        .expect("open")
        .query_row("SELECT sum(count) FROM report_days", [], |r| r.get(0))
        .expect("days");
    assert_eq!(day_count, 1, "counted once against the daily quota");

    // Another report under that id (other bytes, same mailbox): refused,
    // and the stored one is unchanged.
    let other = sealed_body(
        &keys,
        id,
        &mailbox,
        mailbox_id,
        auth_secret,
        b"something else",
    );
    let (status, refused) = post(&http, &reports, None, &other).await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"]["code"], "conflict");
    // The same item with another mailbox id or secret is another request too.
    let mut other_mailbox = body.clone();
    other_mailbox["mailbox_id"] = json!(hex::encode(random::<16>()));
    assert_eq!(post(&http, &reports, None, &other_mailbox).await.0, 409);
    let mut other_secret = body.clone();
    other_secret["auth_secret"] = json!(hex::encode(random::<32>()));
    assert_eq!(post(&http, &reports, None, &other_secret).await.0, 409);
    assert_eq!(stored_reports(&db)[id.0.as_slice()], stored_item);
    assert_eq!(stored_reports(&db).len(), 1);

    // A reporter's message, sent twice: the same answer, one message.
    let report = Submitted {
        report_id: id,
        item: stored_item,
        mailbox_id,
        auth_secret,
        mailbox: std::sync::Arc::new(mailbox),
    };
    let token = mailbox_login(&http, &base, "acme", &report).await;
    let messages = format!("{base}/api/v1/t/acme/mailbox/messages");
    let message_id = ItemId::random(&mut rand::rngs::OsRng);
    let message = |content: &[u8]| json!({ "item": b64(&seal(&keys, ItemKind::Message, message_id, id, &report.mailbox, content)) });
    let body = message(b"a message");
    let (status, first) = post(&http, &messages, Some(&token), &body).await;
    assert_eq!(status, 201, "{first}");
    let (status, again) = post(&http, &messages, Some(&token), &body).await;
    assert_eq!((status, &again), (201, &first));
    let (status, refused) = post(&http, &messages, Some(&token), &message(b"another")).await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM messages WHERE id = ?1",
            &message_id
        ),
        1
    );

    // A follow-up mailbox, sent twice: the same answer (reference, days), one mailbox.
    let follow_ups = format!("{base}/api/v1/t/acme/follow-ups");
    let follow_mailbox = StaticSecret::generate(&mut rand::rngs::OsRng);
    let follow_id = ItemId::random(&mut rand::rngs::OsRng);
    let (f_mailbox_id, f_secret) = (random(), random());
    let body = sealed_body(
        &keys,
        follow_id,
        &follow_mailbox,
        f_mailbox_id,
        f_secret,
        b"follow-up",
    );
    let (status, first) = post(&http, &follow_ups, None, &body).await;
    assert_eq!(status, 201, "{first}");
    let (status, again) = post(&http, &follow_ups, None, &body).await;
    assert_eq!((status, &again), (201, &first));
    let other = sealed_body(
        &keys,
        follow_id,
        &follow_mailbox,
        f_mailbox_id,
        f_secret,
        b"other",
    );
    assert_eq!(post(&http, &follow_ups, None, &other).await.0, 409);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM follow_ups WHERE item_id = ?1",
            &follow_id
        ),
        1
    );
    // A follow-up's item id is not a report's: sending it as a report is a conflict.
    assert_eq!(post(&http, &reports, None, &body).await.0, 409);

    kill(child);
}
