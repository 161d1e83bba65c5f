//! The tenant's register of reports and the coming deletions, for
//! advisors.
//!
//! The register keeps one line per report from receipt on, and keeps it
//! after the report's content is deleted (for the tenant's register
//! period): number, days, category, closing reason, a longer hold. Every
//! active advisor of the tenant reads the whole register, so a hold set by
//! one advisor is seen by all (the lines say nothing about content).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::auth::AdvisorSession;
use crate::error::AppError;
use crate::retention::Lifecycle;
use crate::store::{self, RegisterLine};
use crate::AppState;

/// How many days ahead the coming deletions are listed.
pub const DELETION_NOTICE_DAYS: i64 = 14;

async fn read_register(
    session: &AdvisorSession,
) -> Result<(Vec<RegisterLine>, Lifecycle), AppError> {
    let advisor_id = session.advisor_id;
    session
        .tenant
        .db
        .call(move |conn| {
            super::require_active_advisor(conn, advisor_id)?;
            let lifecycle = crate::retention::lifecycle(conn)?;
            Ok((store::register(conn, &lifecycle)?, lifecycle))
        })
        .await
}

/// `GET /api/v1/t/{tenant}/advisor/register`: every line of the tenant's
/// register, and the tenant's lifecycle.
pub async fn advisor_register(session: AdvisorSession) -> Result<Json<Value>, AppError> {
    let (lines, lifecycle) = read_register(&session).await?;
    Ok(Json(json!({ "lines": lines, "lifecycle": lifecycle })))
}

/// `GET /api/v1/t/{tenant}/advisor/register.csv`: the register as CSV
/// (UTF-8, a header row, the columns of [`store::REGISTER_COLUMNS`]).
pub async fn advisor_register_csv(session: AdvisorSession) -> Result<Response, AppError> {
    let (lines, _) = read_register(&session).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"register.csv\"",
            ),
        ],
        register_csv(&lines),
    )
        .into_response())
}

/// The register as CSV (RFC 4180: CRLF line ends, fields quoted when they
/// hold a comma, a quote or a line end). Every value is a number, a day or
/// a code, but quoting keeps the file correct whatever a value holds, and
/// a value a spreadsheet would take for a formula is prefixed with `'`.
pub fn register_csv(lines: &[RegisterLine]) -> String {
    fn field(out: &mut String, value: Option<&str>) {
        let value = value.unwrap_or("");
        let formula = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
        let quote = formula || value.contains([',', '"', '\r', '\n']);
        if quote {
            out.push('"');
            if formula {
                out.push('\'');
            }
            out.push_str(&value.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(value);
        }
    }
    let mut out = store::REGISTER_COLUMNS.join(",");
    out.push_str("\r\n");
    for line in lines {
        let number = line.number.to_string();
        let values = [
            Some(number.as_str()),
            Some(line.received_day.as_str()),
            line.category.as_deref(),
            line.closing_reason.as_deref(),
            line.closed_day.as_deref(),
            line.hold_until.as_deref(),
            line.hold_reason.as_deref(),
            line.deletion_day.as_deref(),
            line.deleted_day.as_deref(),
            line.acknowledged_day.as_deref(),
            line.feedback_day.as_deref(),
            Some(line.channel.as_str()),
        ];
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            field(&mut out, value);
        }
        out.push_str("\r\n");
    }
    out
}

/// `GET /api/v1/t/{tenant}/advisor/deletions`: this advisor's reports
/// whose content is deleted within [`DELETION_NOTICE_DAYS`] days.
pub async fn advisor_deletions(
    State(state): State<AppState>,
    session: AdvisorSession,
) -> Result<Json<Value>, AppError> {
    let advisor_id = session.advisor_id;
    let today = state.clock().today();
    let due = session
        .tenant
        .db
        .call(move |conn| {
            Ok(store::deletions_until(
                conn,
                Some(advisor_id),
                today.add_days(DELETION_NOTICE_DAYS),
            )?)
        })
        .await?;
    let list: Vec<Value> = due
        .iter()
        .map(|d| {
            json!({
                "report_id": hex::encode(d.report_id),
                "register_number": d.register_number,
                "deletion_day": d.deletion_day.to_string(),
                "days_left": today.days_until(d.deletion_day),
            })
        })
        .collect();
    Ok(Json(json!(list)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(number: i64, category: Option<&str>) -> RegisterLine {
        RegisterLine {
            number,
            report_id: None,
            acknowledged_day: Some("2027-01-03".into()),
            feedback_day: None,
            channel: "web".into(),
            received_day: "2027-01-02".into(),
            category: category.map(str::to_owned),
            closing_reason: Some("resolved".into()),
            closed_day: Some("2027-02-01".into()),
            hold_until: None,
            hold_reason: None,
            deletion_day: Some("2028-02-01".into()),
            deleted_day: None,
        }
    }

    #[test]
    fn the_register_csv_has_a_header_and_quotes_what_needs_it() {
        let csv = register_csv(&[
            line(1, Some("pesten")),
            line(2, Some("a,\"b\"\nc")),
            line(3, Some("=HYPERLINK(1)")),
            line(4, None),
        ]);
        let rows: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(
            rows[0],
            "number,received_day,category,closing_reason,closed_day,hold_until,hold_reason,deletion_day,deleted_day,acknowledged_day,feedback_day,channel"
        );
        assert_eq!(
            rows[1],
            "1,2027-01-02,pesten,resolved,2027-02-01,,,2028-02-01,,2027-01-03,,web"
        );
        assert!(
            csv.contains("2,2027-01-02,\"a,\"\"b\"\"\nc\",resolved"),
            "{csv}"
        );
        assert!(
            csv.contains("3,2027-01-02,\"'=HYPERLINK(1)\",resolved"),
            "{csv}"
        );
        assert!(csv.contains("\r\n4,2027-01-02,,resolved"), "{csv}");
        assert!(csv.ends_with("\r\n"));
    }
}
