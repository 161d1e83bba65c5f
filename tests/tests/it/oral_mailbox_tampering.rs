//! A breached server against the reporter's follow-up mailbox (issue 13),
//! in a real headless Chromium behind the tampering proxy:
//!
//! - the reference the reporter reads aloud is the one the browser computes
//!   from its own mailbox key, whatever reference the server answers (at
//!   making the mailbox and while it waits), so the server cannot get the
//!   advisor to link a mailbox of its own;
//! - once linked, the mailbox takes as its opening item only its own
//!   follow-up report, only when the server says it is linked, and shows a
//!   join record only from an advisor its follow-up pinned, naming its own
//!   key; a dropped record is a warning, an opening item sealed by another
//!   key a refusal.

use meldkluis_crypto_core::mailbox::mailbox_reference;
use meldkluis_crypto_core::{ItemKind, PublicKey, StaticKey as _, StaticSecret};
use meldkluis_i18n::{catalog, t};
use meldkluis_tests::browser::Browser;
use meldkluis_tests::proxy::{RecordingProxy, Tampering};
use meldkluis_tests::reporter::{click, confirm_code, open_mailbox, wait_ready};
use meldkluis_tests::{advisor_login, b64, client, new_item_id, seal, TestServer, TestTenant};
use serde_json::{json, Value};

const THREAD: &str = "/api/v1/t/acme/mailbox";
const FOLLOW_UPS: &str = "/api/v1/t/acme/follow-ups";
/// A reference no mailbox of this test has.
const FORGED: &str = "0000-0000-0000";

fn text(id: &str) -> String {
    t(catalog().lang("nl").expect("nl"), id)
}

/// Makes a follow-up mailbox in the browser, choosing only the first
/// advisor; returns the login code, the reference shown and the mailbox
/// key the browser posted.
async fn follow_up_in_browser(
    browser: &Browser,
    proxy: &RecordingProxy,
) -> (String, String, PublicKey) {
    browser
        .goto(&format!("{}/t/acme/report#follow-up", proxy.base))
        .await;
    wait_ready(browser, "send").await;
    browser
        .wait_for_js(
            "follow-up mode",
            "return document.getElementById('kind-follow-up').checked;",
        )
        .await;
    let second = browser
        .js(
            "return document.querySelectorAll('input[name=advisor]')[1].id;",
            vec![],
        )
        .await;
    click(browser, second.as_str().expect("a second advisor")).await;
    click(browser, "send").await;
    let shown = browser
        .wait_for_js(
            "the code and the reference",
            "const e = document.getElementById('send-error');
             if (e && e.textContent) return ['ERROR: ' + e.textContent, ''];
             return !document.getElementById('follow-up-reference-area').hidden
               && [document.getElementById('login-code').textContent, document.getElementById('follow-up-reference').textContent];",
        )
        .await;
    let code = shown[0].as_str().expect("code").to_owned();
    assert!(!code.starts_with("ERROR"), "{code}");
    let reference = shown[1].as_str().expect("reference").to_owned();
    confirm_code(browser, &code).await;
    let posted = proxy
        .recorded()
        .into_iter()
        .rev()
        .find(|r| r.method == "POST" && r.uri == FOLLOW_UPS)
        .expect("the follow-up was posted");
    let body: Value = serde_json::from_slice(&posted.body).expect("json");
    let key =
        PublicKey::from_hex(body["mailbox_public_key"].as_str().expect("key")).expect("a key");
    (code, reference, key)
}

/// Logs in to the mailbox through the proxy and returns the text of the
/// first alert in its thread, once there.
async fn thread_alert(browser: &Browser, proxy: &RecordingProxy, code: &str) -> Value {
    open_mailbox(browser, &format!("{}/t/acme/mailbox", proxy.base), code).await;
    browser
        .wait_for_js(
            "an alert in the thread",
            "return document.querySelector('#thread [role=alert]')?.textContent;",
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_follow_up_shows_the_reference_of_its_own_key_whatever_the_server_answers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    TestTenant::create(&server.admin(), "acme", 2);
    let proxy = RecordingProxy::start(&server.base).await;
    let browser = Browser::start().await;

    // The server answers the follow-up with a reference of its choosing.
    proxy.tamper(
        FOLLOW_UPS,
        Tampering::rewrite_json(|answer| answer["reference"] = json!(FORGED)),
    );
    let (code, shown, key) = follow_up_in_browser(&browser, &proxy).await;
    assert_eq!(shown, mailbox_reference(&key));
    assert_ne!(shown, FORGED);

    // And while the mailbox waits.
    proxy.tamper(
        THREAD,
        Tampering::rewrite_json(|thread| thread["follow_up"]["reference"] = json!(FORGED)),
    );
    open_mailbox(&browser, &format!("{}/t/acme/mailbox", proxy.base), &code).await;
    let waiting = browser
        .wait_for_js(
            "the reference",
            "return document.getElementById('mailbox-reference')?.textContent;",
        )
        .await;
    assert_eq!(waiting, json!(mailbox_reference(&key)));
    // Nothing to write to yet.
    let reply_hidden = browser
        .js(
            "return document.getElementById('reply-section').hidden;",
            vec![],
        )
        .await;
    assert_eq!(reply_hidden, json!(true));
    proxy.stop_tampering();
    browser.close().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_linked_follow_up_believes_its_own_opening_item_and_a_pinned_advisors_join_record_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "acme", 2);
    let proxy = RecordingProxy::start(&server.base).await;
    let browser = Browser::start().await;
    let (code, reference, mailbox) = follow_up_in_browser(&browser, &proxy).await;

    // Advisor 0 registers the oral report and links it (the console's
    // checks are console_oral's; here the API as the console calls it).
    let http = client();
    let (advisor, other) = (&tenant.advisors[0], &tenant.advisors[1]);
    let token = advisor_login(&http, &server, &tenant.id, advisor).await;
    let report_id = new_item_id();
    let to_advisors = [
        advisor.public_key(),
        other.public_key(),
        tenant.recovery.public_key(),
    ];
    let oral = seal(
        ItemKind::Report,
        &tenant.id,
        report_id,
        report_id,
        advisor,
        &to_advisors,
        json!({ "format": "meldkluis-oral-report/1", "language": "nl", "category": null, "channel": "oral",
                "spoken_day": "2026-11-27", "text": "Verteld aan de telefoon.", "reporter": { "anonymous": true },
                "advisors": [], "recovery_key": tenant.recovery.public_key().to_hex() })
        .to_string()
        .as_bytes(),
    );
    let post = |path: String, body: Value, token: String| {
        let http = http.clone();
        let url = server.url("acme", &path);
        async move {
            let response = http
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .expect("request");
            let status = response.status().as_u16();
            assert!(
                status < 300,
                "{path}: {status} {}",
                response.text().await.unwrap_or_default()
            );
        }
    };
    post(
        "/advisor/reports".into(),
        json!({ "item": b64(&oral), "channel": "oral" }),
        token.clone(),
    )
    .await;
    post(
        format!("/advisor/reports/{}/join", report_id.to_hex()),
        json!({ "reference": reference, "mailbox_public_key": mailbox.to_hex() }),
        token.clone(),
    )
    .await;
    let record = |text: &str| {
        json!({ "format": "meldkluis-mailbox-join/1", "reference": reference,
                "mailbox_public_key": mailbox.to_hex(), "text": text })
        .to_string()
    };
    let mut recipients = to_advisors.to_vec();
    recipients.push(mailbox);
    let join = seal(
        ItemKind::Message,
        &tenant.id,
        new_item_id(),
        report_id,
        advisor,
        &recipients,
        record("CANARY wat er is vastgelegd").as_bytes(),
    );
    post(
        format!("/advisor/reports/{}/messages", report_id.to_hex()),
        json!({ "item": b64(&join) }),
        token.clone(),
    )
    .await;
    // Advisor 1, whom the reporter's follow-up did not pin, posts a join
    // record of its own naming the same mailbox.
    let other_token = advisor_login(&http, &server, &tenant.id, other).await;
    let unpinned = seal(
        ItemKind::Message,
        &tenant.id,
        new_item_id(),
        report_id,
        other,
        &recipients,
        record("FORGED by an advisor the reporter did not choose").as_bytes(),
    );
    post(
        format!("/advisor/reports/{}/messages", report_id.to_hex()),
        json!({ "item": b64(&unpinned) }),
        other_token,
    )
    .await;

    // Untampered: the opening item, the pinned advisor's record shown
    // once, the other one a warning.
    open_mailbox(&browser, &format!("{}/t/acme/mailbox", proxy.base), &code).await;
    let shown = browser
        .wait_for_js(
            "the join record",
            "const j = document.getElementById('follow-up-joined');
             return j && [j.innerText, document.querySelectorAll('#thread [role=note]').length, document.getElementById('thread').innerText];",
        )
        .await;
    assert!(
        shown[0]
            .as_str()
            .expect("text")
            .contains("CANARY wat er is vastgelegd"),
        "{shown}"
    );
    assert_eq!(
        shown[1],
        json!(1),
        "the unpinned advisor's record is a warning: {shown}"
    );
    assert!(
        !shown[2].as_str().expect("text").contains("FORGED"),
        "{shown}"
    );

    // The server swaps the opening item for a follow-up report of a key of
    // its own: refused.
    let servers_key = StaticSecret::generate(&mut meldkluis_crypto_core::os_rng());
    let swapped_id = new_item_id();
    let swapped = seal(
        ItemKind::Report,
        &tenant.id,
        swapped_id,
        swapped_id,
        &servers_key,
        &[
            mailbox,
            advisor.public_key(),
            tenant.recovery.public_key(),
            servers_key.public_key(),
        ],
        json!({ "format": "meldkluis-report/1", "answers": [], "follow_up": true, "advisors": [],
                "recovery_key": tenant.recovery.public_key().to_hex(), "attachments": [] })
        .to_string()
        .as_bytes(),
    );
    let swapped = b64(&swapped);
    proxy.tamper(
        THREAD,
        Tampering::rewrite_json(move |thread| thread["report"] = json!(swapped.clone())),
    );
    let refused = thread_alert(&browser, &proxy, &code).await;
    assert_eq!(refused, json!(text("js-report-unreadable")));

    // The server drops the advisor's join record: a warning, and the
    // unpinned one is still not believed.
    let join_b64 = b64(&join);
    proxy.tamper(
        THREAD,
        Tampering::rewrite_json(move |thread| {
            let messages = thread["messages"].as_array().expect("messages").clone();
            thread["messages"] = Value::Array(
                messages
                    .into_iter()
                    .filter(|m| m["item"] != json!(join_b64))
                    .collect(),
            );
        }),
    );
    let warned = thread_alert(&browser, &proxy, &code).await;
    assert_eq!(warned, json!(text("oral-mailbox-no-join-record")));
    let joined = browser
        .js(
            "return document.getElementById('follow-up-joined');",
            vec![],
        )
        .await;
    assert_eq!(joined, Value::Null);

    // The server says the follow-up is not linked (no `joined`) while
    // serving it for the oral report's id: the opening item may not stand
    // for another report then.
    proxy.tamper(
        THREAD,
        Tampering::rewrite_json(|thread| thread["joined"] = Value::Null),
    );
    let refused = thread_alert(&browser, &proxy, &code).await;
    assert_eq!(refused, json!(text("js-report-substituted")));

    proxy.stop_tampering();
    browser.close().await;
    server.stop().await;
}
