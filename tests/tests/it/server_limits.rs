//! Denial of service and relaying, performed against the real server
//! (issue 10, findings 3 and 5): a flood of advisor challenges, a flood of
//! junk mailbox sessions, slow-loris connections and bodies, uploads over
//! the tenant's quotas, and a look-alike server relaying an advisor's
//! log-in. Each attack must gain nothing: other people keep logging in and
//! keep their sessions, stored items stay intact, and the relay gets no
//! session.

use std::time::{Duration, Instant};

use meldkluis_crypto_core::{ItemKind, StaticKey as _};
use meldkluis_tests::proxy::RecordingProxy;
use meldkluis_tests::{
    advisor_login, b64, client, mailbox_login, new_item_id, seal, submit_report, unb64, Mailbox,
    TestServer, TestTenant,
};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Files a fresh report in `tenant` and returns its mailbox.
async fn file_report(http: &reqwest::Client, server: &TestServer, tenant: &TestTenant) -> Mailbox {
    let mailbox = Mailbox::random();
    let item = mailbox.seal_report(tenant, b"what happened");
    let status = submit_report(
        http,
        server,
        tenant.id.as_str(),
        &mailbox.report_body(&item),
    )
    .await;
    assert_eq!(status, 201, "report filed");
    mailbox
}

/// The error code of a JSON error answer.
async fn error_code(response: reqwest::Response) -> String {
    let body: Value = response.json().await.expect("json error");
    body["error"]["code"].as_str().expect("code").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_challenge_flood_does_not_stop_advisors_logging_in() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let (a, b) = {
        let admin = server.admin();
        (
            TestTenant::create(&admin, "flooded", 1),
            TestTenant::create(&admin, "bystander", 1),
        )
    };
    let http = client();
    // More challenges than the old global table held (10,000), from one
    // client, against tenant "flooded", and junk answers besides; the
    // flood goes on while the advisors log in.
    let flood_url = server.url("flooded", "/advisor/challenge");
    let junk_url = server.url("flooded", "/advisor/login");
    let flooders: Vec<_> = (0..8)
        .map(|_| {
            let http = http.clone();
            let (flood_url, junk_url) = (flood_url.clone(), junk_url.clone());
            tokio::spawn(async move {
                let mut statuses = Vec::new();
                for i in 0..1600 {
                    let response = if i % 8 == 0 {
                        http.post(&junk_url)
                            .json(&json!({
                                "challenge_id": "00".repeat(40),
                                "public_key": "11".repeat(32),
                                "response": b64(&[0; 32]),
                            }))
                            .send()
                            .await
                    } else {
                        http.get(&flood_url).send().await
                    };
                    statuses.push(response.expect("flood request").status().as_u16());
                }
                statuses
            })
        })
        .collect();
    // While it runs, advisors of both tenants log in and work.
    for _ in 0..5 {
        for tenant in [&a, &b] {
            let token = advisor_login(&http, &server, &tenant.id, &tenant.advisors[0]).await;
            let response = http
                .get(server.url(tenant.id.as_str(), "/advisor/reports"))
                .bearer_auth(&token)
                .send()
                .await
                .expect("reports");
            assert_eq!(response.status(), 200);
        }
    }
    let mut challenges = 0;
    for flooder in flooders {
        for status in flooder.await.expect("flooder") {
            assert!(
                status == 200 || status == 401,
                "the flood is served or refused as a failed log-in, got {status}"
            );
            challenges += usize::from(status == 200);
        }
    }
    assert!(challenges > 10_000, "{challenges} challenges issued");
    // And after it, too.
    for tenant in [&a, &b] {
        advisor_login(&http, &server, &tenant.id, &tenant.advisors[0]).await;
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answered_challenge_cannot_be_replayed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "replay", 1);
    let http = client();
    let challenge: Value = http
        .get(server.url("replay", "/advisor/challenge"))
        .send()
        .await
        .expect("challenge")
        .json()
        .await
        .expect("json");
    let message: [u8; 64] = unb64(challenge["challenge"].as_str().expect("challenge"))
        .try_into()
        .expect("64 bytes");
    let context =
        meldkluis_server::auth::challenge_context(&tenant.id, server.state.server_origin());
    let answer =
        meldkluis_crypto_core::challenge::answer_challenge(&tenant.advisors[0], &message, &context)
            .expect("answer");
    let body = json!({
        "challenge_id": challenge["challenge_id"],
        "public_key": tenant.advisors[0].public_key().to_hex(),
        "response": b64(&answer),
    });
    let first = http
        .post(server.url("replay", "/advisor/login"))
        .json(&body)
        .send()
        .await
        .expect("login");
    assert_eq!(first.status(), 200);
    let replayed = http
        .post(server.url("replay", "/advisor/login"))
        .json(&body)
        .send()
        .await
        .expect("replay");
    assert_eq!(replayed.status(), 401, "a challenge is good for one log-in");
    assert_eq!(error_code(replayed).await, "login_failed");
    server.stop().await;
}

/// Each advisor log-in answer costs the server a key agreement: they are
/// limited server-wide, in a bucket of their own, so a flood of them is
/// refused with 429 and neither locks out reporters nor is locked out by
/// a flood of mailbox log-ins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn advisor_log_in_answers_are_limited_server_wide_apart_from_mailboxes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |c| c.login_per_second_global = 3).await;
    let tenant = TestTenant::create(&server.admin(), "limited", 1);
    let http = client();
    let mailbox = file_report(&http, &server, &tenant).await;
    let mut refused = 0;
    for _ in 0..12 {
        let challenge: Value = http
            .get(server.url("limited", "/advisor/challenge"))
            .send()
            .await
            .expect("challenge")
            .json()
            .await
            .expect("json");
        let answer = http
            .post(server.url("limited", "/advisor/login"))
            .json(&json!({
                "challenge_id": challenge["challenge_id"],
                "public_key": tenant.advisors[0].public_key().to_hex(),
                "response": b64(&[0u8; 32]),
            }))
            .send()
            .await
            .expect("login");
        match answer.status().as_u16() {
            401 => {}
            429 => {
                assert_eq!(error_code(answer).await, "rate_limited");
                refused += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(
        refused >= 6,
        "{refused} of 12 wrong answers in a burst refused"
    );
    // The reporters' log-ins have their own bucket (this asserts 200).
    mailbox_login(&http, &server, "limited", &mailbox).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn junk_mailbox_sessions_do_not_end_a_reporters_session() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |c| {
        c.max_mailbox_sessions_per_tenant = 12;
        c.sessions_per_mailbox = 2;
    })
    .await;
    let (tenant, other) = {
        let admin = server.admin();
        (
            TestTenant::create(&admin, "junked", 1),
            TestTenant::create(&admin, "elsewhere", 1),
        )
    };
    let http = client();
    let reporter = file_report(&http, &server, &tenant).await;
    let token = mailbox_login(&http, &server, "junked", &reporter).await;
    // The attacker files junk reports and logs in to each of them again
    // and again, far beyond the tenant's session limit.
    let mut refused = 0;
    for _ in 0..10 {
        let junk = file_report(&http, &server, &tenant).await;
        for _ in 0..3 {
            let response = http
                .post(server.url("junked", "/mailbox/login"))
                .json(&junk.login_body())
                .send()
                .await
                .expect("junk log-in");
            match response.status().as_u16() {
                200 => {}
                429 => {
                    assert_eq!(error_code(response).await, "session_limit");
                    refused += 1;
                }
                other => panic!("junk log-in answered {other}"),
            }
        }
    }
    assert!(refused > 0, "the tenant's session limit was reached");
    // The real reporter's session lives on.
    let thread = http
        .get(server.url("junked", "/mailbox"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("thread");
    assert_eq!(
        thread.status(),
        200,
        "the reporter's session survived the flood"
    );
    // Another tenant's reporters are not affected at all.
    let elsewhere = file_report(&http, &server, &other).await;
    mailbox_login(&http, &server, "elsewhere", &elsewhere).await;
    // The reporter can still log in again: a mailbox with a session may
    // replace it, however full the tenant is.
    let again = mailbox_login(&http, &server, "junked", &reporter).await;
    let status = http
        .get(server.url("junked", "/mailbox"))
        .bearer_auth(&again)
        .send()
        .await
        .expect("thread")
        .status();
    assert_eq!(status, 200);
    server.stop().await;
}

/// Reads from `stream` until the server closes it; returns how long that took.
async fn wait_closed(stream: &mut tokio::net::TcpStream, limit: Duration) -> Duration {
    let started = Instant::now();
    let mut buffer = [0u8; 1024];
    let closed = tokio::time::timeout(limit, async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the server kept the connection open");
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_loris_connections_are_closed_while_others_are_served() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |c| {
        c.header_read_timeout_secs = 1;
        c.body_idle_timeout_secs = 1;
    })
    .await;
    let tenant = TestTenant::create(&server.admin(), "loris", 1);
    let address = server.base.trim_start_matches("http://").to_owned();

    // Headers, one byte at a time, never finished.
    let mut dripping = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connect");
    let drip = tokio::spawn(async move {
        let started = Instant::now();
        let request = b"GET /healthz HTTP/1.1\r\nHost: loris\r\nX-Slow: ".to_vec();
        for byte in request.iter().chain(std::iter::repeat(&b'a')) {
            if dripping.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            if started.elapsed() > Duration::from_secs(10) {
                panic!("the server still accepts header bytes after 10 s");
            }
        }
        started.elapsed()
    });
    // A connection that sends nothing at all.
    let mut idle = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connect");
    // A body that stops half-way.
    let mailbox = Mailbox::random();
    let body = serde_json::to_vec(&mailbox.report_body(&mailbox.seal_report(&tenant, b"x")))
        .expect("json");
    let mut stalled = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connect");
    stalled
        .write_all(
            format!(
                "POST /api/v1/t/loris/reports HTTP/1.1\r\nHost: loris\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        )
        .await
        .expect("headers");
    stalled
        .write_all(&body[..body.len() / 2])
        .await
        .expect("half a body");

    // Meanwhile, normal requests are served.
    let http = client();
    for _ in 0..20 {
        let response = http
            .get(format!("{}/healthz", server.base))
            .send()
            .await
            .expect("health");
        assert_eq!(response.status(), 200);
    }

    let idle_for = wait_closed(&mut idle, Duration::from_secs(5)).await;
    assert!(idle_for < Duration::from_secs(5));
    let dripped_for = drip.await.expect("drip task");
    assert!(
        dripped_for < Duration::from_secs(5),
        "the dripping connection was cut after {dripped_for:?}"
    );
    // The stalled body gets 408, and nothing is stored.
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stalled.read_to_end(&mut answer))
        .await
        .expect("the stalled request is ended")
        .expect("read");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
    let response = http
        .post(server.url("loris", "/mailbox/login"))
        .json(&mailbox.login_body())
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), 401, "the stalled report was not stored");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_over_the_quotas_are_refused_and_earlier_items_stay() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "quota", 1);
    let reporter = Mailbox::random();
    let recipients = reporter.recipients(&tenant, &tenant.advisor_keys());
    let attachment = |len: usize| {
        seal(
            ItemKind::Attachment,
            &tenant.id,
            new_item_id(),
            reporter.report_id,
            &reporter.key,
            &recipients,
            &vec![7u8; len],
        )
    };
    // Room for two small attachments, not for a large one.
    let small_len = attachment(10).len() as u64;
    server
        .admin()
        .set_quotas(
            &tenant.id,
            Some(2),
            Some(3),
            Some(2),
            Some(small_len * 5 / 2),
        )
        .expect("quotas");
    let http = client();
    let t = "quota";

    // Reports per day.
    let item = reporter.seal_report(&tenant, b"what happened");
    let status = submit_report(&http, &server, t, &reporter.report_body(&item)).await;
    assert_eq!(status, 201);
    file_report(&http, &server, &tenant).await;
    let third = Mailbox::random();
    let response = http
        .post(server.url(t, "/reports?lang=en"))
        .json(&third.report_body(&third.seal_report(&tenant, b"one too many")))
        .send()
        .await
        .expect("report");
    assert_eq!(response.status(), 429);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"]["code"], "report_limit");
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("message")
            .contains("tomorrow"),
        "{body}"
    );
    // The refused report is not stored: its mailbox does not exist.
    let refused_login = http
        .post(server.url(t, "/mailbox/login"))
        .json(&third.login_body())
        .send()
        .await
        .expect("log-in");
    assert_eq!(refused_login.status(), 401, "the refused report's mailbox");

    // Messages per report.
    let token = mailbox_login(&http, &server, t, &reporter).await;
    let message = |text: &[u8]| {
        seal(
            ItemKind::Message,
            &tenant.id,
            new_item_id(),
            reporter.report_id,
            &reporter.key,
            &recipients,
            text,
        )
    };
    let mut sent = Vec::new();
    for i in 0..4u8 {
        let item = message(&[b'm', i]);
        let response = http
            .post(server.url(t, "/mailbox/messages"))
            .bearer_auth(&token)
            .json(&json!({ "item": b64(&item) }))
            .send()
            .await
            .expect("message");
        if i < 3 {
            assert_eq!(response.status(), 201);
            sent.push(item);
        } else {
            assert_eq!(response.status(), 429);
            assert_eq!(error_code(response).await, "thread_limit");
        }
    }

    // Attachment bytes, then attachments per report.
    let upload = |item: Vec<u8>| {
        http.post(server.url(t, "/mailbox/attachments"))
            .bearer_auth(&token)
            .body(item)
            .send()
    };
    let small = attachment(10);
    assert_eq!(upload(small.clone()).await.expect("upload").status(), 201);
    let too_big = upload(attachment(small_len as usize * 2))
        .await
        .expect("upload");
    assert_eq!(too_big.status(), 413);
    assert_eq!(error_code(too_big).await, "storage_limit");
    let second = attachment(10);
    assert_eq!(upload(second.clone()).await.expect("upload").status(), 201);
    let third = upload(attachment(10)).await.expect("upload");
    assert_eq!(third.status(), 429);
    assert_eq!(error_code(third).await, "thread_limit");

    // Everything stored before is intact.
    let thread: Value = http
        .get(server.url(t, "/mailbox"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("thread")
        .json()
        .await
        .expect("json");
    let messages: Vec<Vec<u8>> = thread["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| unb64(m["item"].as_str().expect("item")))
        .collect();
    assert_eq!(messages, sent);
    let attachments = thread["attachments"].as_array().expect("attachments");
    assert_eq!(attachments.len(), 2);
    for (listed, stored) in attachments.iter().zip([&small, &second]) {
        let id = listed["id"].as_str().expect("id");
        let bytes = http
            .get(server.url(t, &format!("/mailbox/attachments/{id}")))
            .bearer_auth(&token)
            .send()
            .await
            .expect("download")
            .bytes()
            .await
            .expect("bytes");
        assert_eq!(&bytes[..], &stored[..]);
    }
    // No stray upload file is left behind.
    let partial = meldkluis_tests::files_under(dir.path())
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "part"))
        .count();
    assert_eq!(partial, 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relaying_look_alike_server_gets_no_session() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "relayed", 1);
    // The look-alike: its own address, forwarding everything to the real
    // server, as a phishing site that relays challenge and answer would.
    let relay = RecordingProxy::start(&server.base).await;
    let console =
        meldkluis_keys::client::ServerClient::new(&relay.base, tenant.id.clone()).expect("client");
    let refused = console.log_in(&tenant.advisors[0]).await;
    assert!(refused.is_err(), "the relayed answer must not log in");
    let forwarded = relay.recorded();
    let login = forwarded
        .iter()
        .find(|r| r.uri.ends_with("/advisor/login"))
        .expect("the relay forwarded the answer");
    // Replaying the captured answer itself gets nothing either.
    let replayed = client()
        .post(server.url("relayed", "/advisor/login"))
        .header("content-type", "application/json")
        .body(login.body.clone())
        .send()
        .await
        .expect("replay");
    assert_eq!(replayed.status(), 401);
    // The same advisor, talking to the real server, logs in.
    let direct =
        meldkluis_keys::client::ServerClient::new(&server.base, tenant.id.clone()).expect("client");
    direct
        .log_in(&tenant.advisors[0])
        .await
        .expect("direct log-in");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notice_address_changes_are_limited_per_mailbox() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |c| {
        c.login_burst_per_mailbox = 5;
        c.login_per_minute_per_mailbox = 1;
    })
    .await;
    let tenant = TestTenant::create(&server.admin(), "notice-spam", 1);
    let http = client();
    let t = "notice-spam";
    let spammer = file_report(&http, &server, &tenant).await;
    let token = mailbox_login(&http, &server, t, &spammer).await;
    // Each change is a durable write to the e-mail store: a mailbox gets
    // a handful in a burst, then 429, and the last accepted one stands.
    let mut accepted = Vec::new();
    for i in 0..8 {
        let address = format!("someone{i}@example.org");
        let response = http
            .put(server.url(t, "/mailbox/notice-email"))
            .bearer_auth(&token)
            .json(&json!({ "address": address }))
            .send()
            .await
            .expect("put");
        match response.status().as_u16() {
            200 => accepted.push(address),
            429 => assert_eq!(error_code(response).await, "rate_limited"),
            other => panic!("answered {other}"),
        }
    }
    assert_eq!(accepted.len(), 5);
    let stored: Value = http
        .get(server.url(t, "/mailbox/notice-email"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(stored["address"], accepted[4].as_str());
    // The mailbox's log-ins and another mailbox's changes are not affected.
    mailbox_login(&http, &server, t, &spammer).await;
    let other = file_report(&http, &server, &tenant).await;
    let other_token = mailbox_login(&http, &server, t, &other).await;
    let response = http
        .put(server.url(t, "/mailbox/notice-email"))
        .bearer_auth(&other_token)
        .json(&json!({ "address": "reporter@example.org" }))
        .send()
        .await
        .expect("put");
    assert_eq!(response.status(), 200);
    server.stop().await;
}
