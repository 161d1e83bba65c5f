//! What the tests of the advisor console in a browser share: a tenant's
//! last quarter of reports (for figures that are not all suppressed) and
//! the real console, started with a software key and stopped again.

use meldkluis_crypto_core::{StaticKey as _, StaticSecret};
use meldkluis_i18n::catalog;
use meldkluis_keys::console::{Console, ConsoleOptions};
use meldkluis_keys::enrolled::EnrolledKeys;
use meldkluis_server::clock::ManualClock;
use meldkluis_server::dates::Day;
use meldkluis_tests::browser::Browser;
use meldkluis_tests::{
    advisor_login, advisor_set_status, submit_report, Mailbox, TestServer, TestTenant,
};
use serde_json::json;

use crate::reporter_a11y::axe_violations;

/// The first day of the quarter before the one `day` is in.
pub(crate) fn previous_quarter_start(day: Day) -> Day {
    let (year, month, _) = day.civil();
    let quarter_start = (month - 1) / 3 * 3 + 1;
    let (year, month) = if quarter_start == 1 {
        (year - 1, 10)
    } else {
        (year, quarter_start - 3)
    };
    Day::from_ymd(year, month, 1).expect("a day")
}

/// The quarter before the one `today` is in, as figures name it
/// (`2025-Q3`).
pub(crate) fn last_quarter(today: Day) -> String {
    let (year, month, _) = previous_quarter_start(today).civil();
    format!("{year}-Q{}", (month - 1) / 3 + 1)
}

/// A report as the reporter's browser writes it.
pub(crate) fn report_content(anonymous: bool, category: &str, what: &str) -> Vec<u8> {
    let reporter = if anonymous {
        json!({ "anonymous": true })
    } else {
        json!({ "anonymous": false, "name": "J. Jansen", "contact": "", "employer_may_see": false })
    };
    json!({
        "format": "meldkluis-report/1",
        "language": "nl",
        "category": { "id": category, "label": category },
        "answers": [{ "id": "what", "question": "Wat is er gebeurd?", "type": "long_text", "value": what, "answer": what }],
        "reporter": reporter,
        "advisors": [{ "name": "Advisor 0" }],
        "attachments": [],
    })
    .to_string()
    .into_bytes()
}

/// Twelve reports received on `earlier` (the clock's day), in two
/// categories, named and anonymous; the first eight acknowledged by the
/// first advisor three days later, the first six of those closed after
/// twenty days (the clock is left there). Returns their mailboxes.
pub(crate) async fn seed_a_quarter(
    http: &reqwest::Client,
    server: &TestServer,
    tenant: &TestTenant,
    clock: &ManualClock,
    earlier: Day,
) -> Vec<Mailbox> {
    let t = tenant.id.as_str();
    let mut mailboxes = Vec::new();
    for i in 0..12 {
        let mailbox = Mailbox::random();
        let category = if i % 3 == 0 {
            "discriminatie"
        } else {
            "pesten"
        };
        let report = mailbox.seal_report(
            tenant,
            &report_content(i % 2 == 0, category, &format!("Melding {i}")),
        );
        assert_eq!(
            submit_report(http, server, t, &mailbox.report_body(&report)).await,
            201
        );
        mailboxes.push(mailbox);
    }
    clock.set(earlier.add_days(3), 10);
    let token = advisor_login(http, server, &tenant.id, &tenant.advisors[0]).await;
    // Eight acknowledged on day 3, six of them closed on day 20.
    for (day, status, count) in [(3, "acknowledged", 8), (20, "closed", 6)] {
        clock.set(earlier.add_days(day), 10);
        for mailbox in &mailboxes[..count] {
            assert_eq!(
                advisor_set_status(
                    http,
                    server,
                    tenant,
                    &token,
                    mailbox.report_id,
                    status,
                    None
                )
                .await,
                200
            );
        }
    }
    mailboxes
}

/// The advisor's console (the first advisor's key, in software), serving
/// until stopped.
pub(crate) struct RunningConsole {
    /// The entry address, with the session secret.
    pub(crate) url: String,
    /// The address without it.
    pub(crate) base: String,
    stop: tokio::sync::oneshot::Sender<()>,
    serving: tokio::task::JoinHandle<Result<(), meldkluis_keys::Error>>,
}

impl RunningConsole {
    /// Starts the console for `tenant` on `server` with `enrolled` in
    /// `lang`.
    pub(crate) async fn start(
        server: &TestServer,
        tenant: &TestTenant,
        enrolled: EnrolledKeys,
        lang: &str,
    ) -> Self {
        let options = ConsoleOptions {
            server: server.base.clone(),
            tenant: tenant.id.clone(),
            enrolled,
            lang: catalog().lang(lang).expect("a language"),
            pins: None,
        };
        let key = StaticSecret::from_bytes(*tenant.advisors[0].expose_secret_bytes());
        let console = Console::bind(
            "127.0.0.1:0".parse().expect("address"),
            options,
            Box::new(key),
        )
        .await
        .expect("console");
        let url = console.url();
        let base = url.split("/?k=").next().expect("base").to_owned();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn(console.serve(async {
            let _ = stopped.await;
        }));
        Self {
            url,
            base,
            stop,
            serving,
        }
    }

    /// Stops the console and checks it served without an error.
    pub(crate) async fn stop(self) {
        let _ = self.stop.send(());
        self.serving
            .await
            .expect("console task")
            .expect("console served");
    }
}

/// The keys an advisor of a two-advisor tenant confirmed: both advisors
/// ("Advisor 0", "Advisor 1") and the recovery key.
pub(crate) fn enrolled_both(tenant: &TestTenant) -> EnrolledKeys {
    EnrolledKeys {
        advisors: vec![
            (tenant.advisors[0].public_key(), "Advisor 0".into()),
            (tenant.advisors[1].public_key(), "Advisor 1".into()),
        ],
        recovery: Some(tenant.recovery.public_key()),
        earlier: Vec::new(),
        former_recovery: Vec::new(),
        recipients: Vec::new(),
    }
}

/// On the console's figures page: chooses the quarter `period` and asks
/// for a preview, then waits until it can be published.
pub(crate) async fn preview_figures(browser: &Browser, period: &str) {
    browser
        .find("#figures-period")
        .await
        .select_by_value(period)
        .await
        .expect("the quarter");
    browser
        .find("#figures-preview")
        .await
        .click()
        .await
        .expect("preview");
    browser.find("#figures-publish").await;
}

/// The text of the element matching `css` once it contains `expected`.
pub(crate) async fn wait_contains(browser: &Browser, css: &str, expected: &str) -> String {
    let value = browser
        .wait_for_js(
            &format!("{css} to contain {expected:?}"),
            &format!(
                "const e = document.querySelector({}); return e && e.textContent.includes({}) && e.textContent;",
                json!(css),
                json!(expected)
            ),
        )
        .await;
    value.as_str().unwrap_or_default().to_owned()
}

/// axe (WCAG 2.1 A/AA) finds nothing on the page as it is now.
pub(crate) async fn assert_axe_clean(browser: &Browser, axe: &str, what: &str) {
    let violations = axe_violations(browser, axe, what).await;
    assert!(
        violations.is_empty(),
        "axe on {what}:\n{}",
        violations.join("\n")
    );
}

/// Logs the console in (if it is not yet) and opens a report's page, once
/// its section `section` (a CSS selector) is there.
pub(crate) async fn console_report(
    browser: &Browser,
    console: &RunningConsole,
    report_id: &str,
    section: &str,
) {
    browser.goto(&console.url).await;
    if let Ok(login) = browser.client.find(fantoccini::Locator::Id("login")).await {
        login.click().await.expect("log in");
        browser
            .wait_for_js(
                "the report list",
                "return document.getElementById('reports') !== null;",
            )
            .await;
    }
    browser
        .goto(&format!("{}/reports/{report_id}", console.base))
        .await;
    browser.find(section).await;
}
