//! Item format versions at the real server, and finding 9 (a co-recipient
//! rewriting an item in the sender's name) performed against it.
//!
//! The server accepts only version-2 items; a version-1 upload gets a clear
//! 400. A co-advisor who holds only its own key, helped by write access to
//! the server's storage, rewrites the report's payload under its unchanged
//! header: the other advisor, reading as the console does
//! (`meldkluis_keys::reading::open_report`), refuses it.

use meldkluis_crypto_core::primitives::hpke::{self, Mode};
use meldkluis_crypto_core::primitives::stream::{StreamSealer, CHUNK_LEN};
use meldkluis_crypto_core::{
    seal_item_with_version, ItemHeader, ItemKind, SealParams, StaticKey, StaticSecret, Version,
};
use meldkluis_keys::client::ServerClient;
use meldkluis_keys::reading::{open_report, Trust};
use meldkluis_tests::{client, submit_report, Mailbox, TestServer, TestTenant};
use serde_json::Value;
use sha2::{Digest, Sha256};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_refuses_new_version_1_items_and_takes_version_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "acme", 2);
    let http = client();

    let mailbox = Mailbox::random();
    let recipients = mailbox.recipients(&tenant, &tenant.advisor_keys());
    let v1 = seal_item_with_version(
        &SealParams {
            kind: ItemKind::Report,
            tenant: &tenant.id,
            item_id: mailbox.report_id,
            report_id: mailbox.report_id,
            sender: &mailbox.key,
            recipients: &recipients,
        },
        Version::V1,
        b"a version-1 report",
        &mut meldkluis_crypto_core::os_rng(),
    )
    .expect("seal");
    let response = http
        .post(server.url("acme", "/reports"))
        .json(&mailbox.report_body(&v1))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"]["code"], "invalid_item", "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");

    // The same report as version 2 (what seal_item makes) is taken.
    let v2 = mailbox.seal_report(&tenant, b"a version-2 report");
    assert_eq!(
        ItemHeader::parse(&v2).expect("header").0.version,
        Version::V2
    );
    assert_eq!(
        submit_report(&http, &server, "acme", &mailbox.report_body(&v2)).await,
        201
    );
    server.stop().await;
}

/// HMAC-SHA256 (RFC 2104), from SHA-256 alone.
fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    for part in parts {
        inner.update(part);
    }
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// What the co-recipient `forger` does with its own key, following
/// `crypto-core/FORMAT.md`: open its stanza, derive the payload key, seal
/// `content` under the unchanged header, and set its own tag (the only one
/// it can compute). The other tags stay as they were.
fn forge(item: &[u8], forger: &StaticSecret, content: &[u8]) -> Vec<u8> {
    let (header, header_len) = ItemHeader::parse(item).expect("header");
    let fixed = 6 + header.tenant.as_str().len() + 16 + 16 + 32 + 8 + 1;
    let index = header
        .recipients
        .iter()
        .position(|r| *r == forger.public_key())
        .expect("the forger is a recipient");
    let mut core = item[..fixed].to_vec();
    for recipient in &header.recipients {
        core.extend_from_slice(recipient.as_bytes());
    }
    let at = fixed + index * 112;
    let mut context = hpke::setup_recipient(
        Mode::Auth,
        &item[at + 32..at + 64],
        forger,
        b"meldkluis item key v2",
        None,
        Some(&header.sender),
    )
    .expect("own stanza");
    let content_key = context
        .open(&core, &item[at + 64..at + 112])
        .expect("own content key");
    let mut tag_key = [0u8; 32];
    context
        .export(b"meldkluis item recipient mac v2", &mut tag_key)
        .expect("export");
    let prk = hmac(b"meldkluis item v2", &[&content_key]);
    let payload_key = hmac(
        &prk,
        &[b"payload", &item[header_len - 32..header_len], &[1]],
    );

    let mut padded = (content.len() as u64).to_be_bytes().to_vec();
    padded.extend_from_slice(content);
    padded.resize(header.padded_len as usize, 0);
    let mut sealer = StreamSealer::new(&payload_key);
    let mut payload = Vec::new();
    let chunks: Vec<&[u8]> = padded.chunks(CHUNK_LEN).collect();
    for (i, chunk) in chunks.iter().enumerate() {
        let mut buffer = chunk.to_vec();
        sealer
            .seal_chunk_in_place(&mut buffer, i + 1 == chunks.len())
            .expect("chunk");
        payload.extend_from_slice(&buffer);
    }
    let payload_end = header_len + header.payload_len() as usize;
    let mut trailer = item[payload_end..].to_vec();
    let own_tag = hmac(
        &tag_key,
        &[
            b"meldkluis item recipient tag v2",
            &Sha256::digest(&item[..header_len]),
            &Sha256::digest(&payload),
        ],
    );
    trailer[index * 32..index * 32 + 32].copy_from_slice(&own_tag);
    [&item[..header_len], &payload[..], &trailer[..]].concat()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_co_advisor_rewriting_a_stored_report_is_refused_by_the_other_advisor() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "acme", 2);
    let http = client();
    let mailbox = Mailbox::random();
    let report = mailbox.seal_report(&tenant, b"CANARY my manager shouted at me");
    assert_eq!(
        submit_report(&http, &server, "acme", &mailbox.report_body(&report)).await,
        201
    );

    let trust = Trust {
        tenant: tenant.id.clone(),
        grantors: vec![tenant.recovery.public_key()],
        advisor_senders: tenant.advisor_keys(),
    };
    let honest = &tenant.advisors[0];
    let reader = ServerClient::new(&server.base, tenant.id.clone()).expect("client");
    reader.log_in(honest).await.expect("log-in");
    let report_id = mailbox.report_id.to_hex();
    let thread = reader.thread(&report_id).await.expect("thread");
    let opened = open_report(
        honest,
        &trust,
        &thread,
        &thread.report_bytes().expect("bytes"),
    )
    .expect("the genuine report opens");
    assert_eq!(&*opened.content, b"CANARY my manager shouted at me");

    // advisor 2 rewrites the report with its own key; the breached server
    // stores the forgery in place of the report.
    let forged = forge(
        &report,
        &tenant.advisors[1],
        b"FORGED I withdraw my report, it was a misunderstanding",
    );
    assert_eq!(forged.len(), report.len());
    let db = rusqlite::Connection::open(dir.path().join("tenants/acme/tenant.sqlite"))
        .expect("the tenant database");
    let changed = db
        .execute(
            "UPDATE reports SET item = ?1 WHERE id = ?2",
            rusqlite::params![forged, mailbox.report_id.0.to_vec()],
        )
        .expect("the forgery is written");
    assert_eq!(changed, 1);
    drop(db);

    let thread = reader.thread(&report_id).await.expect("thread");
    let served = thread.report_bytes().expect("bytes");
    assert_eq!(served, forged, "the server serves the forgery");
    assert_eq!(
        open_report(honest, &trust, &thread, &served).err(),
        Some(meldkluis_crypto_core::Error::CouldNotOpen),
        "the other advisor refuses the rewritten report"
    );
    server.stop().await;
}
