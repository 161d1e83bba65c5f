//! E-mail notices and deadline digests, against a real SMTP server
//! (aiosmtpd, `tests/smtp/smtp_sink.py`) on 127.0.0.1: the reporter's notice
//! in their language and with nothing but the tenant, "a message is
//! waiting" and the mailbox address; the reporter's own address endpoints;
//! the advisors' daily digest for reports dated 6, 8, 80 and 95 days back;
//! refusals and dropped connections retried until delivered exactly once;
//! STARTTLS with AUTH and implicit TLS.

use std::sync::Arc;
use std::time::Duration;

use meldkluis_crypto_core::{ItemKind, StaticKey};
use meldkluis_server::clock::{Day, ManualClock};
use meldkluis_server::notices::EmailAddress;
use meldkluis_tests::smtp::{SinkOptions, SmtpSink};
use meldkluis_tests::{
    advisor_login, advisor_post_message, advisor_set_status, b64, client, mailbox_login,
    notices_to_sink, seal, submit_sealed, wait_outbox_empty, Mailbox, TestServer, TestTenant,
};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(30);

/// Submits `mailbox`'s report, sealed to `advisors`, with extra JSON fields.
async fn submit(
    http: &reqwest::Client,
    server: &TestServer,
    tenant: &TestTenant,
    mailbox: &Mailbox,
    advisors: &[usize],
    extra: Value,
) -> (u16, Value) {
    let content = b"report content CANARY-REPORT";
    let (_, status, answer) =
        submit_sealed(http, server, tenant, mailbox, advisors, content, extra).await;
    (status, answer)
}

/// Every `http…` link in a text.
fn links(text: &str) -> Vec<&str> {
    text.match_indices("http")
        .map(|(i, _)| {
            text[i..]
                .split(|c: char| c.is_whitespace())
                .next()
                .unwrap_or_default()
                .trim_end_matches(['.', ',', ')'])
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reporter_notice_arrives_in_their_language_and_says_nothing_more() {
    let sink_dir = tempfile::tempdir().expect("tempdir");
    let sink = SmtpSink::start(sink_dir.path(), &SinkOptions::default());
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |c| {
        notices_to_sink(c, sink.port);
        // Long enough that the advisor's second action finds the first
        // notice still waiting, and merges into it.
        c.notices.delay_min_secs = 1.0;
        c.notices.delay_max_secs = 1.5;
    })
    .await;
    let tenant = TestTenant::create(&server.admin(), "acme", 1);
    let t = tenant.id.as_str();
    let http = client();

    // Three reporters: Dutch, English (from Accept-Language), and none.
    let dutch = Mailbox::random();
    let (status, answer) = submit(
        &http,
        &server,
        &tenant,
        &dutch,
        &[0],
        json!({ "notice_email": " melder.een@example.org ", "language": "nl" }),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(answer["notice_email_saved"], true);
    let english = Mailbox::random();
    let (status, _) = submit(
        &http,
        &server,
        &tenant,
        &english,
        &[0],
        json!({ "notice_email": "reporter.two@example.org", "language": "en" }),
    )
    .await;
    assert_eq!(status, 201);
    let silent = Mailbox::random();
    let (status, answer) = submit(&http, &server, &tenant, &silent, &[0], json!({})).await;
    assert_eq!(status, 201);
    assert!(answer.get("notice_email_saved").is_none());

    // A bad address or language is refused with a translated error, and
    // the report is not stored.
    for (extra, code) in [
        (
            json!({ "notice_email": "not an address" }),
            "invalid_email_address",
        ),
        (
            json!({ "notice_email": "a@b@c.example" }),
            "invalid_email_address",
        ),
        (
            json!({ "notice_email": "x@example.org\r\nBcc: y@example.org" }),
            "invalid_email_address",
        ),
        (
            json!({ "notice_email": "x@example.org", "language": "xx" }),
            "bad_request",
        ),
        (json!({ "notice_email": 42 }), "invalid_json"),
    ] {
        let (status, answer) =
            submit(&http, &server, &tenant, &Mailbox::random(), &[0], extra).await;
        assert_eq!(status, 400);
        assert_eq!(answer["error"]["code"], code);
    }
    let (_, answer) = submit(
        &http,
        &server,
        &tenant,
        &Mailbox::random(),
        &[0],
        json!({ "notice_email": "nope" }),
    )
    .await;
    assert_eq!(
        answer["error"]["message"],
        "Dit e-mailadres is ongeldig. Controleer het en probeer het opnieuw."
    );
    assert_eq!(
        server
            .admin()
            .show_tenant(&tenant.id)
            .expect("show")
            .report_count,
        3
    );

    // The reporter sees their own address and language.
    let token = mailbox_login(&http, &server, t, &dutch).await;
    let own: Value = http
        .get(server.url(t, "/mailbox/notice-email"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(
        own,
        json!({ "address": "melder.een@example.org", "language": "nl" })
    );

    // The advisor writes to the Dutch reporter and changes the status
    // (one notice: the second action merges into the waiting one), changes
    // the English reporter's status, and writes to the silent one.
    let advisor = &tenant.advisors[0];
    let advisor_token = advisor_login(&http, &server, &tenant.id, advisor).await;
    let content = b"advisor message CANARY-MESSAGE";
    assert_eq!(
        advisor_post_message(
            &http,
            &server,
            &tenant,
            &advisor_token,
            advisor,
            &dutch,
            content
        )
        .await,
        201
    );
    assert_eq!(
        advisor_set_status(
            &http,
            &server,
            &tenant,
            &advisor_token,
            dutch.report_id,
            "acknowledged",
            None
        )
        .await,
        200
    );
    assert_eq!(
        advisor_set_status(
            &http,
            &server,
            &tenant,
            &advisor_token,
            english.report_id,
            "in_progress",
            Some("2026-12-01")
        )
        .await,
        200
    );
    assert_eq!(
        advisor_post_message(
            &http,
            &server,
            &tenant,
            &advisor_token,
            advisor,
            &silent,
            content
        )
        .await,
        201
    );
    assert_eq!(
        server.state.notices().pending().await.expect("pending"),
        2,
        "queued before the advisor was answered; merged; none without an address"
    );

    sink.wait_for(2, WAIT);
    wait_outbox_empty(&server, WAIT).await;
    let mails = sink.messages();
    assert_eq!(
        mails.len(),
        2,
        "one notice per reporter, nothing for the silent one"
    );
    let mailbox_url = "https://meldkluis.example/t/acme/mailbox";
    let to = |address: &str| {
        mails
            .iter()
            .find(|m| m.rcpt_to == [address])
            .unwrap_or_else(|| panic!("no mail to {address}"))
    };
    let nl = to("melder.een@example.org");
    assert_eq!(nl.subject, "Nieuw bericht in uw beveiligde berichtenbox");
    assert!(nl.body.contains("Er staat een nieuw bericht voor u klaar"));
    assert!(nl.body.contains("bij Tenant acme."));
    let en = to("reporter.two@example.org");
    assert_eq!(en.subject, "New message in your secure mailbox");
    assert!(en
        .body
        .contains("A new message is waiting for you in your secure mailbox at Tenant acme."));
    let secrets: Vec<String> = [&dutch, &english, &silent]
        .iter()
        .flat_map(|m| {
            [
                m.report_id.to_hex(),
                hex::encode(m.id),
                hex::encode(m.auth_secret),
                m.key.public_key().to_hex(),
                b64(&m.id),
            ]
        })
        .chain(["CANARY".to_owned(), "Advisor 0".to_owned()])
        .collect();
    for mail in [nl, en] {
        assert_eq!(
            mail.header("From"),
            Some("meldkluis <noreply@meldkluis.example>")
        );
        assert_eq!(mail.header("Auto-Submitted"), Some("auto-generated"));
        assert_eq!(
            links(&mail.body),
            [mailbox_url],
            "the only link is the mailbox"
        );
        let raw = String::from_utf8_lossy(&mail.raw).to_lowercase();
        for secret in &secrets {
            assert!(
                !raw.contains(&secret.to_lowercase()),
                "{secret} in a notice"
            );
        }
    }
    let transactions = sink.transactions();
    assert_eq!(
        transactions.len(),
        2,
        "no retries, no duplicates: {transactions:?}"
    );
    assert_ne!(
        transactions[0].1, transactions[1].1,
        "one Message-ID per notice"
    );

    // The English reporter removes the address: the next change sends nothing.
    let english_token = mailbox_login(&http, &server, t, &english).await;
    let deleted = http
        .delete(server.url(t, "/mailbox/notice-email"))
        .bearer_auth(&english_token)
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted.status(), 204);
    let own: Value = http
        .get(server.url(t, "/mailbox/notice-email"))
        .header("accept-language", "en")
        .bearer_auth(&english_token)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(own, json!({ "address": null, "language": "en" }));
    assert_eq!(
        advisor_set_status(
            &http,
            &server,
            &tenant,
            &advisor_token,
            english.report_id,
            "awaiting_reporter",
            None
        )
        .await,
        200
    );
    assert_eq!(server.state.notices().pending().await.expect("pending"), 0);

    // The silent reporter adds an address later, in English; a bad one is
    // refused and changes nothing.
    let silent_token = mailbox_login(&http, &server, t, &silent).await;
    for (body, status) in [
        (json!({ "address": "bad@", "language": "en" }), 400),
        (
            json!({ "address": "late@example.org", "language": "de" }),
            400,
        ),
        (json!({ "address": null }), 400),
        (
            json!({ "address": "late@example.org", "language": "en" }),
            200,
        ),
    ] {
        let response = http
            .put(server.url(t, "/mailbox/notice-email"))
            .bearer_auth(&silent_token)
            .json(&body)
            .send()
            .await
            .expect("put");
        assert_eq!(response.status(), status, "{body}");
    }
    assert_eq!(
        advisor_post_message(
            &http,
            &server,
            &tenant,
            &advisor_token,
            advisor,
            &silent,
            content
        )
        .await,
        201
    );
    let mails = sink.wait_for(3, WAIT);
    let late = mails
        .iter()
        .find(|m| m.rcpt_to == ["late@example.org"])
        .expect("the late address got its notice");
    assert_eq!(late.subject, "New message in your secure mailbox");

    // Only the reporter's own session reaches the address: not an advisor,
    // not another tenant's session, not without a session.
    let other = TestTenant::create(&server.admin(), "other", 1);
    for (tenant_id, token) in [
        (t, Some(advisor_token.as_str())),
        (other.id.as_str(), Some(token.as_str())),
        (t, None),
    ] {
        for method in [
            reqwest::Method::GET,
            reqwest::Method::PUT,
            reqwest::Method::DELETE,
        ] {
            let mut request = http
                .request(
                    method.clone(),
                    server.url(tenant_id, "/mailbox/notice-email"),
                )
                .json(&json!({ "address": "intruder@example.org" }));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let response = request.send().await.expect("request");
            assert_eq!(response.status(), 401, "{method} {tenant_id}");
        }
    }
    let own: Value = http
        .get(server.url(t, "/mailbox/notice-email"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(
        own["address"], "melder.een@example.org",
        "unchanged by the intruders"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn advisor_digest_lists_due_and_overdue_reports() {
    let today = Day::parse("2026-11-24").expect("valid");
    // Before the digest hour on every day the reports are made, so no
    // digest goes out until the test says so.
    let clock = Arc::new(ManualClock::at(today.add_days(-200), 3));
    let sink_dir = tempfile::tempdir().expect("tempdir");
    let sink = SmtpSink::start(sink_dir.path(), &SinkOptions::default());
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start_with_clock(dir.path(), clock.clone(), |c| {
        notices_to_sink(c, sink.port);
        c.notices.digest_hour_utc = 6;
    })
    .await;
    let admin = server.admin();
    let tenant = TestTenant::create(&admin, "acme", 2);
    let t = tenant.id.as_str();
    for (i, (address, lang)) in [
        ("adviseur.nul@example.org", "nl"),
        ("advisor.one@example.org", "en"),
    ]
    .into_iter()
    .enumerate()
    {
        let lang = meldkluis_i18n_lang(lang);
        admin
            .set_advisor_email(
                &tenant.id,
                &tenant.advisors[i].public_key(),
                Some((&EmailAddress::parse(address).expect("valid"), lang)),
            )
            .expect("set email");
    }
    let http = client();
    let mut tokens = Vec::new();
    for advisor in &tenant.advisors {
        tokens.push(advisor_login(&http, &server, &tenant.id, advisor).await);
    }
    let on = |days_back: i64| clock.set(today.add_days(-days_back), 3);

    // Made 200 days back and closed: no clock runs.
    on(200);
    let closed = Mailbox::random();
    assert_eq!(
        submit(&http, &server, &tenant, &closed, &[0, 1], json!({}))
            .await
            .0,
        201
    );
    on(199);
    assert_eq!(
        advisor_set_status(
            &http,
            &server,
            &tenant,
            &tokens[0],
            closed.report_id,
            "closed",
            None
        )
        .await,
        200
    );
    // 95 days back, acknowledged the next day: feedback overdue.
    on(95);
    let r95 = Mailbox::random();
    assert_eq!(
        submit(&http, &server, &tenant, &r95, &[0, 1], json!({}))
            .await
            .0,
        201
    );
    on(94);
    assert_eq!(
        advisor_set_status(
            &http,
            &server,
            &tenant,
            &tokens[0],
            r95.report_id,
            "acknowledged",
            None
        )
        .await,
        200
    );
    // 80 days back (advisor 0 only), acknowledged by a message the next
    // day, in progress with an agreed update date in 3 days.
    on(80);
    let r80 = Mailbox::random();
    assert_eq!(
        submit(&http, &server, &tenant, &r80, &[0], json!({}))
            .await
            .0,
        201
    );
    on(79);
    let recipients = r80.recipients(&tenant, &[tenant.advisors[0].public_key()]);
    let reply = seal(
        ItemKind::Message,
        &tenant.id,
        meldkluis_tests::new_item_id(),
        r80.report_id,
        &tenant.advisors[0],
        &recipients,
        b"ontvangen",
    );
    let posted = http
        .post(server.url(
            t,
            &format!("/advisor/reports/{}/messages", r80.report_id.to_hex()),
        ))
        .bearer_auth(&tokens[0])
        .json(&json!({ "item": b64(&reply) }))
        .send()
        .await
        .expect("post");
    assert_eq!(posted.status(), 201);
    on(10);
    let agreed = today.add_days(3).to_string();
    assert_eq!(
        advisor_set_status(
            &http,
            &server,
            &tenant,
            &tokens[0],
            r80.report_id,
            "in_progress",
            Some(&agreed)
        )
        .await,
        200
    );
    // 8 days back, never acknowledged: acknowledgement overdue.
    on(8);
    let r8 = Mailbox::random();
    assert_eq!(
        submit(&http, &server, &tenant, &r8, &[0, 1], json!({}))
            .await
            .0,
        201
    );
    // 6 days back (advisor 1 only): acknowledgement due tomorrow.
    on(6);
    let r6 = Mailbox::random();
    assert_eq!(
        submit(&http, &server, &tenant, &r6, &[1], json!({}))
            .await
            .0,
        201
    );

    // Many sending rounds ran on those days, all before the digest hour:
    // nothing went out. From the hour on: one digest per advisor.
    assert!(sink.messages().is_empty());
    clock.set(today, 7);
    let mails = sink.wait_for(2, WAIT);
    wait_outbox_empty(&server, WAIT).await;
    assert_eq!(sink.messages().len(), 2);
    let short = |m: &Mailbox| m.report_id.to_hex()[..8].to_owned();
    let to = |address: &str| {
        mails
            .iter()
            .find(|m| m.rcpt_to == [address])
            .unwrap_or_else(|| panic!("no digest to {address}"))
    };

    let nl = to("adviseur.nul@example.org");
    assert_eq!(
        nl.subject,
        "Termijnen van meldingen bij Tenant acme op 2026-11-24"
    );
    let expected_nl = [
        format!(
            "- melding {}: terugkoppeling uiterlijk 2026-11-22 (2 dagen te laat)",
            short(&r95)
        ),
        format!(
            "- melding {}: ontvangstbevestiging uiterlijk 2026-11-23 (1 dag te laat)",
            short(&r8)
        ),
        format!(
            "- melding {}: afgesproken termijn 2026-11-27 (nog 3 dagen)",
            short(&r80)
        ),
        format!(
            "- melding {}: terugkoppeling uiterlijk 2026-12-06 (nog 12 dagen)",
            short(&r80)
        ),
    ];
    let listed: Vec<&str> = nl.body.lines().filter(|l| l.starts_with("- ")).collect();
    assert_eq!(listed, expected_nl, "{}", nl.body);
    let passed = nl.body.find("Verstreken:").expect("passed section");
    let coming = nl.body.find("Binnenkort:").expect("coming section");
    assert!(passed < nl.body.find(&short(&r8)).expect("r8") && coming > passed);

    let en = to("advisor.one@example.org");
    assert_eq!(en.subject, "Report deadlines at Tenant acme on 2026-11-24");
    let expected_en = [
        format!(
            "- report {}: feedback due 2026-11-22 (2 days late)",
            short(&r95)
        ),
        format!(
            "- report {}: acknowledgement of receipt due 2026-11-23 (1 day late)",
            short(&r8)
        ),
        format!(
            "- report {}: acknowledgement of receipt due 2026-11-25 (1 day left)",
            short(&r6)
        ),
    ];
    let listed: Vec<&str> = en.body.lines().filter(|l| l.starts_with("- ")).collect();
    assert_eq!(listed, expected_en, "{}", en.body);

    // Nothing but short ids and deadlines: no full id, no closed report.
    for mail in [nl, en] {
        let raw = String::from_utf8_lossy(&mail.raw).to_lowercase();
        for m in [&closed, &r95, &r80, &r8, &r6] {
            assert!(!raw.contains(&m.report_id.to_hex()));
            assert!(!raw.contains(&hex::encode(m.id)));
        }
        assert!(!raw.contains(&short(&closed)));
        assert!(!raw.contains("ontvangen"));
    }

    // Once a day: the same day again queues nothing; the next day does.
    assert_eq!(
        meldkluis_server::notices::run_digest(&server.state, today)
            .await
            .expect("digest"),
        0
    );
    clock.set(today.add_days(1), 7);
    let mails = sink.wait_for(4, WAIT);
    assert!(mails[2..].iter().all(|m| m.subject.contains("2026-11-25")));
    // A removed address gets no more digests.
    admin
        .set_advisor_email(&tenant.id, &tenant.advisors[1].public_key(), None)
        .expect("clear");
    assert!(!admin
        .advisor_has_email(&tenant.id, &tenant.advisors[1].public_key())
        .expect("has"));
    clock.set(today.add_days(2), 7);
    let mails = sink.wait_for(5, WAIT);
    wait_outbox_empty(&server, WAIT).await;
    assert_eq!(sink.messages().len(), 5);
    assert_eq!(mails[4].rcpt_to, ["adviseur.nul@example.org"]);
    server.stop().await;
}

fn meldkluis_i18n_lang(tag: &str) -> meldkluis_server::error::Lang {
    meldkluis_server::error::negotiate_lang(Some(&format!("lang={tag}")), None)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_and_dropped_connections_are_retried_until_delivered_once() {
    let sink_dir = tempfile::tempdir().expect("tempdir");
    let sink = SmtpSink::start(
        sink_dir.path(),
        &SinkOptions {
            script: ["451", "drop", "554", "421", "ok"]
                .map(String::from)
                .to_vec(),
            ..SinkOptions::default()
        },
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |c| notices_to_sink(c, sink.port)).await;
    let tenant = TestTenant::create(&server.admin(), "acme", 1);
    let http = client();
    let mailbox = Mailbox::random();
    let (status, _) = submit(
        &http,
        &server,
        &tenant,
        &mailbox,
        &[0],
        json!({ "notice_email": "persistent@example.org" }),
    )
    .await;
    assert_eq!(status, 201);
    let token = advisor_login(&http, &server, &tenant.id, &tenant.advisors[0]).await;
    assert_eq!(
        advisor_post_message(
            &http,
            &server,
            &tenant,
            &token,
            &tenant.advisors[0],
            &mailbox,
            b"m"
        )
        .await,
        201
    );
    sink.wait_for(1, WAIT);
    wait_outbox_empty(&server, WAIT).await;
    let transactions = sink.transactions();
    let actions: Vec<&str> = transactions.iter().map(|t| t.0.as_str()).collect();
    assert_eq!(
        actions,
        ["451", "drop", "554", "421", "ok"],
        "retried after each failure"
    );
    assert!(
        transactions.iter().all(|t| t.1 == transactions[0].1),
        "every try is the same message (one Message-ID)"
    );
    let mails = sink.messages();
    assert_eq!(mails.len(), 1, "delivered once");
    assert_eq!(mails[0].rcpt_to, ["persistent@example.org"]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notices_travel_over_starttls_with_auth_and_over_implicit_tls() {
    let tls = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tls");
    let (cert, key) = (tls.join("cert.pem"), tls.join("key.pem"));
    for security in ["starttls", "tls"] {
        let sink_dir = tempfile::tempdir().expect("tempdir");
        let sink = SmtpSink::start(
            sink_dir.path(),
            &SinkOptions {
                security: Some(security),
                cert_and_key: Some((cert.clone(), key.clone())),
                auth: Some("meldkluis:s3cret-pass".into()),
                ..SinkOptions::default()
            },
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let secrets = tempfile::tempdir().expect("tempdir");
        let password_file = secrets.path().join("smtp-password");
        std::fs::write(&password_file, "s3cret-pass\n").expect("password file");
        let server = TestServer::start(dir.path(), |c| {
            notices_to_sink(c, sink.port);
            let smtp = c.smtp.as_mut().expect("smtp");
            smtp.security = security.parse().expect("security");
            smtp.ca_file = Some(cert.clone());
            smtp.username = Some("meldkluis".into());
            smtp.password_file = Some(password_file.clone());
        })
        .await;
        let tenant = TestTenant::create(&server.admin(), "acme", 1);
        let http = client();
        let mailbox = Mailbox::random();
        let (status, _) = submit(
            &http,
            &server,
            &tenant,
            &mailbox,
            &[0],
            json!({ "notice_email": "over.tls@example.org" }),
        )
        .await;
        assert_eq!(status, 201);
        let token = advisor_login(&http, &server, &tenant.id, &tenant.advisors[0]).await;
        assert_eq!(
            advisor_set_status(
                &http,
                &server,
                &tenant,
                &token,
                mailbox.report_id,
                "acknowledged",
                None
            )
            .await,
            200
        );
        let mails = sink.wait_for(1, WAIT);
        assert_eq!(mails[0].rcpt_to, ["over.tls@example.org"], "{security}");
        wait_outbox_empty(&server, WAIT).await;
        server.stop().await;
    }
}
