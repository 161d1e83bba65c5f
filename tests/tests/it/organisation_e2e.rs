//! The organisation's side end to end (issue 12, "done when"), in Dutch and
//! in English: the real server, the real advisor console (a software key,
//! as `console_a11y` starts it) and headless Chromium for every person,
//! driven by clicks and typing. Only the setting-up goes around the pages:
//! the tenant, twelve reports dated back with the server's clock so a
//! quarter has ended with enough reports to publish cells, and the
//! operator's invitations for the recipients.
//!
//! 1. Figures: a management recipient enrols on the enrolment page; the
//!    console's recipients page shows its fingerprint (the one the
//!    enrolment page showed) and the exact `management` line, which the
//!    advisor adds to the enrolled-keys file before starting the console
//!    again; the advisor previews the ended quarter (tables, a chart) and
//!    publishes it; the management recipient logs in on the management
//!    page and sees the same cells as the preview, the chart, and
//!    downloads a CSV equal to the console's CSV of the same report.
//! 2. Forwarding: a forward recipient enrols and is confirmed (`forward`
//!    line); a reporter sends a report with a file on the report page; the
//!    advisor drafts a forward in the console (text, that file, that
//!    recipient); the reporter approves in the mailbox; the advisor presses
//!    "Forward now"; the mailbox says "forwarded to <label> on <day>"; the
//!    forward recipient's management page shows the exact text and
//!    downloads the file byte for byte.
//! 3. axe (WCAG 2.1 A and AA) over the console's figures pages and the
//!    management page at the end of each flow.

use std::path::Path;
use std::sync::Arc;

use meldkluis_crypto_core::{LoginCode, RecipientKey, StaticKey as _};
use meldkluis_keys::enrolled::EnrolledKeys;
use meldkluis_server::clock::ManualClock;
use meldkluis_server::dates::Day;
use meldkluis_tests::browser::Browser;
use meldkluis_tests::reporter::{
    click, confirm_code, fill_report_form, mailbox_login, send_report, wait_ready, wait_text,
    ReportInput,
};
use meldkluis_tests::{client, TestServer, TestTenant};
use serde_json::{json, Value};

use crate::console_harness::{
    last_quarter, preview_figures, previous_quarter_start, seed_a_quarter, RunningConsole,
};
use crate::management_pages::{
    catch_downloads, caught_download, enrol_in_browser, invitation, management_login, text,
};
use crate::reporter_a11y::{axe_source, axe_violations};

/// Starts the advisor's console (reading `enrolled` afresh, as the
/// advisor's restart does) and logs in in `browser`.
async fn start_console(
    server: &TestServer,
    tenant: &TestTenant,
    enrolled: &Path,
    lang: &str,
    browser: &Browser,
) -> RunningConsole {
    let enrolled = EnrolledKeys::load(enrolled).expect("the enrolled-keys file");
    let console = RunningConsole::start(server, tenant, enrolled, lang).await;
    browser.goto(&console.url).await;
    browser.find("#login").await.click().await.expect("log in");
    browser.find("#reports").await;
    console
}

/// Every `table.figures-table` under `root`, as its caption and the text
/// of the cells of each body and foot row.
async fn figures_tables(browser: &Browser, root: &str) -> Value {
    browser
        .js(
            "return [...document.querySelector(arguments[0]).querySelectorAll('table.figures-table')].map(t => ({
                 caption: t.caption ? t.caption.textContent.trim() : '',
                 rows: [...t.querySelectorAll('tbody tr, tfoot tr')].map(r => [...r.children].map(c => c.textContent.trim()))
             }));",
            vec![json!(root)],
        )
        .await
}

/// The console's CSV download behind the link `selector`, fetched with the
/// browser's own session (the console's policy lets no page script fetch).
async fn console_download(browser: &Browser, selector: &str) -> Vec<u8> {
    let href = browser
        .find(selector)
        .await
        .attr("href")
        .await
        .expect("attribute")
        .expect("a link");
    let href = browser
        .js(
            "const a = document.createElement('a'); a.href = arguments[0]; return a.href;",
            vec![json!(href)],
        )
        .await;
    let cookies = browser.client.get_all_cookies().await.expect("cookies");
    let cookie = cookies
        .iter()
        .map(|c| format!("{}={}", c.name(), c.value()))
        .collect::<Vec<_>>()
        .join("; ");
    let response = client()
        .get(href.as_str().expect("an address"))
        .header("cookie", cookie)
        .send()
        .await
        .expect("the CSV");
    assert_eq!(response.status(), 200, "the console's CSV");
    response.bytes().await.expect("bytes").to_vec()
}

/// Enrols a recipient in the browser from a fresh invitation; returns the
/// enrolment code, the fingerprint the enrolment page showed and what axe
/// found on its screens.
async fn enrol(
    browser: &Browser,
    server: &TestServer,
    tenant: &TestTenant,
    axe: &str,
    lang: &str,
    role: &str,
    label: &str,
) -> (String, String, Vec<String>) {
    let secret = invitation(server, &tenant.id, role, label);
    // A page of its own (a fragment change alone would not load it).
    browser.goto("about:blank").await;
    browser
        .goto(&format!(
            "{}/t/{}/enrol?lang={lang}#{secret}",
            server.base, tenant.id
        ))
        .await;
    enrol_in_browser(browser, axe, lang).await
}

/// On the console's recipients page: the confirmation block of the
/// recipient whose fingerprint is `fingerprint`, as the line it says to add.
async fn line_to_add(browser: &Browser, fingerprint: &str) -> String {
    let line = browser
        .wait_for_js(
            "the line to add",
            &format!(
                "const block = [...document.querySelectorAll('#confirm-recipients .confirm-recipient')]
                   .find(b => b.querySelector('.fingerprint').textContent.trim() === {});
                 return block ? block.querySelector('code.enrolled-line').textContent : 'NONE';",
                json!(fingerprint)
            ),
        )
        .await;
    line.as_str().expect("text").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn figures_and_a_forward_go_from_the_console_to_the_management_page_in_both_languages() {
    let started = std::time::Instant::now();
    let dir = tempfile::tempdir().expect("tempdir");
    let today = Day::today();
    let earlier = previous_quarter_start(today).add_days(10);
    let clock = Arc::new(ManualClock::at(earlier, 10));
    let server = TestServer::start_with_clock(dir.path(), clock.clone(), |_| {}).await;
    let admin = server.admin();
    let tenant = TestTenant::create(&admin, "acme", 2);
    let advisor = &tenant.advisors[0];
    let http = client();
    let t = tenant.id.as_str();

    // Set-up: twelve reports in the last quarter, in two categories, named
    // and anonymous; eight acknowledged three days later, six of them
    // closed after twenty days.
    seed_a_quarter(&http, &server, &tenant, &clock, earlier).await;
    clock.set(today, 9);
    let last_quarter = last_quarter(today);

    // The advisor's enrolled-keys file, as at the tenant's enrolment.
    let keys_dir = tempfile::tempdir().expect("tempdir");
    let enrolled = keys_dir.path().join("enrolled-keys");
    std::fs::write(
        &enrolled,
        format!(
            "# meldkluis enrolled keys of tenant acme, fingerprints compared aloud\n\
             advisor {} Advisor 0\nadvisor {} Advisor 1\nrecovery {}\n",
            advisor.public_key().to_hex(),
            tenant.advisors[1].public_key().to_hex(),
            tenant.recovery.public_key().to_hex(),
        ),
    )
    .expect("write");

    let axe = axe_source();
    let mut violations = Vec::new();
    let files = tempfile::tempdir().expect("tempdir");
    for lang in ["nl", "en"] {
        let round = std::time::Instant::now();
        let browser = Browser::start_in(lang).await;

        // Both recipients enrol in the browser.
        let management_label = format!("Directie — J. Smit ({lang})");
        let forward_label = format!("HR — P. de Boer ({lang})");
        let (management_code, management_fingerprint, found) = enrol(
            &browser,
            &server,
            &tenant,
            &axe,
            lang,
            "management",
            &management_label,
        )
        .await;
        violations.extend(found);
        let (forward_code, forward_fingerprint, found) = enrol(
            &browser,
            &server,
            &tenant,
            &axe,
            lang,
            "forward",
            &forward_label,
        )
        .await;
        violations.extend(found);
        let management_key = RecipientKey::derive(
            &LoginCode::parse(&management_code).expect("a code"),
            &tenant.id,
        )
        .public_key();
        let forward_key = RecipientKey::derive(
            &LoginCode::parse(&forward_code).expect("a code"),
            &tenant.id,
        )
        .public_key();

        // The console's recipients page: each new recipient unconfirmed,
        // with the fingerprint the enrolment page showed and the exact
        // line to add, which the advisor adds before a restart.
        let console = start_console(&server, &tenant, &enrolled, lang, &browser).await;
        browser.goto(&format!("{}/recipients", console.base)).await;
        let management_line = line_to_add(&browser, &management_fingerprint).await;
        assert_eq!(
            management_line,
            format!("management {} {management_label}", management_key.to_hex())
        );
        let forward_line = line_to_add(&browser, &forward_fingerprint).await;
        assert_eq!(
            forward_line,
            format!("forward {} {forward_label}", forward_key.to_hex())
        );
        console.stop().await;
        let mut file = std::fs::read_to_string(&enrolled).expect("read");
        file.push_str(&format!("{management_line}\n{forward_line}\n"));
        std::fs::write(&enrolled, file).expect("write");
        let console = start_console(&server, &tenant, &enrolled, lang, &browser).await;
        let before: Value = browser
            .js(
                "return [...document.querySelectorAll('a[href*=\"/reports/\"]')].map(a => a.getAttribute('href'));",
                vec![],
            )
            .await;
        browser.goto(&format!("{}/recipients", console.base)).await;
        for key in [management_key, forward_key] {
            browser
                .find(&format!(
                    "#recipients tr[data-key='{}'][data-standing='confirmed']",
                    key.to_hex()
                ))
                .await;
        }

        // Figures: the ended quarter, previewed and published.
        browser.goto(&format!("{}/figures", console.base)).await;
        preview_figures(&browser, &last_quarter).await;
        let preview = figures_tables(&browser, "#figures-preview-report").await;
        let preview_charts = browser
            .js(
                "return document.querySelectorAll('#figures-preview-report svg[role=img] title').length;",
                vec![],
            )
            .await;
        assert!(
            preview_charts.as_u64().expect("a number") >= 1,
            "a chart in the preview"
        );
        // Enough reports for published cells: some count is shown.
        let published_cells = preview
            .as_array()
            .expect("tables")
            .iter()
            .flat_map(|t| t["rows"].as_array().expect("rows").iter())
            .filter(|r| {
                r.get(1)
                    .and_then(Value::as_str)
                    .is_some_and(|v| v.parse::<u64>().is_ok_and(|n| n >= 5))
            })
            .count();
        assert!(published_cells >= 3, "{preview:#}");
        let hidden = text(lang, "figures-hidden");
        assert!(
            preview.to_string().contains(&hidden),
            "a suppressed cell too: {preview:#}"
        );
        let preview_csv = console_download(&browser, "#figures-preview-csv").await;
        // The recipient just confirmed is among those it is sealed to.
        let management_list = browser
            .find("#figures-management")
            .await
            .text()
            .await
            .expect("text");
        assert!(
            management_list.contains(&management_label)
                && management_list.contains(&management_fingerprint),
            "{management_list}"
        );
        violations.extend(
            axe_violations(&browser, &axe, &format!("{lang} console figures preview")).await,
        );
        browser
            .find("#figures-publish")
            .await
            .click()
            .await
            .expect("publish");
        browser.find("#figures-published").await;
        violations.extend(
            axe_violations(&browser, &axe, &format!("{lang} console figures published")).await,
        );

        // The management recipient reads the same figures.
        browser
            .goto(&format!("{}/t/{t}/management?lang={lang}", server.base))
            .await;
        management_login(&browser, &management_code).await;
        let listed = browser
            .js(
                "return document.querySelectorAll('#figures-list button').length;",
                vec![],
            )
            .await;
        assert_eq!(listed, json!(1), "the one report sealed to this recipient");
        browser
            .find("#figures-list button")
            .await
            .click()
            .await
            .expect("open the figures");
        browser
            .wait_for_js(
                "the figures report",
                "return !document.getElementById('figures-view').hidden;",
            )
            .await;
        let shown = figures_tables(&browser, "#figures-view").await;
        let by_caption = |tables: &Value| -> Vec<(String, Value)> {
            tables
                .as_array()
                .expect("tables")
                .iter()
                .map(|t| {
                    (
                        t["caption"].as_str().expect("caption").to_owned(),
                        t["rows"].clone(),
                    )
                })
                .collect()
        };
        let shown = by_caption(&shown);
        let mut compared = 0;
        for (caption, rows) in by_caption(&preview) {
            if let Some((_, other)) = shown.iter().find(|(c, _)| *c == caption) {
                assert_eq!(&rows, other, "{lang}: the table {caption:?} differs");
                compared += 1;
            }
        }
        eprintln!(
            "{lang}: {compared} tables equal on both pages, {published_cells} cells of 5 or more published"
        );
        if std::env::var_os("MELDKLUIS_E2E_SHOW").is_some() {
            eprintln!("{preview:#}\n{shown:#?}");
        }
        // The seven count tables and the times at least.
        assert!(
            compared >= 8,
            "{compared} tables compared: {preview:#} against {shown:#?}"
        );
        let charts = browser
            .js(
                "return document.querySelectorAll('#figures-view svg[role=img] title').length;",
                vec![],
            )
            .await;
        assert!(charts.as_u64().expect("a number") >= 1, "an SVG chart");
        catch_downloads(&browser).await;
        click(&browser, "csv-figures").await;
        let (name, csv) = caught_download(&browser, 0).await;
        assert_eq!(name, format!("meldkluis-figures-{t}-{last_quarter}.csv"));
        assert_eq!(
            String::from_utf8(csv).expect("UTF-8"),
            String::from_utf8(preview_csv).expect("UTF-8"),
            "the management page's CSV is the console's"
        );
        violations
            .extend(axe_violations(&browser, &axe, &format!("{lang} management figures")).await);
        click(&browser, "logout").await;
        wait_ready(&browser, "login-button").await;

        // Forwarding: a reporter sends a report with a file.
        let file_name = format!("verslag-{lang}.pdf");
        let file_bytes: Vec<u8> = [
            b"%PDF-1.4\n".as_slice(),
            &[0x00, 0xff, 0xfe, 0x80, 0x0d, 0x0a],
            lang.as_bytes(),
            b"\nverslag van het gesprek\n",
        ]
        .concat();
        let file_path = files.path().join(&file_name);
        std::fs::write(&file_path, &file_bytes).expect("write");
        browser
            .goto(&format!("{}/t/{t}/report?lang={lang}", server.base))
            .await;
        fill_report_form(
            &browser,
            &ReportInput {
                what: "Mijn leidinggevende schreeuwt op de afdeling.".into(),
                attachment: Some(file_path.clone()),
                ..ReportInput::default()
            },
        )
        .await;
        let (reporter_code, _) = send_report(&browser).await;
        confirm_code(&browser, &reporter_code).await;

        // The advisor finds the new report in the console's list.
        browser.goto(&format!("{}/reports", console.base)).await;
        browser.find("#reports").await;
        let report_href = browser
            .js(
                "const before = arguments[0];
                 const links = [...document.querySelectorAll('a[href*=\"/reports/\"]')].map(a => a.getAttribute('href'));
                 const fresh = [...new Set(links.filter(h => !before.includes(h)))];
                 return fresh.length === 1 ? fresh[0] : fresh;",
                vec![before.clone()],
            )
            .await;
        let report_href = report_href
            .as_str()
            .unwrap_or_else(|| panic!("one new report: {report_href}"))
            .to_owned();
        browser
            .find(&format!("a[href='{report_href}']"))
            .await
            .click()
            .await
            .expect("open the report");
        let report_url = browser
            .client
            .current_url()
            .await
            .expect("address")
            .to_string();
        browser.find("#forward-text-new").await;

        // The draft: text, the reporter's file, this forward recipient.
        let forward_text = format!(
            "Melding over schreeuwen op de afdeling ({lang}).\n\nDe melder wil dat HR het oppakt."
        );
        browser
            .find("#forward-text-new")
            .await
            .send_keys(&forward_text)
            .await
            .expect("type");
        let checkbox = browser
            .js(
                "const label = [...document.querySelectorAll('form.forward-draft label')]
                   .find(l => l.htmlFor.startsWith('forward-attachment-new-') && l.textContent.includes(arguments[0]));
                 return label ? label.htmlFor : null;",
                vec![json!(file_name)],
            )
            .await;
        let checkbox = checkbox
            .as_str()
            .expect("the file in the draft form")
            .to_owned();
        let radio = browser
            .js(
                "const label = [...document.querySelectorAll('form.forward-draft label')]
                   .find(l => l.htmlFor.startsWith('forward-recipient-new-') && l.textContent.includes(arguments[0]));
                 return label ? label.htmlFor : null;",
                vec![json!(forward_label)],
            )
            .await;
        let radio = radio
            .as_str()
            .expect("the recipient in the draft form")
            .to_owned();
        click(&browser, &checkbox).await;
        click(&browser, &radio).await;
        // The "new draft" form is the last of the page's draft forms.
        let forms = browser
            .client
            .find_all(fantoccini::Locator::Css(
                "form.forward-draft button[type=submit]",
            ))
            .await
            .expect("forms");
        forms
            .last()
            .expect("the new draft form")
            .clone()
            .click()
            .await
            .expect("ask the reporter");
        let draft_id = browser
            .find("article.approval-request[data-standing='awaiting']")
            .await
            .attr("data-draft")
            .await
            .expect("attribute")
            .expect("a draft id");

        // The reporter approves in the mailbox: the exact text, the file,
        // the recipient.
        browser
            .goto(&format!("{}/t/{t}/mailbox?lang={lang}", server.base))
            .await;
        mailbox_login(&browser, &reporter_code).await;
        let entry = browser
            .wait_for_js(
                "the approval request",
                &format!(
                    "const e = document.getElementById({});
                     return e && [e.textContent, [...e.querySelectorAll('form button')].map(b => b.id)];",
                    json!(format!("request-{draft_id}-1"))
                ),
            )
            .await;
        let entry_text = entry[0].as_str().expect("text");
        for paragraph in forward_text.split("\n\n") {
            assert!(entry_text.contains(paragraph), "{entry_text}");
        }
        assert!(
            entry_text.contains(&file_name)
                && entry_text.contains(&forward_label)
                && entry_text.contains(&forward_fingerprint),
            "{entry_text}"
        );
        let approve = entry[1]
            .as_array()
            .expect("buttons")
            .iter()
            .filter_map(Value::as_str)
            .find(|id| id.ends_with("-approve"))
            .expect("an approve button")
            .to_owned();
        click(&browser, &approve).await;
        let sent = text(lang, "js-approval-sent-approve");
        wait_text(&browser, "thread-status", &sent).await;

        // The advisor forwards.
        browser.goto(&report_url).await;
        browser
            .find("button.forward-now")
            .await
            .click()
            .await
            .expect("forward now");
        let made = browser
            .find("#forwards-made")
            .await
            .text()
            .await
            .expect("text");
        assert!(made.contains(&forward_label), "{made}");

        // The mailbox says so.
        browser
            .goto(&format!("{}/t/{t}/mailbox?lang={lang}", server.base))
            .await;
        mailbox_login(&browser, &reporter_code).await;
        let forwarded = browser
            .wait_for_js(
                "forwarded to",
                "return !document.getElementById('forwards-row').hidden && document.getElementById('forwards-value').textContent;",
            )
            .await;
        let forwarded = forwarded.as_str().expect("text");
        let (year, _, day) = today.civil();
        let lead = text(lang, "js-forwarded-to");
        let lead = lead.split('{').next().expect("a lead").trim();
        assert!(
            forwarded.starts_with(lead)
                && forwarded.contains(&forward_label)
                && forwarded.contains(&format!(" {day} "))
                && forwarded.contains(&year.to_string()),
            "{forwarded}"
        );

        // The forward recipient reads it, and the file byte for byte.
        browser
            .goto(&format!("{}/t/{t}/management?lang={lang}", server.base))
            .await;
        management_login(&browser, &forward_code).await;
        let shown = browser
            .wait_for_js(
                "the forward",
                "return document.querySelector('#forward-list li')?.innerText;",
            )
            .await;
        let shown = shown.as_str().expect("text");
        assert!(shown.contains(&forward_text), "the exact text: {shown}");
        catch_downloads(&browser).await;
        browser
            .find("#forward-list button")
            .await
            .click()
            .await
            .expect("download");
        let (name, bytes) = caught_download(&browser, 0).await;
        assert_eq!(name, file_name);
        assert_eq!(bytes, file_bytes, "the file, byte for byte");
        violations
            .extend(axe_violations(&browser, &axe, &format!("{lang} management forward")).await);

        console.stop().await;
        browser.close().await;
        eprintln!("{lang}: {:?}", round.elapsed());
    }
    assert!(
        violations.is_empty(),
        "axe violations:\n{}",
        violations.join("\n")
    );
    eprintln!("in all: {:?}", started.elapsed());
    server.stop().await;
}
