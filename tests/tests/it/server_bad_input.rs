//! Thousands of malformed, truncated, oversized and wrong-typed requests at
//! every endpoint: no 5xx, every error is JSON, the server still serves,
//! and the data stored before is unchanged.

use futures_util::StreamExt as _;
use meldkluis_crypto_core::ItemKind;
use meldkluis_tests::{
    advisor_login, b64, client, mailbox_login, new_item_id, seal, submit_report, Mailbox,
    TestServer, TestTenant,
};
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

const ROUNDS: usize = 4000;

/// Endpoints as (method, path template, takes a raw body).
const ENDPOINTS: &[(&str, &str, bool)] = &[
    ("GET", "/config", false),
    ("POST", "/reports", false),
    ("POST", "/mailbox/login", false),
    ("POST", "/mailbox/logout", false),
    ("GET", "/mailbox", false),
    ("POST", "/mailbox/messages", false),
    ("GET", "/mailbox/notice-email", false),
    ("PUT", "/mailbox/notice-email", false),
    ("DELETE", "/mailbox/notice-email", false),
    ("POST", "/mailbox/attachments", true),
    ("GET", "/mailbox/attachments/{A}", false),
    ("GET", "/advisor/challenge", false),
    ("POST", "/advisor/login", false),
    ("POST", "/advisor/logout", false),
    ("GET", "/advisor/reports", false),
    ("GET", "/advisor/reports/{R}", false),
    ("POST", "/advisor/reports/{R}/messages", false),
    ("POST", "/advisor/reports/{R}/attachments", true),
    ("GET", "/advisor/reports/{R}/attachments/{A}", false),
    ("PUT", "/advisor/reports/{R}/status", false),
    ("PUT", "/advisor/reports/{R}/category", false),
    ("POST", "/advisor/reports/{R}/grants", false),
];

/// A value of a random JSON type.
fn random_value(rng: &mut impl Rng, depth: u32) -> Value {
    match rng.gen_range(0..8) {
        0 => Value::Null,
        1 => json!(rng.gen::<bool>()),
        2 => json!(rng.gen::<i64>()),
        3 => json!(rng.gen::<f64>()),
        4 if depth < 3 => Value::Array(
            (0..rng.gen_range(0..4))
                .map(|_| random_value(rng, depth + 1))
                .collect(),
        ),
        5 if depth < 3 => Value::Object(
            (0..rng.gen_range(0..4))
                .map(|i| (format!("k{i}"), random_value(rng, depth + 1)))
                .collect(),
        ),
        6 => json!(hex::encode(
            (0..rng.gen_range(0..40))
                .map(|_| rng.gen::<u8>())
                .collect::<Vec<u8>>()
        )),
        _ => json!((0..rng.gen_range(0..30))
            .map(|_| rng.gen_range(' '..'~'))
            .collect::<String>()),
    }
}

/// Flips, cuts or extends a valid item.
fn mangle(rng: &mut impl Rng, item: &[u8]) -> Vec<u8> {
    let mut out = item.to_vec();
    match rng.gen_range(0..4) {
        0 => out.truncate(rng.gen_range(0..item.len())),
        1 => {
            let i = rng.gen_range(0..out.len().min(400));
            out[i] ^= 1 << rng.gen_range(0..8);
        }
        2 => out.extend((0..rng.gen_range(1..100)).map(|_| rng.gen::<u8>())),
        _ => {
            out.truncate(rng.gen_range(0..item.len().min(200)));
            out.extend((0..rng.gen_range(0..300)).map(|_| rng.gen::<u8>()));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_bad_requests_get_4xx_and_change_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |c| {
        c.max_item_bytes = 256 * 1024;
        c.login_per_second_global = 1_000_000;
    })
    .await;
    let admin = server.admin();
    let tenant = TestTenant::create(&admin, "acme", 1);
    admin
        .set_max_attachment_bytes(&tenant.id, 64 * 1024)
        .expect("limit");
    let http = client();
    // The flood uses a fresh connection per request: a server may close a
    // connection after refusing a large body unread, and a pooled
    // connection's reuse would then race with that close.
    let flood_client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");
    let t = tenant.id.as_str();

    // Earlier data: a report with a message and an attachment.
    let mailbox = Mailbox::random();
    let report = mailbox.seal_report(&tenant, b"earlier report");
    assert_eq!(
        submit_report(&http, &server, t, &mailbox.report_body(&report)).await,
        201
    );
    let recipients = mailbox.recipients(&tenant, &tenant.advisor_keys());
    let token = mailbox_login(&http, &server, t, &mailbox).await;
    let message = seal(
        ItemKind::Message,
        &tenant.id,
        new_item_id(),
        mailbox.report_id,
        &mailbox.key,
        &recipients,
        b"m",
    );
    let status = http
        .post(server.url(t, "/mailbox/messages"))
        .bearer_auth(&token)
        .json(&json!({ "item": b64(&message) }))
        .send()
        .await
        .expect("message")
        .status();
    assert_eq!(status, 201);
    let advisor_token = advisor_login(&http, &server, &tenant.id, &tenant.advisors[0]).await;
    let snapshot_path = format!("/advisor/reports/{}", mailbox.report_id.to_hex());
    let before: Value = http
        .get(server.url(t, &snapshot_path))
        .bearer_auth(&advisor_token)
        .send()
        .await
        .expect("t")
        .json()
        .await
        .expect("json");

    // Valid items to mangle.
    let templates = [
        report.clone(),
        message.clone(),
        seal(
            ItemKind::Attachment,
            &tenant.id,
            new_item_id(),
            mailbox.report_id,
            &mailbox.key,
            &recipients,
            b"file",
        ),
        seal(
            ItemKind::Message,
            &tenant.id,
            new_item_id(),
            mailbox.report_id,
            &tenant.advisors[0],
            &recipients,
            b"a",
        ),
    ];
    let report_hex = mailbox.report_id.to_hex();
    let huge = "A".repeat(2 << 20);

    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x6d65_6c64);
    let mut requests = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        let (method, template, raw) = ENDPOINTS[round % ENDPOINTS.len()];
        let tenant_part = match rng.gen_range(0..10) {
            0 => "%2e%2e".to_owned(),
            1 => "x".repeat(rng.gen_range(60..80)),
            2 => "other".to_owned(),
            _ => t.to_owned(),
        };
        let id = |rng: &mut rand_chacha::ChaCha8Rng| match rng.gen_range(0..5) {
            0 => report_hex.clone(),
            1 => "zz".repeat(16),
            2 => hex::encode(
                (0..rng.gen_range(0..40))
                    .map(|_| rng.gen::<u8>())
                    .collect::<Vec<u8>>(),
            ),
            3 => "..%2F..".to_owned(),
            _ => hex::encode(new_item_id().0),
        };
        let path = template
            .replace("{R}", &id(&mut rng))
            .replace("{A}", &id(&mut rng));
        let auth = match rng.gen_range(0..6) {
            0 => None,
            1 => Some(format!(
                "Bearer {}",
                hex::encode(
                    (0..rng.gen_range(0..80))
                        .map(|_| rng.gen::<u8>())
                        .collect::<Vec<u8>>()
                )
            )),
            2 => Some("Basic abc".to_owned()),
            3 => Some(format!("Bearer {token}")),
            _ => Some(format!("Bearer {advisor_token}")),
        };
        let template_item = &templates[rng.gen_range(0..templates.len())];
        let body: Vec<u8> = if raw {
            match rng.gen_range(0..4) {
                0 => Vec::new(),
                1 => (0..rng.gen_range(0..5000))
                    .map(|_| rng.gen::<u8>())
                    .collect(),
                2 => vec![0u8; 200 * 1024],
                _ => mangle(&mut rng, template_item),
            }
        } else {
            match rng.gen_range(0..9) {
                0 => Vec::new(),
                1 => (0..rng.gen_range(0..500))
                    .map(|_| rng.gen::<u8>())
                    .collect(),
                2 => {
                    let text = mailbox.report_body(template_item).to_string();
                    text.as_bytes()[..rng.gen_range(0..text.len())].to_vec()
                }
                3 => {
                    let mut object = mailbox.report_body(template_item);
                    let keys = [
                        "item",
                        "mailbox_id",
                        "mailbox_public_key",
                        "auth_secret",
                        "notice_email",
                        "language",
                    ];
                    object[keys[rng.gen_range(0..keys.len())]] = random_value(&mut rng, 0);
                    object.to_string().into_bytes()
                }
                4 if rng.gen_bool(0.5) => {
                    json!({ "grants": [b64(&mangle(&mut rng, template_item))] })
                        .to_string()
                        .into_bytes()
                }
                4 => json!({ "item": b64(&mangle(&mut rng, template_item)) })
                    .to_string()
                    .into_bytes(),
                5 => {
                    let mut body = mailbox.report_body(&mangle(&mut rng, template_item));
                    body["mailbox_id"] = json!(hex::encode(new_item_id().0));
                    body.to_string().into_bytes()
                }
                6 if rng.gen_ratio(1, 5) => {
                    format!("{{\"item\":\"{huge}{huge}{huge}\"}}").into_bytes()
                }
                7 => random_value(&mut rng, 0).to_string().into_bytes(),
                _ => json!({
                    "status": random_value(&mut rng, 0),
                    "category": random_value(&mut rng, 0),
                    "challenge_id": random_value(&mut rng, 0),
                    "public_key": random_value(&mut rng, 0),
                    "response": random_value(&mut rng, 0),
                    "agreed_update_date": random_value(&mut rng, 0),
                    "address": random_value(&mut rng, 0),
                    "language": random_value(&mut rng, 0),
                })
                .to_string()
                .into_bytes(),
            }
        };
        let content_type = match rng.gen_range(0..6) {
            0 => None,
            1 => Some("text/plain"),
            2 => Some("application/octet-stream"),
            _ => Some("application/json"),
        };
        let lang = rng.gen_bool(0.5);
        requests.push((
            method,
            format!("{tenant_part}{path}"),
            auth,
            content_type,
            body,
            lang,
        ));
    }

    let results: Vec<(u16, String, bool)> = futures_util::stream::iter(requests)
        .map(|(method, path, auth, content_type, body, lang)| {
            let http = flood_client.clone();
            let url = format!("{}/api/v1/t/{path}", server.base);
            async move {
                let large = body.len() > 64 * 1024;
                let mut request = http
                    .request(method.parse().expect("method"), &url)
                    .body(body);
                if let Some(auth) = auth {
                    request = request.header("authorization", auth);
                }
                if let Some(content_type) = content_type {
                    request = request.header("content-type", content_type);
                }
                if lang {
                    request = request.header("accept-language", "en");
                }
                let response = match request.send().await {
                    Ok(response) => response,
                    // A server may answer before reading a large body it
                    // refuses, and close; the client then fails writing.
                    Err(e) if large && e.is_request() => {
                        return (499, format!("{method} {path} (refused early)"), true)
                    }
                    Err(e) => panic!("server does not answer {method} {path}: {e}"),
                };
                let status = response.status().as_u16();
                let is_error_json = if status >= 400 {
                    response
                        .json::<Value>()
                        .await
                        .map(|v| v["error"]["code"].is_string())
                        .unwrap_or(false)
                } else {
                    true
                };
                (status, format!("{method} {path}"), is_error_json)
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;

    assert_eq!(results.len(), ROUNDS);
    let mut histogram = std::collections::BTreeMap::new();
    for (status, _, _) in &results {
        *histogram.entry(*status).or_insert(0usize) += 1;
    }
    eprintln!("statuses: {histogram:?}");
    for expected in [400, 401, 404, 415] {
        assert!(
            histogram.contains_key(&expected),
            "no {expected} among {histogram:?}: the inputs are not varied enough"
        );
    }
    assert!(
        histogram.contains_key(&413) || histogram.contains_key(&499),
        "no oversized body refused: {histogram:?}"
    );
    let server_errors: Vec<_> = results.iter().filter(|(s, _, _)| *s >= 500).collect();
    assert!(
        server_errors.is_empty(),
        "5xx answers: {:?}",
        &server_errors[..server_errors.len().min(10)]
    );
    let not_json: Vec<_> = results.iter().filter(|(_, _, json)| !json).collect();
    assert!(
        not_json.is_empty(),
        "errors without a JSON body: {:?}",
        &not_json[..not_json.len().min(10)]
    );
    let refused = results
        .iter()
        .filter(|(s, _, _)| (400..500).contains(s))
        .count();
    assert!(
        refused > ROUNDS * 3 / 4,
        "most requests are refused ({refused})"
    );

    // The server still serves, and the earlier data is unchanged.
    let advisor_token = advisor_login(&http, &server, &tenant.id, &tenant.advisors[0]).await;
    let after: Value = http
        .get(server.url(t, &snapshot_path))
        .bearer_auth(&advisor_token)
        .send()
        .await
        .expect("t")
        .json()
        .await
        .expect("json");
    assert_eq!(after["report"], before["report"]);
    assert_eq!(after["created_day"], before["created_day"]);
    assert_eq!(after["messages"][0], before["messages"][0]);
    assert!(store_is_consistent(dir.path()));
    server.stop().await;
}

/// SQLite's own integrity check on the tenant database.
fn store_is_consistent(data_dir: &std::path::Path) -> bool {
    let conn =
        rusqlite::Connection::open(data_dir.join("tenants/acme/tenant.sqlite")).expect("open");
    let result: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("check");
    result == "ok"
}
