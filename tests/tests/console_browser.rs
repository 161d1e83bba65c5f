//! The advisor console end to end, in headless Chromium, with the advisor's
//! key generated on a real PKCS#11 token (kryoptic): log in with the token,
//! see the report with its deadline, open it, reply, set status and the
//! agreed update date, classify it; then the reporter (crypto-core and the
//! API, as the browser does) opens the reply and sees the status. Also: the
//! console's guards (secret, Host, CSRF, headers), nothing decrypted in the
//! browser's profile on disk, an attachment exported on purpose, and the
//! key-substitution warning when the operator swaps a key behind the
//! console's back.
//!
//! One test in this file: a PKCS#11 module is process-wide state.

use meldkluis_crypto_core::{ItemKind, PublicKey, StaticKey, StaticSecret};
use meldkluis_i18n::catalog;
use meldkluis_keys::console::{Console, ConsoleOptions};
use meldkluis_keys::enrolled::EnrolledKeys;
use meldkluis_server::clock::{Clock as _, ManualClock, SystemClock};
use meldkluis_tests::browser::Browser;
use meldkluis_tests::tokens::TestToken;
use meldkluis_tests::{
    client, files_under, mailbox_login, new_item_id, open, seal, submit_report, unb64, Mailbox,
    TestServer, TestTenant,
};
use serde_json::{json, Value};

const REPORT_CANARY: &str = "CANARY-console-report-7e1";
const REPLY_CANARY: &str = "CANARY-console-reply-93b";
const ATTACHMENT_CANARY: &[u8] = b"CANARY-console-attachment-5d0";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn advisor_console_in_chromium_with_a_token_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let token_dir = dir.path().join("token");
    std::fs::create_dir(&token_dir).expect("token dir");
    let token = TestToken::create(&token_dir, "mk-console-Tk1");
    let advisor = token.generate_key("advisor 0xc0 (console test)");
    let advisor_key = advisor.public_key();

    // The server's clock: the report arrives today, the advisor looks ten
    // days later (acknowledgement three days overdue).
    let today = SystemClock.today();
    let clock = std::sync::Arc::new(ManualClock::at(today, 10));
    let server = TestServer::start_with_clock(dir.path(), clock.clone(), |_| {}).await;
    let admin = server.admin();
    let tenant = TestTenant::create(&admin, "console-e2e", 1);
    let colleague = &tenant.advisors[0];
    admin
        .add_advisor(&tenant.id, &advisor_key, "A. de Vries")
        .expect("enrol the token key");
    let http = client();
    let t = tenant.id.as_str();

    // The reporter's report (JSON answers), sealed as the browser does, and
    // an attachment.
    let mailbox = Mailbox::random();
    let attachment_id = new_item_id();
    // The report's content as the reporter's browser writes it
    // (web-client/REPORT-CONTENT.md).
    let answers = json!({
        "format": "meldkluis-report/1",
        "language": "nl",
        "category": { "id": "pesten", "label": "Pesten" },
        "answers": [
            { "id": "what", "question": "Wat is er gebeurd?", "type": "long_text", "value": REPORT_CANARY, "answer": REPORT_CANARY },
            { "id": "witnesses", "question": "Waren er anderen bij?", "type": "choice", "value": "no", "answer": "Nee" },
            { "id": "wishes", "question": "Wat zou u willen?", "type": "multiple_choice",
              "value": ["listen", "meeting"], "answer": ["Een luisterend oor", "Een gesprek met de vertrouwenspersoon"] },
        ],
        "reporter": { "anonymous": false, "name": "J. Jansen", "contact": "", "employer_may_see": false },
        "advisors": [ { "name": "A. de Vries", "public_key": advisor_key.to_hex() } ],
        "attachments": [{ "id": attachment_id.to_hex(), "name": "../verslag mei ü.pdf",
                          "type": "application/pdf", "size": ATTACHMENT_CANARY.len() }],
    });
    let recipients = mailbox.recipients(&tenant, &[advisor_key, colleague.public_key()]);
    let report = seal(
        ItemKind::Report,
        &tenant.id,
        mailbox.report_id,
        mailbox.report_id,
        &mailbox.key,
        &recipients,
        answers.to_string().as_bytes(),
    );
    assert_eq!(
        submit_report(&http, &server, t, &mailbox.report_body(&report)).await,
        201
    );
    let reporter = mailbox_login(&http, &server, t, &mailbox).await;
    let attachment = seal(
        ItemKind::Attachment,
        &tenant.id,
        attachment_id,
        mailbox.report_id,
        &mailbox.key,
        &recipients,
        ATTACHMENT_CANARY,
    );
    let uploaded = http
        .post(server.url(t, "/mailbox/attachments"))
        .bearer_auth(&reporter)
        .body(attachment)
        .send()
        .await
        .expect("upload");
    assert_eq!(uploaded.status(), 201);

    // The console, with the keys the advisor confirmed.
    let enrolled = EnrolledKeys {
        advisors: vec![
            (advisor_key, "A. de Vries".into()),
            (colleague.public_key(), "B. Jansen".into()),
        ],
        recovery: Some(tenant.recovery.public_key()),
        earlier: Vec::new(),
        former_recovery: Vec::new(),
        recipients: Vec::new(),
    };
    clock.set(today.add_days(10), 10);
    let console = Console::bind(
        "127.0.0.1:0".parse().expect("address"),
        ConsoleOptions {
            server: server.base.clone(),
            tenant: tenant.id.clone(),
            enrolled,
            lang: catalog().lang("nl").expect("Dutch"),
            pins: None,
        },
        Box::new(advisor),
    )
    .await
    .expect("the console binds to loopback");
    assert!(
        console.check_keys().await.expect("config").is_empty(),
        "the served keys are the enrolled ones"
    );
    let url = console.url();
    let origin = format!("http://{}", console.address());
    // Every address of the console is under its capability path.
    let base = url.split("/?k=").next().expect("a base").to_owned();
    assert!(base.starts_with(&format!("{origin}/c/")), "{base}");
    let secret = url.split("?k=").nth(1).expect("a secret").to_owned();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(console.serve(async {
        let _ = stopped.await;
    }));

    // The guards, seen from a plain HTTP client.
    let cookie = format!("meldkluis_console={secret}");
    let no_cookie = http
        .get(format!("{base}/reports"))
        .send()
        .await
        .expect("get");
    assert_eq!(no_cookie.status(), 403, "no secret, no page");
    let rebound = http
        .get(format!("{base}/reports"))
        .header("cookie", &cookie)
        .header("host", "evil.example:80")
        .send()
        .await
        .expect("get");
    assert_eq!(rebound.status(), 421, "another Host is refused");
    let forged = http
        .post(format!("{base}/login"))
        .header("cookie", &cookie)
        .form(&[("csrf", "0".repeat(64))])
        .send()
        .await
        .expect("post");
    assert_eq!(forged.status(), 403, "a form without the secret is refused");
    let page = http
        .get(format!("{base}/"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("get");
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .expect("csp");
    assert!(csp.starts_with("default-src 'none'") && !csp.contains("script-src"));
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert_eq!(page.headers()["referrer-policy"], "same-origin");

    // The advisor's browser: the printed address, then log in with the token.
    let browser = Browser::start().await;
    browser.goto(&url).await;
    browser.find("#login").await.click().await.expect("click");
    let row = browser
        .find(&format!("tr[data-report='{}']", mailbox.report_id.to_hex()))
        .await;
    let row_text = row.text().await.expect("text");
    assert!(row_text.contains("Nieuw"), "status shown: {row_text}");

    // Another local service on the same address, another port, that the
    // advisor's browser visits: the console's cookie never reaches it (no
    // Domain, and its Path is the console's capability).
    let seen_cookies = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let recorder = std::sync::Arc::clone(&seen_cookies);
    let other = axum::Router::new().fallback(move |headers: axum::http::HeaderMap| {
        let recorder = std::sync::Arc::clone(&recorder);
        async move {
            let cookies = headers
                .get_all("cookie")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect::<Vec<_>>()
                .join("; ");
            recorder.lock().expect("lock").push(cookies);
            "another local service"
        }
    });
    let host = console_host(&origin);
    let other_listener = tokio::net::TcpListener::bind((host.as_str(), 0))
        .await
        .expect("another port");
    let other_origin = format!("http://{}", other_listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(other_listener, other).await });
    for path in ["/", "/reports", "/c/"] {
        browser.goto(&format!("{other_origin}{path}")).await;
    }
    let seen = seen_cookies.lock().expect("lock").clone();
    // (Three pages, and whatever the browser asks besides, e.g. a favicon.)
    assert!(
        seen.len() >= 3,
        "the browser visited the other port: {seen:?}"
    );
    assert!(
        seen.iter()
            .all(|c| !c.contains("meldkluis_console") && !c.contains(&secret)),
        "the console's cookie reached another port: {seen:?}"
    );
    browser.goto(&format!("{base}/reports")).await;
    let badge = browser
        .find("tr[data-report] [data-urgency='overdue']")
        .await;
    let badge_text = badge.text().await.expect("text");
    assert!(
        badge_text.contains("Ontvangstbevestiging") && badge_text.contains("3 dagen te laat"),
        "the deadline says it in words too: {badge_text}"
    );
    assert!(browser
        .js(
            "return document.querySelector('#key-substitution') === null;",
            vec![]
        )
        .await
        .as_bool()
        .expect("bool"));

    // Open the report: the answers as question → answer.
    browser
        .find("tr[data-report] a")
        .await
        .click()
        .await
        .expect("open the report");
    let content = browser.find("#report-content").await;
    let content_text = content.text().await.expect("text");
    assert!(
        content_text.contains("Wat is er gebeurd?") && content_text.contains(REPORT_CANARY),
        "the report opened through the token: {content_text}"
    );
    // Question and answer as the reporter read and gave them, in order.
    let pairs = browser
        .js(
            "return [...document.querySelectorAll('#report-content dt')].map(dt => dt.textContent + ' = ' + dt.nextElementSibling.textContent);",
            vec![],
        )
        .await;
    let pairs: Vec<&str> = pairs
        .as_array()
        .expect("pairs")
        .iter()
        .map(|p| p.as_str().expect("text"))
        .collect();
    assert_eq!(pairs[0], "Categorie = Pesten");
    assert_eq!(pairs[1], format!("Wat is er gebeurd? = {REPORT_CANARY}"));
    assert_eq!(pairs[2], "Waren er anderen bij? = Nee");
    assert_eq!(
        pairs[3],
        "Wat zou u willen? = Een luisterend oor, Een gesprek met de vertrouwenspersoon"
    );
    assert!(
        pairs[4].starts_with("Melder = Naam: J. Jansen"),
        "{pairs:?}"
    );
    assert!(pairs[4].contains("mag de melding niet inzien"), "{pairs:?}");
    assert_eq!(pairs[5], "Versleuteld voor = A. de Vries");
    // Every control has a label (keyboard and screen-reader users).
    let unlabelled = browser
        .js(
            "return [...document.querySelectorAll('select, textarea, input:not([type=hidden])')]\
             .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).length;",
            vec![],
        )
        .await;
    assert_eq!(unlabelled, json!(0));

    // Reply.
    browser
        .find("#reply-text")
        .await
        .send_keys(&format!("Dank voor uw melding. {REPLY_CANARY}"))
        .await
        .expect("type");
    browser
        .find("#send-reply")
        .await
        .click()
        .await
        .expect("send");
    browser
        .wait_for_js(
            "the reply in the thread",
            &format!(
                "return [...document.querySelectorAll('article.message')]\
                 .some(m => m.textContent.includes('{REPLY_CANARY}') && m.textContent.includes('U'));"
            ),
        )
        .await;

    // Status and agreed update date (in 12 days: due soon, seen from "today").
    let agreed = today.add_days(12).to_string();
    browser
        .find("#status-select")
        .await
        .select_by_value("acknowledged")
        .await
        .expect("select");
    browser
        .js(
            "document.querySelector('#agreed-date').value = arguments[0]; return true;",
            vec![json!(agreed)],
        )
        .await;
    browser
        .find("#save-status")
        .await
        .click()
        .await
        .expect("save");
    browser
        .wait_for_js(
            "the new status",
            "const s = document.querySelector('#status'); return s && s.textContent.includes('Ontvangst bevestigd');",
        )
        .await;
    let due_soon = browser
        .find("#deadlines [data-urgency='due-soon']")
        .await
        .text()
        .await
        .expect("text");
    assert!(due_soon.contains("Afgesproken termijn") && due_soon.contains("nog 2 dagen"));

    screenshot(&browser, "report").await;

    // Classify for the aggregate figures.
    browser
        .find("#category-select")
        .await
        .select_by_value("pesten")
        .await
        .expect("select");
    browser
        .find("#save-category")
        .await
        .click()
        .await
        .expect("save");
    // The attribute (not the property the click changed) comes only from
    // the page rendered after the save.
    browser
        .wait_for_js(
            "the saved category",
            "const o = document.querySelector('#category-select option[value=pesten]'); \
             return o && o.hasAttribute('selected');",
        )
        .await;

    // An attachment leaves the console only when exported on purpose.
    let thread_page = http
        .get(format!("{base}/reports/{}", mailbox.report_id.to_hex()))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("text");
    assert!(
        thread_page.contains(r#"<option value="pesten" selected>"#),
        "the saved category is preselected"
    );
    let export_path = thread_page
        .split("action=\"")
        .find_map(|rest| rest.split('"').next().filter(|a| a.ends_with("/export")))
        .expect("an export form")
        .to_owned();
    // Listed and saved under the name the reporter's report gave it, made
    // harmless (no path) and encoded for the header.
    let name_field = r#"name="name" value=""#;
    let given_name = thread_page
        .split(name_field)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the attachment's name in the export form");
    assert_eq!(given_name, "../verslag mei ü.pdf");
    let exported = http
        .post(format!("{origin}{export_path}"))
        .header("cookie", &cookie)
        .header("origin", &origin)
        .form(&[
            ("csrf", form_field(&thread_page, "csrf").as_str()),
            (
                "report_hash",
                form_field(&thread_page, "report_hash").as_str(),
            ),
            ("name", given_name),
        ])
        .send()
        .await
        .expect("export");
    assert_eq!(exported.status(), 200);
    assert_eq!(
        exported.headers()["content-disposition"]
            .to_str()
            .expect("disposition"),
        "attachment; filename=\"verslag mei _.pdf\"; filename*=UTF-8''verslag%20mei%20%C3%BC.pdf"
    );
    assert_eq!(
        &exported.bytes().await.expect("bytes")[..],
        ATTACHMENT_CANARY
    );

    // The reporter sees the reply (sealed by the token key, accepted only
    // from the advisor keys pinned in their report) and the status.
    let thread: Value = http
        .get(server.url(t, "/mailbox"))
        .bearer_auth(&reporter)
        .send()
        .await
        .expect("mailbox")
        .json()
        .await
        .expect("json");
    assert_eq!(thread["status"], "acknowledged");
    assert_eq!(thread["agreed_update_date"], json!(agreed));
    let messages = thread["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["from"], "advisor");
    let pinned: Vec<PublicKey> = vec![advisor_key, colleague.public_key()];
    let reply = open(
        &unb64(messages[0]["item"].as_str().expect("item")),
        &mailbox.key,
        &tenant.id,
        &pinned,
    );
    // In the message format the reporter's mailbox reads.
    let reply: serde_json::Value = serde_json::from_slice(&reply).expect("JSON");
    assert_eq!(reply["format"], "meldkluis-message/1");
    assert_eq!(
        reply["text"],
        format!("Dank voor uw melding. {REPLY_CANARY}")
    );
    // The co-advisor and the recovery key can read it too.
    let reply_item = unb64(messages[0]["item"].as_str().expect("item"));
    open(&reply_item, colleague, &tenant.id, &pinned);
    open(&reply_item, &tenant.recovery, &tenant.id, &pinned);
    let reports: Value = http
        .get(server.url(t, "/advisor/reports"))
        .bearer_auth(meldkluis_tests::advisor_login(&http, &server, &tenant.id, colleague).await)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(reports["reports"][0]["category"], "pesten");

    // The operator swaps the colleague's key for one of their own behind
    // the console's back: the next page warns, naming both fingerprints.
    let rogue = StaticSecret::generate(&mut meldkluis_crypto_core::os_rng());
    admin
        .replace_advisor(
            &tenant.id,
            &colleague.public_key(),
            &rogue.public_key(),
            None,
        )
        .expect("swap");
    browser.goto(&format!("{base}/reports")).await;
    let warning = browser
        .find("#key-substitution")
        .await
        .text()
        .await
        .expect("text");
    assert!(
        warning.contains(&rogue.public_key().fingerprint())
            && warning.contains(&colleague.public_key().fingerprint()),
        "the warning names the unknown and the missing key: {warning}"
    );
    screenshot(&browser, "warning").await;
    let role = browser
        .js(
            "return document.querySelector('#key-substitution').getAttribute('role');",
            vec![],
        )
        .await;
    assert_eq!(role, json!("alert"));

    // Nothing decrypted reached the browser's profile on disk (every page
    // is no-store) or any file the console or the test wrote.
    let canaries: [&[u8]; 3] = [
        REPORT_CANARY.as_bytes(),
        REPLY_CANARY.as_bytes(),
        ATTACHMENT_CANARY,
    ];
    let mut scanned = 0;
    for file in files_under(browser.profile_dir())
        .into_iter()
        .chain(files_under(dir.path()))
    {
        let Ok(bytes) = std::fs::read(&file) else {
            continue;
        };
        scanned += 1;
        for canary in canaries {
            assert!(
                !meldkluis_tests::contains(&bytes, canary),
                "{} holds decrypted content",
                file.display()
            );
        }
    }
    assert!(
        scanned > 10,
        "the profile and data files were there to scan"
    );
    browser.close().await;
    let _ = stop.send(());
    serving
        .await
        .expect("joined")
        .expect("the console ends cleanly");
    server.stop().await;
}

/// With `MELDKLUIS_SCREENSHOT_DIR` set, saves what the advisor sees (for a
/// person to look at; the assertions above do not depend on it).
async fn screenshot(browser: &Browser, name: &str) {
    if let Some(dir) = std::env::var_os("MELDKLUIS_SCREENSHOT_DIR") {
        let png = browser.client.screenshot().await.expect("screenshot");
        std::fs::write(
            std::path::Path::new(&dir).join(format!("console-{name}.png")),
            png,
        )
        .expect("writing the screenshot");
    }
}

/// The `value` of the first form field named `name` in a page.
fn form_field(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    page.split(&marker)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no {name} field"))
        .to_owned()
}

/// The host part of `http://host:port`.
fn console_host(origin: &str) -> String {
    let authority = origin.trim_start_matches("http://");
    authority
        .rsplit_once(':')
        .map_or(authority, |(host, _)| host)
        .to_owned()
}
