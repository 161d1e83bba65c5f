//! The plaintext canary: after a full cycle (report, messages both ways,
//! attachments both ways, failed log-ins, refused requests), no canary from
//! any content appears in any file under the data directory or in the
//! server's log output, at the most verbose level.

use std::io::Write;
use std::sync::{Arc, Mutex};

use meldkluis_crypto_core::ItemKind;
use meldkluis_tests::{
    advisor_login, b64, client, contains, files_under, mailbox_login, new_item_id, seal,
    submit_report, Mailbox, TestServer, TestTenant,
};
use serde_json::json;

/// Log output captured in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_plaintext_on_disk_or_in_logs() {
    let logs = Captured::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let dir = tempfile::tempdir().expect("tempdir");
    // With the debugging setting that logs every request: even then no
    // canary reaches the log.
    let server = TestServer::start(dir.path(), |c| c.debug_log_requests = true).await;
    let tenant = TestTenant::create(&server.admin(), "canary-corp", 2);
    let http = client();
    let t = tenant.id.as_str();

    let canaries: Vec<String> = [
        "REPORT",
        "ADVISOR-MESSAGE",
        "REPORTER-MESSAGE",
        "ADVISOR-FILE",
        "REPORTER-FILE",
    ]
    .iter()
    .map(|what| format!("CANARY-{what}-{}", hex::encode(new_item_id().0)))
    .collect();
    let content = |i: usize| canaries[i].repeat(200).into_bytes();

    let mut mailboxes = Vec::new();
    for _ in 0..3 {
        let mailbox = Mailbox::random();
        let report = mailbox.seal_report(&tenant, &content(0));
        assert_eq!(
            submit_report(&http, &server, t, &mailbox.report_body(&report)).await,
            201
        );
        mailboxes.push(mailbox);
    }
    let advisor = &tenant.advisors[0];
    let advisor_token = advisor_login(&http, &server, &tenant.id, advisor).await;
    for mailbox in &mailboxes {
        let report_id = mailbox.report_id;
        let recipients = mailbox.recipients(&tenant, &tenant.advisor_keys());
        let path = format!("/advisor/reports/{}", report_id.to_hex());
        let reply = seal(
            ItemKind::Message,
            &tenant.id,
            new_item_id(),
            report_id,
            advisor,
            &recipients,
            &content(1),
        );
        let status = http
            .post(server.url(t, &format!("{path}/messages")))
            .bearer_auth(&advisor_token)
            .json(&json!({ "item": b64(&reply) }))
            .send()
            .await
            .expect("reply")
            .status();
        assert_eq!(status, 201);
        let file = seal(
            ItemKind::Attachment,
            &tenant.id,
            new_item_id(),
            report_id,
            advisor,
            &recipients,
            &content(3),
        );
        let status = http
            .post(server.url(t, &format!("{path}/attachments")))
            .bearer_auth(&advisor_token)
            .body(file)
            .send()
            .await
            .expect("upload")
            .status();
        assert_eq!(status, 201);

        let token = mailbox_login(&http, &server, t, mailbox).await;
        let answer = seal(
            ItemKind::Message,
            &tenant.id,
            new_item_id(),
            report_id,
            &mailbox.key,
            &recipients,
            &content(2),
        );
        let status = http
            .post(server.url(t, "/mailbox/messages"))
            .bearer_auth(&token)
            .json(&json!({ "item": b64(&answer) }))
            .send()
            .await
            .expect("answer")
            .status();
        assert_eq!(status, 201);
        let file = seal(
            ItemKind::Attachment,
            &tenant.id,
            new_item_id(),
            report_id,
            &mailbox.key,
            &recipients,
            &content(4),
        );
        let status = http
            .post(server.url(t, "/mailbox/attachments"))
            .bearer_auth(&token)
            .body(file)
            .send()
            .await
            .expect("upload")
            .status();
        assert_eq!(status, 201);
        let status = http
            .get(server.url(t, "/mailbox"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("thread")
            .status();
        assert_eq!(status, 200);
        // Refused requests whose bodies carry a canary must not log it either.
        let refused = http
            .post(server.url(t, "/mailbox/messages"))
            .bearer_auth(&token)
            .json(&json!({ "item": b64(&content(2)), canaries[2].clone(): canaries[2] }))
            .send()
            .await
            .expect("refused");
        assert_eq!(refused.status(), 400);
        let refused = http
            .post(server.url(t, "/mailbox/attachments"))
            .bearer_auth(&token)
            .body(content(4))
            .send()
            .await
            .expect("refused");
        assert_eq!(refused.status(), 400);
    }
    server.stop().await;

    let files = files_under(dir.path());
    assert!(
        files.iter().any(|p| p.ends_with("tenant.sqlite")),
        "the data directory has the tenant database"
    );
    for path in &files {
        let bytes = std::fs::read(path).expect("read data file");
        for canary in &canaries {
            assert!(
                !contains(&bytes, canary.as_bytes()),
                "{canary} found in {}",
                path.display()
            );
        }
    }
    let logs = logs.0.lock().expect("log buffer").clone();
    assert!(
        contains(&logs, b"route=/api/v1/t/{tenant}/mailbox"),
        "the log was captured"
    );
    for line in String::from_utf8_lossy(&logs)
        .lines()
        .filter(|l| l.contains("meldkluis_server"))
    {
        assert!(
            !line.contains("127.0.0.1"),
            "an address in the server's log: {line}"
        );
    }
    for canary in &canaries {
        assert!(
            !contains(&logs, canary.as_bytes()),
            "{canary} found in the log"
        );
    }
}
