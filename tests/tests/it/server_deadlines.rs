//! The advisor API lists each report with its running legal clocks, as the
//! server's one copy of the rules computes them (the console shows these),
//! and the reporter's mailbox and the advisors' digest show the same:
//! acknowledgement within the tenant's term, feedback by the earlier of
//! (acknowledgement + term) and (receipt + both terms), the agreed update
//! date; all on recorded days, whatever the status does.

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
    // Acknowledged a day late: feedback stays due when the reporter was
    // promised it, not three months from the late acknowledgement.
    let feedback_due = received.add_days(7).add_months(3);
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

/// The deadlines of one report as the advisor's list, the advisor's thread,
/// the reporter's mailbox and the digest's data each show them.
struct Views {
    list: Value,
    advisor_thread: Value,
    mailbox_thread: Value,
    digest: Vec<(String, String)>,
}

async fn views(
    server: &TestServer,
    advisor: &AdvisorView<'_>,
    token: &str,
    report_id: &str,
    db: &std::path::Path,
    today: meldkluis_server::dates::Day,
) -> Views {
    let list: Value = advisor
        .get("/advisor/reports")
        .await
        .json()
        .await
        .expect("json");
    let advisor_thread: Value = advisor
        .get(&format!("/advisor/reports/{report_id}"))
        .await
        .json()
        .await
        .expect("json");
    let mailbox_thread: Value = client()
        .get(server.url("acme", "/mailbox"))
        .bearer_auth(token)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("the tenant database opens");
    let dates = meldkluis_server::store::report_dates_for_advisor(&conn, 1).expect("dates");
    let windows = meldkluis_server::deadlines::Windows {
        feedback_days: 400,
        update_days: 400,
    };
    let digest = meldkluis_server::deadlines::digest(&dates, today, windows)
        .into_iter()
        .map(|item| (item.kind.code().to_owned(), item.due.to_string()))
        .collect();
    Views {
        list: list["reports"][0]["deadlines"].clone(),
        advisor_thread: advisor_thread["deadlines"].clone(),
        mailbox_thread: mailbox_thread["deadlines"].clone(),
        digest,
    }
}

/// Checks every view shows exactly `expected` (kind, due day).
fn assert_everywhere(views: &Views, expected: &[(&str, String)], step: &str) {
    let as_pairs = |v: &Value| -> Vec<(String, String)> {
        v.as_array()
            .unwrap_or_else(|| panic!("{step}: deadlines are a list: {v}"))
            .iter()
            .map(|d| {
                (
                    d["kind"].as_str().expect("kind").to_owned(),
                    d["due"].as_str().expect("due").to_owned(),
                )
            })
            .collect()
    };
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(k, d)| ((*k).to_owned(), d.clone()))
        .collect();
    assert_eq!(
        as_pairs(&views.list),
        expected,
        "{step}: the advisor's list"
    );
    assert_eq!(
        as_pairs(&views.advisor_thread),
        expected,
        "{step}: the advisor's thread"
    );
    assert_eq!(
        as_pairs(&views.mailbox_thread),
        expected,
        "{step}: the reporter's mailbox"
    );
    let mut digest = views.digest.clone();
    let mut sorted = expected.clone();
    digest.sort();
    sorted.sort();
    assert_eq!(digest, sorted, "{step}: the digest");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tenants_terms_and_recorded_days_give_the_same_dates_everywhere() {
    use meldkluis_server::dates::Day;
    let dir = tempfile::tempdir().expect("tempdir");
    let received = Day::parse("2026-01-10").expect("day");
    let clock = Arc::new(ManualClock::at(received, 9));
    let server = TestServer::start_with_clock(dir.path(), clock.clone(), |_| {}).await;
    let tenant = TestTenant::create(&server.admin(), "acme", 1);
    // The tenant promises 5 days and 2 months.
    let mut form = serde_json::to_value(meldkluis_server::profile::default_questionnaire())
        .expect("the default questionnaire serialises");
    form["acknowledgement_days"] = 5.into();
    form["feedback_months"] = 2.into();
    server
        .admin()
        .set_questionnaire(&tenant.id, &form)
        .expect("a shorter promise is accepted");
    let mailbox = Mailbox::random();
    let item = mailbox.seal_report(&tenant, br#"{"format":"meldkluis-report/1","answers":[]}"#);
    assert_eq!(
        submit_report(&client(), &server, "acme", &mailbox.report_body(&item)).await,
        201
    );
    let db = dir
        .path()
        .join("tenants")
        .join("acme")
        .join("tenant.sqlite");
    let day = |n: i64| received.add_days(n);

    clock.set(day(1), 9);
    let advisor = AdvisorView::login(&server, &tenant.id, &tenant.advisors[0]).await;
    let token = meldkluis_tests::mailbox_login(&client(), &server, "acme", &mailbox).await;
    let list: Value = advisor
        .get("/advisor/reports")
        .await
        .json()
        .await
        .expect("json");
    let report_id = list["reports"][0]["report_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let v = views(&server, &advisor, &token, &report_id, &db, day(1)).await;
    assert_everywhere(
        &v,
        &[
            ("acknowledgement", "2026-01-15".into()),
            ("feedback", "2026-03-15".into()),
        ],
        "received, the tenant's terms",
    );

    // Day 2: waiting for the reporter, with an update agreed: the feedback
    // clock keeps running, from the acknowledgement.
    clock.set(day(2), 9);
    let report = advisor.open_report(&report_id).await;
    advisor
        .set_status(&report, "awaiting_reporter", Some("2026-02-01"))
        .await;
    let v = views(&server, &advisor, &token, &report_id, &db, day(2)).await;
    assert_everywhere(
        &v,
        &[
            ("feedback", "2026-03-12".into()),
            ("agreed_update", "2026-02-01".into()),
        ],
        "awaiting the reporter",
    );

    // A status change that names no agreed date keeps it.
    let keep = client()
        .put(server.url("acme", &format!("/advisor/reports/{report_id}/status")))
        .bearer_auth(&advisor.token)
        .json(&json!({ "status": "in_progress" }))
        .send()
        .await
        .expect("request");
    assert_eq!(keep.status(), 200);
    let kept: Value = keep.json().await.expect("json");
    assert_eq!(kept["agreed_update_date"], "2026-02-01");

    // Day 20: feedback given; day 30: back in progress. The old feedback
    // deadline does not come back.
    clock.set(day(20), 9);
    advisor
        .set_status(&report, "feedback_given", Some("2026-02-01"))
        .await;
    clock.set(day(30), 9);
    advisor
        .set_status(&report, "in_progress", Some("2026-02-01"))
        .await;
    let v = views(&server, &advisor, &token, &report_id, &db, day(30)).await;
    assert_everywhere(
        &v,
        &[("agreed_update", "2026-02-01".into())],
        "feedback given, then in progress again",
    );
    let mailbox_thread: Value = client()
        .get(server.url("acme", "/mailbox"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(mailbox_thread["acknowledged_day"], "2026-01-12");
    assert_eq!(mailbox_thread["feedback_day"], "2026-01-30");

    // An explicit null removes the agreed date.
    advisor.set_status(&report, "in_progress", None).await;
    let v = views(&server, &advisor, &token, &report_id, &db, day(30)).await;
    assert_everywhere(&v, &[], "the agreed date removed");
    server.stop().await;
}
