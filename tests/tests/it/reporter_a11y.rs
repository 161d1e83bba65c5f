//! Accessibility of the reporter's pages, in real headless Chromium:
//! axe-core (WCAG 2.1 A and AA rules) finds nothing on any page or screen in
//! either language; the whole flow works with the keyboard alone; and on a
//! 360 px wide phone nothing scrolls sideways and every control is reachable.

use std::time::Duration;

use meldkluis_tests::browser::{Browser, BrowserOptions};
use meldkluis_tests::reporter::{
    click, confirm_code, fill_report_form, mailbox_login, send_report, type_into, AdvisorView,
    ReportInput,
};
use meldkluis_tests::{TestServer, TestTenant};
use serde_json::{json, Value};

/// axe-core from `web-client/node_modules` (installed by `npm ci`).
pub(crate) fn axe_source() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../web-client/node_modules/axe-core/axe.min.js"
    );
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{path}: {e}; run scripts/setup.sh (npm ci in web-client)"))
}

/// The elements matching `selectors` (a CSS selector list) that the print
/// stylesheet leaves visible, matched against the `@media print` rules that
/// set `display: none`; `["no print rules"]` if there are none.
pub(crate) async fn not_hidden_in_print(browser: &Browser, selectors: &str) -> Vec<String> {
    let script = "
    const selectors = arguments[0];
    if (typeof selectors !== 'string' || selectors === '') throw new Error('no selectors');
    const hiding = [];
    for (const sheet of document.styleSheets) {
      for (const rule of sheet.cssRules) {
        if (rule.media && [...rule.media].includes('print')) {
          for (const inner of rule.cssRules) {
            if (inner.style && inner.style.display === 'none') hiding.push(inner.selectorText);
          }
        }
      }
    }
    if (hiding.length === 0) return ['no print rules'];
    const hidden = (e) => { for (let n = e; n; n = n.parentElement) { if (hiding.some((s) => n.matches(s))) return true; } return false; };
    return [...document.querySelectorAll(selectors)]
      .filter((e) => !hidden(e))
      .map((e) => e.outerHTML.slice(0, 80));";
    serde_json::from_value(browser.js(script, vec![json!(selectors)]).await).expect("a list")
}

/// Runs axe on the page as it is now; returns the violations, described.
pub(crate) async fn axe_violations(browser: &Browser, axe: &str, what: &str) -> Vec<String> {
    let loaded = browser
        .js(
            &format!("{axe}\n;return typeof window.axe === 'object';"),
            vec![],
        )
        .await;
    assert_eq!(loaded, json!(true), "axe loaded on {what}");
    let result = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
                                 resultTypes: ['violations'] })
               .then(r => done({ count: r.passes.length + r.violations.length,
                                 violations: r.violations.map(v => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map(n => n.target.join(' ')).join(', ')}`) }))
               .catch(e => done({ error: String(e) }));",
            vec![],
        )
        .await
        .expect("axe runs");
    assert!(
        result.get("error").is_none(),
        "axe failed on {what}: {result}"
    );
    assert!(
        result["count"].as_u64().unwrap_or(0) > 0,
        "axe checked rules on {what}"
    );
    result["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .map(|v| format!("{what}: {}", v.as_str().unwrap_or_default()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axe_finds_no_violation_on_any_page_in_either_language() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "acme", 2);
    let axe = axe_source();
    let mut violations = Vec::new();
    for lang in ["nl", "en"] {
        let browser = Browser::start_in(lang).await;
        let url = |page: &str| format!("{}/t/acme/{page}?lang={lang}", server.base);
        browser.goto(&url("")).await;
        violations.extend(axe_violations(&browser, &axe, &format!("{lang} start")).await);
        browser
            .goto(&format!("{}/t/acme/nope?lang={lang}", server.base))
            .await;
        violations.extend(axe_violations(&browser, &axe, &format!("{lang} not found")).await);

        browser.goto(&url("report")).await;
        meldkluis_tests::reporter::wait_ready(&browser, "send").await;
        violations.extend(axe_violations(&browser, &axe, &format!("{lang} report form")).await);
        // Sent empty: the error summary and the field errors.
        click(&browser, "identity-named").await;
        click(&browser, "send").await;
        browser
            .wait_for_js(
                "the error summary",
                "return !document.getElementById('error-summary').hidden;",
            )
            .await;
        violations.extend(
            axe_violations(&browser, &axe, &format!("{lang} report form with errors")).await,
        );
        click(&browser, "identity-anonymous").await;
        fill_report_form(
            &browser,
            &ReportInput {
                what: "Er wordt gepest.".into(),
                ..ReportInput::default()
            },
        )
        .await;
        let (code, _) = send_report(&browser).await;
        violations.extend(axe_violations(&browser, &axe, &format!("{lang} login code")).await);
        confirm_code(&browser, &code).await;
        violations.extend(axe_violations(&browser, &axe, &format!("{lang} next steps")).await);

        browser.goto(&url("mailbox")).await;
        meldkluis_tests::reporter::wait_ready(&browser, "login-button").await;
        violations.extend(axe_violations(&browser, &axe, &format!("{lang} mailbox log-in")).await);
        type_into(&browser, "code-input", "ABCD").await;
        click(&browser, "login-button").await;
        browser
            .wait_for_js(
                "the code error",
                "return !document.getElementById('error-code-input').hidden;",
            )
            .await;
        violations
            .extend(axe_violations(&browser, &axe, &format!("{lang} mailbox log-in error")).await);
        browser
            .js("document.getElementById('code-input').value = '';", vec![])
            .await;

        let advisor = AdvisorView::login(&server, &tenant.id, &tenant.advisors[0]).await;
        let ids = advisor.report_ids().await;
        let report = advisor.open_report(&ids[ids.len() - 1]).await;
        advisor
            .reply(&report, "Dank u. Wanneer kunnen we praten?")
            .await;
        mailbox_login(&browser, &code).await;
        // With the report unfolded, so its answers are checked too.
        browser
            .js(
                "document.querySelector('#thread details').open = true;",
                vec![],
            )
            .await;
        violations.extend(axe_violations(&browser, &axe, &format!("{lang} mailbox")).await);
        // The checker itself: a page with a known fault is caught.
        browser
            .js("const i = document.createElement('img'); i.src = '/t/acme/logo'; document.body.append(i);", vec![])
            .await;
        let caught = axe_violations(&browser, &axe, "a page with an image without alt text").await;
        assert!(
            caught.iter().any(|v| v.contains("image-alt")),
            "axe catches a missing alt: {caught:?}"
        );
        browser.close().await;
    }
    assert!(
        violations.is_empty(),
        "axe violations:\n{}",
        violations.join("\n")
    );
    server.stop().await;
}

pub(crate) const TAB: &str = "\u{E004}";
pub(crate) const ENTER: &str = "\u{E007}";
pub(crate) const SPACE: &str = "\u{E00D}";

/// Presses keys, as a keyboard does: to whatever has the focus.
pub(crate) async fn press(browser: &Browser, keys: &str) {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    let mut actions = KeyActions::new("keyboard".into());
    for key in keys.chars() {
        actions = actions
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key });
    }
    browser.client.perform_actions(actions).await.expect("keys");
}

/// The id of the focused element (what a keyboard user sees highlighted),
/// and whether its focus is visible.
pub(crate) async fn focused(browser: &Browser) -> (String, bool) {
    let value = browser
        .js(
            "const e = document.activeElement; const s = getComputedStyle(e);
             return [e.id || e.getAttribute('href') || e.tagName,
                     s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2];",
            vec![],
        )
        .await;
    (
        value[0].as_str().unwrap_or_default().to_owned(),
        value[1].as_bool().unwrap_or(false),
    )
}

/// Presses Tab until `target` (an id or an href) has the focus.
pub(crate) async fn tab_to(browser: &Browser, target: &str) {
    for _ in 0..80 {
        let (now, visible) = focused(browser).await;
        if now == target {
            assert!(visible, "the focus on {target} is visible");
            return;
        }
        press(browser, TAB).await;
    }
    panic!("Tab never reached {target}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_flow_works_with_the_keyboard_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "acme", 1);
    let browser = Browser::start().await;
    browser.goto(&format!("{}/t/acme/", server.base)).await;

    // The first Tab stop is the skip link.
    press(&browser, TAB).await;
    assert_eq!(focused(&browser).await.0, "#main");
    tab_to(&browser, "/t/acme/report?lang=nl").await;
    press(&browser, ENTER).await;
    browser
        .wait_for_js("the report page", "return location.pathname.endsWith('/report') && !document.getElementById('send').disabled;")
        .await;

    // A category: Tab into the group, arrows to choose.
    tab_to(&browser, "category-intimidatie").await;
    press(&browser, SPACE).await;
    press(&browser, "\u{E015}").await; // ArrowDown: the next category
    tab_to(&browser, "q-what").await;
    press(&browser, "Hij blijft me na werktijd berichten sturen.").await;
    tab_to(&browser, "q-ongoing-yes").await;
    press(&browser, SPACE).await;
    tab_to(&browser, "q-wishes-advice").await;
    press(&browser, SPACE).await;
    tab_to(&browser, "send").await;
    press(&browser, ENTER).await;
    let code = browser
        .wait_for_js(
            "the login code",
            "return !document.getElementById('code-screen').hidden && document.getElementById('login-code').textContent;",
        )
        .await;
    let code = code.as_str().expect("code").to_owned();
    // The focus moved to the new screen's heading.
    assert_eq!(focused(&browser).await.0, "code-title");
    tab_to(&browser, "confirm-input").await;
    press(&browser, code.rsplit('-').next().expect("groups")).await;
    press(&browser, ENTER).await;
    browser
        .wait_for_js(
            "the next steps",
            "return !document.getElementById('next-screen').hidden;",
        )
        .await;
    tab_to(&browser, "/t/acme/mailbox?lang=nl").await;
    press(&browser, ENTER).await;
    browser
        .wait_for_js("the mailbox page", "return location.pathname.endsWith('/mailbox') && !document.getElementById('login-button').disabled;")
        .await;

    let advisor = AdvisorView::login(&server, &tenant.id, &tenant.advisors[0]).await;
    let report = advisor.open_report(&advisor.report_ids().await[0]).await;
    assert_eq!(
        report.content["category"]["id"], "pesten",
        "arrow keys chose the second category"
    );
    advisor.reply(&report, "Ik heb uw melding gelezen.").await;

    tab_to(&browser, "code-input").await;
    press(&browser, &code.to_lowercase()).await;
    press(&browser, ENTER).await;
    browser
        .wait_for_js(
            "the thread",
            "return !document.getElementById('mailbox-screen').hidden;",
        )
        .await;
    // The report folds open with the keyboard too.
    tab_to(&browser, "SUMMARY").await;
    press(&browser, ENTER).await;
    let open = browser
        .js(
            "return document.querySelector('#thread details').open;",
            vec![],
        )
        .await;
    assert_eq!(open, json!(true));
    tab_to(&browser, "reply-text").await;
    press(&browser, "Dank u, ik wacht af.").await;
    tab_to(&browser, "reply-send").await;
    press(&browser, ENTER).await;
    browser
        .wait_for_js(
            "the reply",
            "return document.getElementById('reply-status').textContent === 'Uw bericht is verstuurd.';",
        )
        .await;
    let report = advisor.open_report(&report.id).await;
    let messages = advisor.open_messages(&report, &[report.mailbox_key, advisor.public_key()]);
    assert_eq!(messages[1]["text"], "Dank u, ik wacht af.");
    browser.close().await;
    server.stop().await;
}

/// Nothing wider than the phone, and every visible control inside it.
pub(crate) async fn check_fits(browser: &Browser, what: &str) -> Vec<String> {
    let result: Value = browser
        .js(
            "const width = window.innerWidth;
             const problems = [];
             if (document.documentElement.scrollWidth > width) problems.push(`page is ${document.documentElement.scrollWidth}px wide`);
             for (const e of document.querySelectorAll('a, button, input, textarea, select, summary, label')) {
               if (!e.getClientRects().length) continue;
               const r = e.getBoundingClientRect();
               if (r.left < -0.5 || r.right > width + 0.5) problems.push(`${e.id || e.tagName} spans ${r.left}..${r.right}`);
               if (e.matches('a, button, input:not([type=radio]):not([type=checkbox]), textarea, summary') && (r.height < 24 || r.width < 24))
                 problems.push(`${e.id || e.tagName} is only ${r.width}x${r.height}`);
             }
             return { width, problems };",
            vec![],
        )
        .await;
    assert_eq!(result["width"], json!(360), "{what}: a 360 px layout");
    result["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| format!("{what}: {}", p.as_str().unwrap_or_default()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_nothing_scrolls_sideways_and_every_control_is_reachable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(dir.path(), |_| {}).await;
    TestTenant::create(&server.admin(), "acme", 2);
    let browser = Browser::start_with(BrowserOptions {
        viewport: (360, 740),
        mobile: true,
        ..BrowserOptions::default()
    })
    .await;
    let mut problems = Vec::new();
    browser.goto(&format!("{}/t/acme/", server.base)).await;
    problems.extend(check_fits(&browser, "start").await);
    browser
        .goto(&format!("{}/t/acme/report", server.base))
        .await;
    let long_word = "Onaanvaardbaarheidsverklaringsprocedurevoorschriften".repeat(3);
    fill_report_form(
        &browser,
        &ReportInput {
            what: long_word.clone(),
            name: Some(long_word),
            ..ReportInput::default()
        },
    )
    .await;
    problems.extend(check_fits(&browser, "report form").await);
    let (code, _) = send_report(&browser).await;
    problems.extend(check_fits(&browser, "login code").await);
    confirm_code(&browser, &code).await;
    problems.extend(check_fits(&browser, "next steps").await);
    browser
        .goto(&format!("{}/t/acme/mailbox", server.base))
        .await;
    problems.extend(check_fits(&browser, "mailbox log-in").await);
    mailbox_login(&browser, &code).await;
    browser
        .js(
            "document.querySelector('#thread details').open = true;",
            vec![],
        )
        .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    problems.extend(check_fits(&browser, "mailbox").await);
    assert!(problems.is_empty(), "on a phone:\n{}", problems.join("\n"));
    browser.close().await;
    server.stop().await;
}
