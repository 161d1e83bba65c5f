//! The server driven over HTTP with the real crypto core: a full report ->
//! advisor reply -> reporter reply cycle, tenant isolation on every
//! endpoint, and refused tenant ids.

use meldkluis_crypto_core::{ItemKind, LoginCode, MailboxKeys, PublicKey, StaticKey, TenantId};
use meldkluis_tests::{
    advisor_login, b64, client, mailbox_login, new_item_id, open, seal, submit_report, unb64,
    Mailbox, TestServer, TestTenant,
};
use serde_json::{json, Value};

fn keys_from_config(config: &Value) -> Vec<PublicKey> {
    config["advisors"]
        .as_array()
        .expect("advisors")
        .iter()
        .map(|a| PublicKey::from_hex(a["public_key"].as_str().expect("hex")).expect("key"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_cycle_report_advisor_reply_reporter_reply() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "acme", 2);
    let http = client();
    let t = tenant.id.as_str();

    // The reporter's browser reads the public configuration.
    let response = http
        .get(server.url(t, "/config"))
        .send()
        .await
        .expect("config");
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    let csp = headers["content-security-policy"].to_str().expect("csp");
    assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"));
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(
        headers.get("strict-transport-security").is_none(),
        "no HSTS without TLS"
    );
    let config: Value = response.json().await.expect("json");
    assert_eq!(config["accepting_reports"], true);
    let advisor_keys = keys_from_config(&config);
    assert_eq!(advisor_keys, tenant.advisor_keys());
    assert_eq!(
        config["advisors"][0]["fingerprint"],
        tenant.advisors[0].public_key().fingerprint()
    );
    let recovery = PublicKey::from_hex(config["recovery_key"]["public_key"].as_str().expect("hex"))
        .expect("key");
    assert_eq!(recovery, tenant.recovery.public_key());

    // The reporter's code and mailbox, derived as the browser does.
    let mut rng = meldkluis_crypto_core::os_rng();
    let code = LoginCode::generate(&mut rng);
    let keys = MailboxKeys::derive(&code, &tenant.id);
    let report_id = new_item_id();
    let mut recipients = vec![keys.public_key(), recovery];
    recipients.extend_from_slice(&advisor_keys);
    let report = seal(
        ItemKind::Report,
        &tenant.id,
        report_id,
        report_id,
        keys.key(),
        &recipients,
        b"answers: pesten",
    );
    let body = json!({
        "item": b64(&report),
        "mailbox_id": keys.mailbox_id().to_hex(),
        "mailbox_public_key": keys.public_key().to_hex(),
        "auth_secret": hex::encode(keys.auth_secret().expose_secret_bytes()),
    });
    assert_eq!(submit_report(&http, &server, t, &body).await, 201);
    // The item id is the idempotency key: the very same report sent again
    // (a retry after an unknown outcome) is answered as the first was and
    // stored once (`idempotency::*` in server/tests/it); other bytes under
    // that id stay a conflict.
    assert_eq!(
        submit_report(&http, &server, t, &body).await,
        201,
        "the same report again"
    );
    let mut other = body.clone();
    other["auth_secret"] = json!(hex::encode([9u8; 32]));
    assert_eq!(
        submit_report(&http, &server, t, &other).await,
        409,
        "another report under the same id"
    );

    // Log-in failures look the same whether the id exists or not.
    let wrong =
        json!({ "mailbox_id": keys.mailbox_id().to_hex(), "auth_secret": hex::encode([0u8; 32]) });
    let unknown =
        json!({ "mailbox_id": hex::encode([1u8; 16]), "auth_secret": hex::encode([0u8; 32]) });
    let mut answers = Vec::new();
    for body in [&wrong, &unknown] {
        let response = http
            .post(server.url(t, "/mailbox/login"))
            .json(body)
            .send()
            .await
            .expect("login");
        assert_eq!(response.status(), 401);
        answers.push(response.text().await.expect("text"));
    }
    assert_eq!(answers[0], answers[1]);
    assert!(
        answers[0].contains("login_failed") && answers[0].contains("Inloggen"),
        "Dutch by default"
    );
    let english = http
        .post(server.url(t, "/mailbox/login"))
        .header("accept-language", "en-GB,en;q=0.9")
        .json(&unknown)
        .send()
        .await
        .expect("login");
    assert!(english
        .text()
        .await
        .expect("text")
        .contains("Logging in failed"));

    let login = json!({
        "mailbox_id": keys.mailbox_id().to_hex(),
        "auth_secret": hex::encode(keys.auth_secret().expose_secret_bytes()),
    });
    let response = http
        .post(server.url(t, "/mailbox/login"))
        .json(&login)
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), 200);
    let reporter_token = response.json::<Value>().await.expect("json")["token"]
        .as_str()
        .expect("token")
        .to_owned();

    let thread: Value = http
        .get(server.url(t, "/mailbox"))
        .bearer_auth(&reporter_token)
        .send()
        .await
        .expect("thread")
        .json()
        .await
        .expect("json");
    assert_eq!(thread["status"], "new");
    let own = open(
        &unb64(thread["report"].as_str().expect("item")),
        keys.key(),
        &tenant.id,
        &[keys.public_key()],
    );
    assert_eq!(own, b"answers: pesten");

    // The advisor logs in with the key, lists and reads.
    let advisor = &tenant.advisors[0];
    let advisor_token = advisor_login(&http, &server, &tenant.id, advisor).await;
    let list: Value = http
        .get(server.url(t, "/advisor/reports"))
        .bearer_auth(&advisor_token)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(list["reports"].as_array().expect("reports").len(), 1);
    assert_eq!(list["reports"][0]["report_id"], report_id.to_hex());
    let report_path = format!("/advisor/reports/{}", report_id.to_hex());
    let thread: Value = http
        .get(server.url(t, &report_path))
        .bearer_auth(&advisor_token)
        .send()
        .await
        .expect("thread")
        .json()
        .await
        .expect("json");
    let sealed = unb64(thread["report"].as_str().expect("item"));
    assert_eq!(
        open(&sealed, advisor, &tenant.id, &[keys.public_key()]),
        b"answers: pesten"
    );
    assert_eq!(
        open(&sealed, &tenant.recovery, &tenant.id, &[keys.public_key()]),
        b"answers: pesten"
    );

    // The advisor replies, sets status, date and category, and attaches a file.
    let reply = seal(
        ItemKind::Message,
        &tenant.id,
        new_item_id(),
        report_id,
        advisor,
        &recipients,
        b"ontvangen, we bellen",
    );
    let response = http
        .post(server.url(t, &format!("{report_path}/messages")))
        .bearer_auth(&advisor_token)
        .json(&json!({ "item": b64(&reply) }))
        .send()
        .await
        .expect("reply");
    assert_eq!(response.status(), 201);
    let response = http
        .put(server.url(t, &format!("{report_path}/status")))
        .bearer_auth(&advisor_token)
        .json(&json!({ "status": "in_progress", "agreed_update_date": "2030-02-01" }))
        .send()
        .await
        .expect("status");
    assert_eq!(response.status(), 200);
    for (category, expected) in [
        ("pesten", 200),
        ("not-in-questionnaire", 400),
        ("../x", 400),
    ] {
        let response = http
            .put(server.url(t, &format!("{report_path}/category")))
            .bearer_auth(&advisor_token)
            .json(&json!({ "category": category }))
            .send()
            .await
            .expect("category");
        assert_eq!(response.status(), expected, "{category}");
    }
    let file_content: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let attachment = seal(
        ItemKind::Attachment,
        &tenant.id,
        new_item_id(),
        report_id,
        advisor,
        &recipients,
        &file_content,
    );
    let response = http
        .post(server.url(t, &format!("{report_path}/attachments")))
        .bearer_auth(&advisor_token)
        .body(attachment.clone())
        .send()
        .await
        .expect("upload");
    assert_eq!(response.status(), 201);

    // The reporter sees the reply, the status and the attachment.
    let thread: Value = http
        .get(server.url(t, "/mailbox"))
        .bearer_auth(&reporter_token)
        .send()
        .await
        .expect("thread")
        .json()
        .await
        .expect("json");
    assert_eq!(thread["status"], "in_progress");
    assert_eq!(thread["agreed_update_date"], "2030-02-01");
    assert_eq!(thread["messages"][0]["from"], "advisor");
    let reply_item = unb64(thread["messages"][0]["item"].as_str().expect("item"));
    assert_eq!(
        open(&reply_item, keys.key(), &tenant.id, &advisor_keys),
        b"ontvangen, we bellen"
    );
    let attachment_id = thread["attachments"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let downloaded = http
        .get(server.url(t, &format!("/mailbox/attachments/{attachment_id}")))
        .bearer_auth(&reporter_token)
        .send()
        .await
        .expect("download")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(downloaded.as_ref(), attachment.as_slice());
    assert_eq!(
        open(&downloaded, keys.key(), &tenant.id, &advisor_keys),
        file_content
    );

    // The reporter answers, with a file too.
    let answer = seal(
        ItemKind::Message,
        &tenant.id,
        new_item_id(),
        report_id,
        keys.key(),
        &recipients,
        b"dank, dinsdag kan",
    );
    let response = http
        .post(server.url(t, "/mailbox/messages"))
        .bearer_auth(&reporter_token)
        .json(&json!({ "item": b64(&answer) }))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 201);
    let reporter_file = seal(
        ItemKind::Attachment,
        &tenant.id,
        new_item_id(),
        report_id,
        keys.key(),
        &recipients,
        b"screenshot",
    );
    let response = http
        .post(server.url(t, "/mailbox/attachments"))
        .bearer_auth(&reporter_token)
        .body(reporter_file)
        .send()
        .await
        .expect("upload");
    assert_eq!(response.status(), 201);
    // A message claiming to come from an advisor is refused from the mailbox.
    let forged = seal(
        ItemKind::Message,
        &tenant.id,
        new_item_id(),
        report_id,
        advisor,
        &recipients,
        b"forged",
    );
    let response = http
        .post(server.url(t, "/mailbox/messages"))
        .bearer_auth(&reporter_token)
        .json(&json!({ "item": b64(&forged) }))
        .send()
        .await
        .expect("forged");
    assert_eq!(response.status(), 400);

    // The advisor reads the answer; the other advisor sees it too.
    let other_token = advisor_login(&http, &server, &tenant.id, &tenant.advisors[1]).await;
    let thread: Value = http
        .get(server.url(t, &report_path))
        .bearer_auth(&other_token)
        .send()
        .await
        .expect("thread")
        .json()
        .await
        .expect("json");
    let messages = thread["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[1]["from"], "reporter");
    let answer_item = unb64(messages[1]["item"].as_str().expect("item"));
    assert_eq!(
        open(
            &answer_item,
            &tenant.advisors[1],
            &tenant.id,
            &[keys.public_key()]
        ),
        b"dank, dinsdag kan"
    );
    assert_eq!(
        thread["attachments"].as_array().expect("attachments").len(),
        2
    );

    // Logging out ends the session.
    let response = http
        .post(server.url(t, "/mailbox/logout"))
        .bearer_auth(&reporter_token)
        .send()
        .await
        .expect("logout");
    assert_eq!(response.status(), 204);
    let response = http
        .get(server.url(t, "/mailbox"))
        .bearer_auth(&reporter_token)
        .send()
        .await
        .expect("thread");
    assert_eq!(response.status(), 401);
    server.stop().await;
}

/// Every endpoint, tried across tenants: nothing of tenant A is readable or
/// writable through tenant B.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_are_isolated_on_every_endpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let admin = server.admin();
    let a = TestTenant::create(&admin, "tenant-a", 2);
    let b = TestTenant::create(&admin, "tenant-b", 1);
    let http = client();

    // A report in A sealed to A's first advisor only, and one in B.
    let mailbox_a = Mailbox::random();
    let recipients_a = mailbox_a.recipients(&a, &[a.advisors[0].public_key()]);
    let report_a = seal(
        ItemKind::Report,
        &a.id,
        mailbox_a.report_id,
        mailbox_a.report_id,
        &mailbox_a.key,
        &recipients_a,
        b"a",
    );
    assert_eq!(
        submit_report(
            &http,
            &server,
            "tenant-a",
            &mailbox_a.report_body(&report_a)
        )
        .await,
        201
    );
    let mailbox_b = Mailbox::random();
    let report_b = mailbox_b.seal_report(&b, b"b");
    assert_eq!(
        submit_report(
            &http,
            &server,
            "tenant-b",
            &mailbox_b.report_body(&report_b)
        )
        .await,
        201
    );

    // A's report and A's mailbox submitted to B.
    assert_eq!(
        submit_report(
            &http,
            &server,
            "tenant-b",
            &mailbox_a.report_body(&report_a)
        )
        .await,
        400
    );
    let login = http
        .post(server.url("tenant-b", "/mailbox/login"))
        .json(&mailbox_a.login_body())
        .send()
        .await
        .expect("login");
    assert_eq!(login.status(), 401);

    let token_a = mailbox_login(&http, &server, "tenant-a", &mailbox_a).await;
    let advisor_a = advisor_login(&http, &server, &a.id, &a.advisors[0]).await;
    let advisor_a_other = advisor_login(&http, &server, &a.id, &a.advisors[1]).await;
    let advisor_b = advisor_login(&http, &server, &b.id, &b.advisors[0]).await;
    let ra = mailbox_a.report_id.to_hex();

    // An advisor of A answering a challenge of B with A's key: refused.
    let challenge: Value = http
        .get(server.url("tenant-b", "/advisor/challenge"))
        .send()
        .await
        .expect("c")
        .json()
        .await
        .expect("json");
    let message: [u8; 64] = unb64(challenge["challenge"].as_str().expect("c"))
        .try_into()
        .expect("64");
    let context = meldkluis_server::auth::challenge_context(&a.id, server.state.server_origin());
    let answer =
        meldkluis_crypto_core::challenge::answer_challenge(&a.advisors[0], &message, &context)
            .expect("answer");
    let response = http
        .post(server.url("tenant-b", "/advisor/login"))
        .json(&json!({ "challenge_id": challenge["challenge_id"], "public_key": a.advisors[0].public_key().to_hex(), "response": b64(&answer) }))
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), 401);

    let message_a = b64(&seal(
        ItemKind::Message,
        &a.id,
        new_item_id(),
        mailbox_a.report_id,
        &mailbox_a.key,
        &recipients_a,
        b"m",
    ));
    let advisor_message_a = b64(&seal(
        ItemKind::Message,
        &a.id,
        new_item_id(),
        mailbox_a.report_id,
        &a.advisors[0],
        &recipients_a,
        b"m",
    ));
    let attachment_a = seal(
        ItemKind::Attachment,
        &a.id,
        new_item_id(),
        mailbox_a.report_id,
        &mailbox_a.key,
        &recipients_a,
        b"f",
    );

    // (method, tenant, path, token, body) that must all fail.
    let zero = "00".repeat(16);
    // A well-formed grant of report A to A's other advisor, from A's
    // recovery key.
    let grant_a = b64(&meldkluis_crypto_core::grant_item_key(
        &report_a,
        &meldkluis_crypto_core::GrantParams {
            tenant: &a.id,
            grantor: &a.recovery,
            grantor_access: meldkluis_crypto_core::Access::Stanza,
            grantee: &a.advisors[1].public_key(),
        },
        &mut meldkluis_crypto_core::os_rng(),
    )
    .expect("the recovery key grants"));
    let cases: Vec<(&str, &str, String, &str, Option<Value>)> = vec![
        ("GET", "tenant-b", "/mailbox".into(), &token_a, None),
        (
            "POST",
            "tenant-b",
            "/mailbox/messages".into(),
            &token_a,
            Some(json!({ "item": message_a })),
        ),
        (
            "GET",
            "tenant-b",
            format!("/mailbox/attachments/{zero}"),
            &token_a,
            None,
        ),
        (
            "GET",
            "tenant-b",
            "/advisor/reports".into(),
            &advisor_a,
            None,
        ),
        (
            "GET",
            "tenant-b",
            format!("/advisor/reports/{ra}"),
            &advisor_a,
            None,
        ),
        (
            "GET",
            "tenant-b",
            format!("/advisor/reports/{ra}"),
            &advisor_b,
            None,
        ),
        (
            "POST",
            "tenant-b",
            format!("/advisor/reports/{ra}/messages"),
            &advisor_b,
            Some(json!({ "item": advisor_message_a })),
        ),
        (
            "GET",
            "tenant-b",
            format!("/advisor/reports/{ra}/attachments/{zero}"),
            &advisor_b,
            None,
        ),
        (
            "PUT",
            "tenant-b",
            format!("/advisor/reports/{ra}/status"),
            &advisor_b,
            Some(json!({ "status": "closed" })),
        ),
        (
            "PUT",
            "tenant-b",
            format!("/advisor/reports/{ra}/category"),
            &advisor_b,
            Some(json!({ "category": "pesten" })),
        ),
        (
            "PUT",
            "tenant-b",
            format!("/advisor/reports/{ra}/status"),
            &advisor_a,
            Some(json!({ "status": "closed" })),
        ),
        // Advisors see only the reports sealed to them.
        (
            "GET",
            "tenant-a",
            format!("/advisor/reports/{ra}"),
            &advisor_a_other,
            None,
        ),
        (
            "PUT",
            "tenant-a",
            format!("/advisor/reports/{ra}/status"),
            &advisor_a_other,
            Some(json!({ "status": "closed" })),
        ),
        (
            "PUT",
            "tenant-a",
            format!("/advisor/reports/{ra}/category"),
            &advisor_a_other,
            Some(json!({ "category": "pesten" })),
        ),
        (
            "POST",
            "tenant-a",
            format!("/advisor/reports/{ra}/messages"),
            &advisor_a_other,
            Some(json!({ "item": advisor_message_a })),
        ),
        // Key grants: not through another tenant, not for a report the
        // advisor may not see (the grant itself is well formed).
        (
            "POST",
            "tenant-b",
            format!("/advisor/reports/{ra}/grants"),
            &advisor_b,
            Some(json!({ "grants": [grant_a.clone()] })),
        ),
        (
            "POST",
            "tenant-a",
            format!("/advisor/reports/{ra}/grants"),
            &advisor_a_other,
            Some(json!({ "grants": [grant_a.clone()] })),
        ),
        // A mailbox session cannot use advisor endpoints and vice versa.
        ("GET", "tenant-a", "/advisor/reports".into(), &token_a, None),
        ("GET", "tenant-a", "/mailbox".into(), &advisor_a, None),
    ];
    for (method, tenant, path, token, body) in cases {
        let mut request = http
            .request(method.parse().expect("method"), server.url(tenant, &path))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let status = request.send().await.expect("request").status().as_u16();
        assert!(
            matches!(status, 400 | 401 | 404),
            "{method} {tenant}{path} answered {status}"
        );
    }
    for (tenant, path, token) in [
        ("tenant-b", "/mailbox/attachments".to_owned(), &token_a),
        (
            "tenant-b",
            format!("/advisor/reports/{ra}/attachments"),
            &advisor_b,
        ),
        (
            "tenant-a",
            format!("/advisor/reports/{ra}/attachments"),
            &advisor_a_other,
        ),
    ] {
        let status = http
            .post(server.url(tenant, &path))
            .bearer_auth(token)
            .body(attachment_a.clone())
            .send()
            .await
            .expect("upload")
            .status();
        assert!(
            matches!(status.as_u16(), 400 | 401 | 404),
            "POST {tenant}{path} answered {status}"
        );
    }
    // B's advisor list never shows A's report; B's config never shows A's keys.
    let list: Value = http
        .get(server.url("tenant-b", "/advisor/reports"))
        .bearer_auth(&advisor_b)
        .send()
        .await
        .expect("l")
        .json()
        .await
        .expect("json");
    assert_eq!(list["reports"].as_array().expect("reports").len(), 1);
    assert_eq!(
        list["reports"][0]["report_id"],
        mailbox_b.report_id.to_hex()
    );
    let config_b: Value = http
        .get(server.url("tenant-b", "/config"))
        .send()
        .await
        .expect("c")
        .json()
        .await
        .expect("json");
    assert_eq!(keys_from_config(&config_b), b.advisor_keys());

    // A's thread is unchanged and still A's.
    let thread: Value = http
        .get(server.url("tenant-a", "/mailbox"))
        .bearer_auth(&token_a)
        .send()
        .await
        .expect("t")
        .json()
        .await
        .expect("json");
    assert_eq!(thread["status"], "new");
    assert_eq!(thread["messages"].as_array().expect("messages").len(), 0);
    assert_eq!(
        thread["attachments"].as_array().expect("attachments").len(),
        0
    );
    assert_eq!(unb64(thread["report"].as_str().expect("item")), report_a);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_like_unknown_and_oversized_tenant_ids_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    TestTenant::create(&server.admin(), "acme", 1);
    let http = client();
    let long = "a".repeat(64);
    let bad = [
        "..",
        "..%2F..%2Fetc",
        "%2e%2e",
        "A",
        "-a",
        "a-",
        "a%20b",
        "a.b",
        "acme%00",
        "%C3%A9",
        "a_b",
        long.as_str(),
        "acme%2F..%2Facme",
    ];
    for id in bad {
        for path in ["/config", "/mailbox", "/advisor/challenge"] {
            let response = http
                .get(server.url(id, path))
                .send()
                .await
                .expect("request");
            let status = response.status().as_u16();
            assert!(matches!(status, 400 | 404), "{id}{path} answered {status}");
            let body: Value = response.json().await.expect("JSON error");
            assert!(body["error"]["code"].is_string());
        }
    }
    let response = http
        .get(server.url("no-such-tenant", "/config"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.json::<Value>().await.expect("json")["error"]["code"],
        "tenant_not_found"
    );
    let response = http
        .get(server.url(&long, "/config"))
        .send()
        .await
        .expect("request");
    assert_eq!(
        response.json::<Value>().await.expect("json")["error"]["code"],
        "invalid_tenant_id"
    );
    // Nothing was created for any of them.
    let tenants: Vec<_> = std::fs::read_dir(dir.path().join("tenants"))
        .expect("dir")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(tenants, vec![std::ffi::OsString::from("acme")]);

    // A disabled tenant answers 403.
    server
        .admin()
        .set_disabled(&TenantId::new("acme").expect("valid"), true)
        .expect("disable");
    let server2 = TestServer::start(dir.path(), |_| {}).await;
    let response = http
        .get(server2.url("acme", "/config"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 403);
    server2.stop().await;
    server.stop().await;
}
