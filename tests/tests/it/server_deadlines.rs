//! The advisor API lists each report with its running legal clocks, as the
//! server's one copy of the rules computes them (the console shows these):
//! acknowledgement 7 days after receipt, feedback 3 months after the
//! acknowledgement, the agreed update date.

use std::sync::Arc;

use meldkluis_server::clock::{Clock as _, ManualClock, SystemClock};
use meldkluis_tests::reporter::AdvisorView;
use meldkluis_tests::{client, submit_report, Mailbox, TestServer, TestTenant};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_are_listed_with_their_running_deadlines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let received = SystemClock.today();
    let clock = Arc::new(ManualClock::at(received, 9));
    let server = TestServer::start_with_clock(dir.path(), clock.clone(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "acme", 1);
    let mailbox = Mailbox::random();
    let item = mailbox.seal_report(&tenant, br#"{"format":"meldkluis-report/1","answers":[]}"#);
    assert_eq!(
        submit_report(&client(), &server, "acme", &mailbox.report_body(&item)).await,
        201
    );

    // Eight days later, nobody has acknowledged it.
    clock.set(received.add_days(8), 9);
    let advisor = AdvisorView::login(&server, &tenant.id, &tenant.advisors[0]).await;
    let list: Value = advisor
        .get("/advisor/reports")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["today"], received.add_days(8).to_string());
    let deadlines = &list["reports"][0]["deadlines"];
    assert_eq!(
        deadlines,
        &json!([
            { "kind": "acknowledgement", "due": received.add_days(7).to_string(), "days_left": -1 },
            { "kind": "feedback", "due": received.add_days(7).add_months(3).to_string(),
              "days_left": received.add_days(8).days_until(received.add_days(7).add_months(3)) },
        ])
    );

    // Acknowledged today, with an update agreed in five days.
    let report = advisor
        .open_report(list["reports"][0]["report_id"].as_str().expect("id"))
        .await;
    let agreed = received.add_days(13).to_string();
    advisor
        .set_status(&report, "acknowledged", Some(&agreed))
        .await;
    let list: Value = advisor
        .get("/advisor/reports")
        .await
        .json()
        .await
        .expect("json");
    let feedback_due = received.add_days(8).add_months(3);
    assert_eq!(
        list["reports"][0]["deadlines"],
        json!([
            { "kind": "feedback", "due": feedback_due.to_string(),
              "days_left": received.add_days(8).days_until(feedback_due) },
            { "kind": "agreed_update", "due": agreed, "days_left": 5 },
        ])
    );

    // Closed: no clock runs.
    let closing = client()
        .put(format!(
            "{}/api/v1/t/acme/advisor/reports/{}/status",
            server.base, report.id
        ))
        .bearer_auth(&advisor.token)
        .json(&json!({ "status": "closed", "closing_reason": "resolved" }))
        .send()
        .await
        .expect("request");
    assert_eq!(closing.status(), 200);
    let list: Value = advisor
        .get("/advisor/reports")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["reports"][0]["deadlines"], json!([]));
    server.stop().await;
}
