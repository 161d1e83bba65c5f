//! The reporter's whole journey in a real headless Chromium, against the
//! real server, with the advisor beside it using the real crypto core:
//! a report typed in the browser with an attachment arrives and opens with
//! the advisor's key; the advisor's reply shows in the mailbox after logging
//! in with the code; the reporter's reply reaches the advisor. Between the
//! browser and the server sits a recording proxy: no canary typed in the
//! browser is in any request it forwarded, nor in any file of the server.

use meldkluis_crypto_core::{ItemKind, StaticKey, StaticSecret};
use meldkluis_tests::browser::Browser;
use meldkluis_tests::proxy::RecordingProxy;
use meldkluis_tests::reporter::{
    click, confirm_code, fill_report_form, mailbox_login, open_report_form, send_report, type_into,
    AdvisorView, ReportInput,
};
use meldkluis_tests::{contains, files_under, new_item_id, seal, TestServer, TestTenant};
use serde_json::Value;

fn canary(what: &str) -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 8];
    meldkluis_crypto_core::os_rng().fill_bytes(&mut bytes);
    format!("CANARY{what}{}", hex::encode(bytes))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_typed_in_the_browser_reaches_the_advisor_and_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "acme", 2);
    let proxy = RecordingProxy::start(&server.base).await;
    let browser = Browser::start().await;

    let what = canary("what");
    let place = canary("place");
    let name = canary("name");
    let file_canary = canary("file");
    let reply_canary = canary("reply");
    let files = tempfile::tempdir().expect("tempdir");
    let attachment = files.path().join("bewijs.txt");
    std::fs::write(&attachment, format!("screenshot text: {file_canary}\n")).expect("write");

    browser.goto(&format!("{}/t/acme/report", proxy.base)).await;
    let input = ReportInput {
        what: format!("Mijn leidinggevende schreeuwt. {what}"),
        place: Some(place.clone()),
        name: Some(name.clone()),
        attachment: Some(attachment.clone()),
        // The reporter leaves out the second advisor (involved in the matter).
        leave_out: vec![2],
        notice_email: Some("melder@example.org".into()),
    };
    fill_report_form(&browser, &input).await;
    let (code, elapsed) = send_report(&browser).await;
    eprintln!("send -> acknowledgement in the browser: {elapsed:?}");
    assert_eq!(code.len(), 29, "six groups of four: {code}");
    let screen = browser
        .find("#code-screen")
        .await
        .text()
        .await
        .expect("text");
    assert!(
        screen.contains("kan niemand u een nieuwe geven"),
        "the code screen says a lost code cannot be replaced: {screen}"
    );
    // Going on needs the code's last group, typed: a wrong one is refused.
    type_into(&browser, "confirm-input", "ZZZZ").await;
    click(&browser, "confirm-button").await;
    let refused = browser
        .find("#error-confirm-input")
        .await
        .text()
        .await
        .expect("text");
    assert!(refused.contains("laatste vier tekens"), "{refused}");
    assert!(!browser
        .find("#login-code")
        .await
        .text()
        .await
        .expect("text")
        .is_empty());
    browser
        .js(
            "document.getElementById('confirm-input').value = '';",
            vec![],
        )
        .await;

    // The advisor opens it on their own machine.
    let advisor = AdvisorView::login(&server, &tenant.id, &tenant.advisors[0]).await;
    let ids = advisor.report_ids().await;
    assert_eq!(ids.len(), 1, "the report arrived");
    let report = advisor.open_report(&ids[0]).await;
    let answers = report.content["answers"].as_array().expect("answers");
    let answer = |id: &str| {
        answers
            .iter()
            .find(|a| a["id"] == id)
            .map(|a| a["answer"].clone())
            .unwrap_or(Value::Null)
    };
    assert!(answer("what").as_str().expect("what").contains(&what));
    assert_eq!(answer("where"), Value::String(place.clone()));
    assert_eq!(answer("ongoing"), Value::String("Ja".into()));
    assert_eq!(report.content["category"]["id"], "pesten");
    assert_eq!(
        report.content["reporter"]["name"],
        Value::String(name.clone())
    );
    assert_eq!(report.content["reporter"]["employer_may_see"], false);
    // Sealed to the chosen advisor, the recovery key and the mailbox only.
    assert_eq!(report.recipients.len(), 3);
    assert!(report.recipients.contains(&tenant.advisors[0].public_key()));
    assert!(!report.recipients.contains(&tenant.advisors[1].public_key()));
    let pinned: Vec<&str> = report.content["advisors"]
        .as_array()
        .expect("pinned advisors")
        .iter()
        .map(|a| a["public_key"].as_str().expect("hex"))
        .collect();
    assert_eq!(pinned, vec![tenant.advisors[0].public_key().to_hex()]);
    // The left-out advisor cannot even see it.
    let other = AdvisorView::login(&server, &tenant.id, &tenant.advisors[1]).await;
    assert!(other.report_ids().await.is_empty());
    assert_eq!(
        other
            .get(&format!("/advisor/reports/{}", report.id))
            .await
            .status(),
        404
    );

    // The attachment, named in the report, opens to the file's bytes.
    let listed = &report.content["attachments"][0];
    assert_eq!(listed["name"], "bewijs.txt");
    let opened = advisor
        .attachment(&report, listed["id"].as_str().expect("id"))
        .await;
    assert_eq!(opened, std::fs::read(&attachment).expect("read"));

    // The advisor answers and acknowledges.
    advisor
        .reply(
            &report,
            "Dank voor uw melding. Kunnen we volgende week praten?",
        )
        .await;
    advisor
        .set_status(&report, "acknowledged", Some("2026-12-15"))
        .await;

    // The reporter confirms the code, goes to the mailbox and logs in.
    confirm_code(&browser, &code).await;
    browser
        .goto(&format!("{}/t/acme/mailbox", proxy.base))
        .await;
    // A typing error is caught in the browser: nothing is derived or sent.
    meldkluis_tests::reporter::wait_ready(&browser, "login-button").await;
    let mut typo: Vec<char> = code.chars().collect();
    typo[3] = if typo[3] == 'X' { 'Y' } else { 'X' };
    let typo: String = typo.into_iter().collect();
    let posts_before = proxy
        .recorded()
        .iter()
        .filter(|r| r.method == "POST")
        .count();
    type_into(&browser, "code-input", &typo).await;
    click(&browser, "login-button").await;
    browser
        .wait_for_js(
            "the typing error",
            "return !document.getElementById('error-code-input').hidden;",
        )
        .await;
    let problem = browser
        .find("#error-code-input")
        .await
        .text()
        .await
        .expect("text");
    assert!(problem.contains("typfout"), "{problem}");
    assert_eq!(
        proxy
            .recorded()
            .iter()
            .filter(|r| r.method == "POST")
            .count(),
        posts_before,
        "no log-in was attempted"
    );
    browser
        .js("document.getElementById('code-input').value = '';", vec![])
        .await;
    mailbox_login(&browser, &code).await;
    let thread = browser.find("#thread").await.text().await.expect("text");
    assert!(
        thread.contains("Kunnen we volgende week praten?"),
        "the advisor's reply is shown: {thread}"
    );
    // The reporter's own report is there too, folded away.
    let all = browser
        .js(
            "return document.getElementById('thread').textContent;",
            vec![],
        )
        .await;
    assert!(
        all.as_str().expect("text").contains(&what),
        "the reporter's own report is readable"
    );
    let status = browser
        .find("#status-value")
        .await
        .text()
        .await
        .expect("text");
    assert_eq!(status, "Ontvangst bevestigd");
    let agreed = browser
        .find("#agreed-value")
        .await
        .text()
        .await
        .expect("text");
    assert_eq!(agreed, "15 december 2026");
    // The address left with the report is the reporter's to see, change
    // or remove.
    let address = browser
        .js(
            "return document.getElementById('notice-email').value;",
            vec![],
        )
        .await;
    assert_eq!(address, serde_json::json!("melder@example.org"));
    click(&browser, "notice-remove").await;
    browser
        .wait_for_js(
            "the address removed",
            "return document.getElementById('notice-status').textContent === 'Het e-mailadres is verwijderd.';",
        )
        .await;

    // The reporter replies, with a file.
    let second_file = files.path().join("rooster.txt");
    std::fs::write(&second_file, format!("dienstrooster {file_canary}")).expect("write");
    type_into(
        &browser,
        "reply-attachments",
        &second_file.display().to_string(),
    )
    .await;
    type_into(
        &browser,
        "reply-text",
        &format!("Ja, dinsdag kan ik. {reply_canary}"),
    )
    .await;
    click(&browser, "reply-send").await;
    browser
        .wait_for_js(
            "the reply to be sent",
            "return document.getElementById('reply-status').textContent === 'Uw bericht is verstuurd.';",
        )
        .await;
    let report = advisor.open_report(&report.id).await;
    let messages = advisor.open_messages(
        &report,
        &[report.mailbox_key, tenant.advisors[0].public_key()],
    );
    assert_eq!(messages.len(), 2);
    assert!(messages[1]["text"]
        .as_str()
        .expect("text")
        .contains(&reply_canary));
    let listed = &messages[1]["attachments"][0];
    assert_eq!(listed["name"], "rooster.txt");
    let opened = advisor
        .attachment(&report, listed["id"].as_str().expect("id"))
        .await;
    assert_eq!(opened, std::fs::read(&second_file).expect("read"));
    browser.close().await;

    // Nothing typed in the browser reached the server readable.
    let recorded = proxy.recorded();
    assert!(
        recorded
            .iter()
            .any(|r| r.uri.ends_with("/reports") && r.method == "POST"),
        "the proxy saw the report"
    );
    let canaries = [&what, &place, &name, &file_canary, &reply_canary];
    for request in &recorded {
        for canary in canaries {
            assert!(
                !contains(&request.body, canary.as_bytes())
                    && !request.uri.contains(canary.as_str()),
                "{canary} in {} {}",
                request.method,
                request.uri
            );
        }
    }
    server.stop().await;
    for path in files_under(dir.path()) {
        let bytes = std::fs::read(&path).expect("read");
        for canary in canaries {
            assert!(
                !contains(&bytes, canary.as_bytes()),
                "{canary} in {}",
                path.display()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_from_a_key_the_report_did_not_pin_is_a_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "acme", 1);
    let browser = Browser::start().await;
    open_report_form(
        &browser,
        &server,
        "acme",
        &ReportInput::saying("Er verdwijnt geld uit de kas."),
    )
    .await;
    let (code, _) = send_report(&browser).await;

    // A breached server writes a message "from the advisor" into the
    // thread, sealed with a key of its own that carries the advisor's name
    // nowhere the reporter's browser trusts.
    let advisor = AdvisorView::login(&server, &tenant.id, &tenant.advisors[0]).await;
    let report = advisor.open_report(&advisor.report_ids().await[0]).await;
    let forger = StaticSecret::generate(&mut meldkluis_crypto_core::os_rng());
    let forged_text = "Stuur ons uw naam en telefoonnummer via deze link.";
    let content = serde_json::to_vec(&serde_json::json!({
        "format": "meldkluis-message/1", "text": forged_text, "attachments": []
    }))
    .expect("json");
    let report_id = meldkluis_crypto_core::ItemId(
        hex::decode(&report.id)
            .expect("hex")
            .try_into()
            .expect("16 bytes"),
    );
    let forged = seal(
        ItemKind::Message,
        &tenant.id,
        new_item_id(),
        report_id,
        &forger,
        &report.recipients,
        content.as_slice(),
    );
    let db = rusqlite::Connection::open(dir.path().join("tenants/acme/tenant.sqlite"))
        .expect("the tenant database");
    let advisor_row: i64 = db
        .query_row("SELECT id FROM advisors LIMIT 1", [], |r| r.get(0))
        .expect("an advisor row");
    db.execute(
        "INSERT INTO messages (id, report_id, from_advisor, item, padded_len, created_day) VALUES (?1, ?2, ?3, ?4, 0, '2026-11-24')",
        rusqlite::params![new_item_id().0.to_vec(), report_id.0.to_vec(), advisor_row, forged],
    )
    .expect("the forged message is written");
    drop(db);
    // And a genuine one, to show the difference; then the server replays it.
    advisor
        .reply(&report, "Een echt bericht van de vertrouwenspersoon.")
        .await;
    let db = rusqlite::Connection::open(dir.path().join("tenants/acme/tenant.sqlite"))
        .expect("the tenant database");
    db.execute(
        "INSERT INTO messages (id, report_id, from_advisor, item, padded_len, created_day)
         SELECT ?1, report_id, from_advisor, item, padded_len, created_day FROM messages ORDER BY seq DESC LIMIT 1",
        [new_item_id().0.to_vec()],
    )
    .expect("the replayed message is written");
    drop(db);

    browser
        .goto(&format!("{}/t/acme/mailbox?lang=en", server.base))
        .await;
    mailbox_login(&browser, &code).await;
    let thread = browser.find("#thread").await.text().await.expect("text");
    assert!(
        !thread.contains(forged_text),
        "the forged text is not shown: {thread}"
    );
    assert_eq!(
        thread
            .matches("Een echt bericht van de vertrouwenspersoon.")
            .count(),
        1,
        "the genuine message, once: {thread}"
    );
    let warnings = browser
        .js(
            "return [...document.querySelectorAll('#thread .notice--warning')].map(e => e.textContent);",
            vec![],
        )
        .await;
    let warnings = warnings.as_array().expect("a list");
    assert_eq!(
        warnings.len(),
        2,
        "the forgery and the replay: {warnings:?}"
    );
    for warning in warnings {
        assert!(warning
            .as_str()
            .expect("text")
            .contains("could not be verified"));
    }
    browser.close().await;
    server.stop().await;
}

/// A form of the operator's own, loaded from a TOML file as the CLI does:
/// every kind of question, required ones enforced in the browser before
/// anything is derived or sent, every answer arriving as typed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operators_own_questionnaire_is_asked_and_enforced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "acme", 1);
    let form = dir.path().join("form.toml");
    std::fs::write(
        &form,
        r#"
version = 1
acknowledgement_days = 5
feedback_months = 2
tips = [{ nl = "Bel gerust de vertrouwenspersoon op 0800-1234.", en = "Feel free to call the advisor on 0800-1234." }]

[[categories]]
id = "fraude"
label = { nl = "Fraude", en = "Fraud" }

[[questions]]
id = "wat"
type = "long_text"
required = true
label = { nl = "Wat heeft u gezien?", en = "What did you see?" }

[[questions]]
id = "bedrag"
type = "text"
label = { nl = "Om welk bedrag gaat het?", en = "What amount is involved?" }

[[questions]]
id = "datum"
type = "date"
required = true
label = { nl = "Wanneer?", en = "When?" }

[[questions]]
id = "melding-eerder"
type = "yes_no"
required = true
label = { nl = "Heeft u dit eerder gemeld?", en = "Have you reported this before?" }

[[questions]]
id = "afdeling"
type = "choice"
required = true
label = { nl = "Welke afdeling?", en = "Which department?" }
options = [
  { id = "inkoop", label = { nl = "Inkoop", en = "Purchasing" } },
  { id = "financien", label = { nl = "Financiën", en = "Finance" } },
]

[[questions]]
id = "bewijs"
type = "multiple_choice"
label = { nl = "Welk bewijs heeft u?", en = "What evidence do you have?" }
options = [
  { id = "facturen", label = { nl = "Facturen", en = "Invoices" } },
  { id = "mails", label = { nl = "E-mails", en = "E-mails" } },
]
"#,
    )
    .expect("write the form");
    let admin = server.admin();
    let document = meldkluis_server::admin::read_questionnaire(&form).expect("the TOML form reads");
    admin
        .set_questionnaire(&tenant.id, &document)
        .expect("the form is accepted");
    let mut broken = document.clone();
    broken["acknowledgement_days"] = 10.into();
    let refused = admin
        .set_questionnaire(&tenant.id, &broken)
        .expect_err("over 7 days");
    assert!(
        refused.to_string().contains("acknowledgement_days"),
        "{refused}"
    );

    let browser = Browser::start().await;
    browser
        .goto(&format!("{}/t/acme/report", server.base))
        .await;
    meldkluis_tests::reporter::wait_ready(&browser, "send").await;
    type_into(&browser, "q-wat", "Facturen worden dubbel betaald.").await;
    click(&browser, "send").await;
    browser
        .wait_for_js(
            "the error summary",
            "return !document.getElementById('error-summary').hidden;",
        )
        .await;
    let summary = browser
        .find("#error-summary")
        .await
        .text()
        .await
        .expect("text");
    for missing in ["Wanneer?", "Heeft u dit eerder gemeld?", "Welke afdeling?"] {
        assert!(summary.contains(missing), "{missing} is listed: {summary}");
    }
    assert!(
        !summary.contains("Wat heeft u gezien?"),
        "answered: {summary}"
    );
    assert!(!summary.contains("bedrag"), "optional: {summary}");
    assert!(no_report_stored(&server).await, "nothing was sent");

    click(&browser, "category-fraude").await;
    browser
        .js(
            "document.getElementById('q-datum').value = '2026-11-02';",
            vec![],
        )
        .await;
    click(&browser, "q-melding-eerder-no").await;
    click(&browser, "q-afdeling-inkoop").await;
    click(&browser, "q-bewijs-facturen").await;
    click(&browser, "q-bewijs-mails").await;
    let (code, _) = send_report(&browser).await;
    confirm_code(&browser, &code).await;
    let next = browser
        .find("#next-screen")
        .await
        .text()
        .await
        .expect("text");
    assert!(
        next.contains("Bel gerust de vertrouwenspersoon op 0800-1234."),
        "{next}"
    );

    let advisor = AdvisorView::login(&server, &tenant.id, &tenant.advisors[0]).await;
    let report = advisor.open_report(&advisor.report_ids().await[0]).await;
    let answers = report.content["answers"].as_array().expect("answers");
    let by_id = |id: &str| {
        answers
            .iter()
            .find(|a| a["id"] == id)
            .expect("answered")
            .clone()
    };
    assert_eq!(by_id("datum")["value"], "2026-11-02");
    assert_eq!(by_id("melding-eerder")["answer"], "Nee");
    assert_eq!(by_id("afdeling")["value"], "inkoop");
    assert_eq!(by_id("afdeling")["answer"], "Inkoop");
    assert_eq!(
        by_id("bewijs")["value"],
        serde_json::json!(["facturen", "mails"])
    );
    assert_eq!(by_id("bedrag")["value"], Value::Null);
    assert_eq!(report.content["category"]["label"], "Fraude");
    browser.close().await;
    server.stop().await;
}

/// True if the server holds no report yet.
async fn no_report_stored(server: &TestServer) -> bool {
    let admin = server.admin();
    let tenant = meldkluis_crypto_core::TenantId::new("acme").expect("id");
    admin.show_tenant(&tenant).expect("tenant").report_count == 0
}

/// The fingerprints the browser shows, computed there from `/config`.
async fn shown_fingerprints(browser: &Browser) -> Vec<String> {
    let shown = browser
        .wait_for_js(
            "the keys shown",
            "const d = document.getElementById('advisor-keys'); \
             if (!d || d.hidden) return null; \
             return [...document.querySelectorAll('#advisor-key-list dd')].map((e) => e.textContent);",
        )
        .await;
    serde_json::from_value(shown).expect("a list of fingerprints")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reporter_sees_the_keys_it_seals_to_and_nothing_is_sent_if_they_change() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "acme", 2);
    let browser = Browser::start().await;
    let report_page = format!("{}/t/acme/report", server.base);
    browser.goto(&report_page).await;

    // Every key the report will be sealed to, fingerprinted in the browser:
    // the advisors' and the recovery key, as crypto-core computes them.
    let mut expected: Vec<String> = tenant
        .advisors
        .iter()
        .map(|a| a.public_key().fingerprint())
        .collect();
    expected.push(tenant.recovery.public_key().fingerprint());
    assert_eq!(shown_fingerprints(&browser).await, expected);

    // The server serves another recovery key after the page showed the
    // keys: the browser does not seal to a key it did not show.
    let other_recovery = StaticSecret::generate(&mut meldkluis_crypto_core::os_rng());
    server
        .admin()
        .set_recovery_key(&tenant.id, &other_recovery.public_key())
        .expect("set recovery key");
    fill_report_form(
        &browser,
        &ReportInput {
            what: "Er verdwijnt geld uit de kas.".into(),
            ..ReportInput::default()
        },
    )
    .await;
    click(&browser, "send").await;
    let refused = browser
        .wait_for_js(
            "the refusal",
            "const e = document.getElementById('send-error'); return e && e.textContent;",
        )
        .await;
    let refused = refused.as_str().expect("text");
    assert!(refused.contains("Er is niets verstuurd"), "{refused}");
    assert!(
        browser
            .js(
                "return document.getElementById('code-screen').hidden;",
                vec![]
            )
            .await
            == Value::Bool(true),
        "no code is shown"
    );
    let advisor = AdvisorView::login(&server, &tenant.id, &tenant.advisors[0]).await;
    assert!(advisor.report_ids().await.is_empty(), "nothing was stored");

    // After a reload the new key is shown, and the report goes out sealed
    // to what was shown, with fingerprints the browser computed itself.
    browser.goto(&report_page).await;
    expected.pop();
    expected.push(other_recovery.public_key().fingerprint());
    assert_eq!(shown_fingerprints(&browser).await, expected);
    fill_report_form(
        &browser,
        &ReportInput {
            what: "Er verdwijnt geld uit de kas.".into(),
            ..ReportInput::default()
        },
    )
    .await;
    send_report(&browser).await;
    let ids = advisor.report_ids().await;
    assert_eq!(ids.len(), 1);
    let report = advisor.open_report(&ids[0]).await;
    assert!(report.recipients.contains(&other_recovery.public_key()));
    let pinned: Vec<&str> = report.content["advisors"]
        .as_array()
        .expect("pinned advisors")
        .iter()
        .map(|a| a["fingerprint"].as_str().expect("fingerprint"))
        .collect();
    assert_eq!(pinned, [expected[0].as_str(), expected[1].as_str()]);
}
