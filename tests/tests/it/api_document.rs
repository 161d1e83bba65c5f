//! `server/API.md` is the contract of the HTTP API. This keeps it true to
//! the code: every route given to `.route(` in `server/src/api/mod.rs` has
//! a section headed ``### `METHOD /path` `` for each of its methods (the
//! path as routed, or with the prefix the routes are nested under), no
//! such heading names a route that does not exist, and every error code of
//! `server/src/error.rs` (`ErrorCode::as_str`) has a row of the error
//! table with the status `ErrorCode::status` gives it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The methods axum's routing functions stand for.
const METHODS: [&str; 7] = ["get", "post", "put", "delete", "patch", "head", "options"];

/// A route as declared: its path and methods (upper case).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Route {
    path: String,
    methods: BTreeSet<String>,
}

/// The text of the call whose `(` is at `open`, up to its matching `)`,
/// skipping string literals.
fn call_arguments(source: &str, open: usize) -> Option<&str> {
    let bytes = source.as_bytes();
    let (mut depth, mut i, mut in_string) = (0usize, open, false);
    while i < bytes.len() {
        match (in_string, bytes[i]) {
            (true, b'\\') => i += 1,
            (true, b'"') => in_string = false,
            (true, _) => {}
            (false, b'"') => in_string = true,
            (false, b'(') => depth += 1,
            (false, b')') => {
                depth -= 1;
                if depth == 0 {
                    return Some(&source[open + 1..i]);
                }
            }
            (false, _) => {}
        }
        i += 1;
    }
    None
}

/// The first string literal in `text`.
fn first_string(text: &str) -> Option<&str> {
    let start = text.find('"')? + 1;
    let len = text[start..].find('"')?;
    Some(&text[start..start + len])
}

/// The method routers called in a `.route(` call's arguments: `get(`,
/// `.put(`, ... as whole words (not `post_message(`).
fn methods_in(arguments: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for method in METHODS {
        let pattern = format!("{method}(");
        for (at, _) in arguments.match_indices(&pattern) {
            let before = arguments[..at].chars().next_back();
            if !before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                found.insert(method.to_uppercase());
            }
        }
    }
    found
}

/// Every route of an API module's source, and the prefix of `.nest(`.
fn routes(source: &str) -> (Vec<Route>, Option<String>) {
    let mut out = Vec::new();
    for (at, _) in source.match_indices(".route(") {
        let arguments = call_arguments(source, at + ".route".len())
            .unwrap_or_else(|| panic!("unbalanced .route( at byte {at}"));
        let path = first_string(arguments)
            .unwrap_or_else(|| panic!(".route( without a path at byte {at}"));
        let methods = methods_in(arguments);
        assert!(!methods.is_empty(), "no method found for route {path}");
        out.push(Route {
            path: path.to_owned(),
            methods,
        });
    }
    let nest = source.find(".nest(").and_then(|at| {
        call_arguments(source, at + ".nest".len())
            .and_then(first_string)
            .map(str::to_owned)
    });
    (out, nest)
}

/// The `(method, path)` of every ``### `METHOD /path` `` heading.
fn documented(doc: &str) -> BTreeSet<(String, String)> {
    doc.lines()
        .filter_map(|line| line.strip_prefix("### `")?.strip_suffix('`'))
        .filter_map(|title| {
            let (method, path) = title.split_once(' ')?;
            (METHODS.contains(&method.to_lowercase().as_str()) && path.starts_with('/'))
                .then(|| (method.to_owned(), path.to_owned()))
        })
        .collect()
}

/// What the document lacks or claims wrongly about the routes.
fn route_problems(source: &str, doc: &str) -> Vec<String> {
    let (routes, nest) = routes(source);
    let headings = documented(doc);
    let mut problems = Vec::new();
    let mut known = BTreeSet::new();
    for route in &routes {
        let forms: Vec<String> = std::iter::once(route.path.clone())
            .chain(nest.iter().map(|prefix| format!("{prefix}{}", route.path)))
            .collect();
        for method in &route.methods {
            for form in &forms {
                known.insert((method.clone(), form.clone()));
            }
            if !forms
                .iter()
                .any(|form| headings.contains(&(method.clone(), form.clone())))
            {
                problems.push(format!(
                    "no section `### `{method} {}`` for route {}",
                    forms.last().expect("at least the path"),
                    route.path
                ));
            }
        }
    }
    for (method, path) in headings.difference(&known) {
        problems.push(format!(
            "section `{method} {path}` names no route of the code"
        ));
    }
    problems
}

/// The body of a `fn name` in `source`, up to the next `fn `.
fn function_body<'a>(source: &'a str, name: &str) -> &'a str {
    let start = source
        .find(&format!("fn {name}("))
        .unwrap_or_else(|| panic!("no fn {name} in error.rs"));
    let rest = &source[start + 3..];
    let end = rest.find("\n    pub ").unwrap_or(rest.len());
    &rest[..end]
}

/// The `Self::Variant => "code"` arms of `ErrorCode::as_str`.
fn error_codes(source: &str) -> BTreeMap<String, String> {
    function_body(source, "as_str")
        .lines()
        .filter_map(|line| {
            let (variant, code) = line.trim().split_once("=>")?;
            let variant = variant.trim().strip_prefix("Self::")?;
            Some((variant.to_owned(), first_string(code)?.to_owned()))
        })
        .collect()
}

/// The status number of each variant, from the arms of `ErrorCode::status`
/// (`Self::A | Self::B => StatusCode::NAME`).
fn error_statuses(source: &str) -> BTreeMap<String, u16> {
    let body = function_body(source, "status");
    let mut statuses = BTreeMap::new();
    let mut pending: Vec<String> = Vec::new();
    for token in body.split_whitespace() {
        if let Some(variant) = token.strip_prefix("Self::") {
            pending.push(variant.trim_end_matches(['|', ',']).to_owned());
        } else if let Some(name) = token.strip_prefix("StatusCode::") {
            let name = name.trim_end_matches([',', '}']);
            let status = status_number(name);
            for variant in pending.drain(..) {
                statuses.insert(variant, status);
            }
        }
    }
    statuses
}

/// The number of an `http::StatusCode` constant name.
fn status_number(name: &str) -> u16 {
    (100..=599)
        .filter_map(|n| axum::http::StatusCode::from_u16(n).ok())
        .find(|status| {
            status
                .canonical_reason()
                .is_some_and(|reason| reason.to_uppercase().replace([' ', '-'], "_") == name)
        })
        .unwrap_or_else(|| panic!("unknown status constant {name}"))
        .as_u16()
}

/// What the error table lacks: a row ``| `code` | status |`` per code.
fn error_problems(source: &str, doc: &str) -> Vec<String> {
    let codes = error_codes(source);
    let statuses = error_statuses(source);
    let mut problems = Vec::new();
    for (variant, code) in &codes {
        let Some(status) = statuses.get(variant) else {
            problems.push(format!("no status found for ErrorCode::{variant}"));
            continue;
        };
        let row = format!("| `{code}` | {status} |");
        if !doc.lines().any(|line| line.starts_with(&row)) {
            problems.push(format!("no error table row starting `{row}`"));
        }
    }
    problems
}

#[test]
fn every_route_and_error_code_is_in_the_api_document() {
    let source = read("server/src/api/mod.rs");
    let errors = read("server/src/error.rs");
    let doc = read("server/API.md");
    // The extraction itself must see the API (else the checks below would
    // pass on nothing).
    let (found, nest) = routes(&source);
    assert!(found.len() >= 20, "only {} routes found", found.len());
    assert_eq!(nest.as_deref(), Some("/api/v1/t/{tenant}"));
    let notice = found
        .iter()
        .find(|r| r.path == "/mailbox/notice-email")
        .expect("the notice-email route");
    assert_eq!(
        notice.methods,
        BTreeSet::from(["DELETE", "GET", "PUT"].map(str::to_owned))
    );
    let codes = error_codes(&errors);
    assert!(codes.len() >= 20, "only {} error codes found", codes.len());
    assert_eq!(
        codes.get("InvalidHold").map(String::as_str),
        Some("invalid_hold")
    );
    assert_eq!(error_statuses(&errors).get("SessionLimit"), Some(&429));

    let mut problems = route_problems(&source, &doc);
    problems.extend(error_problems(&errors, &doc));
    assert!(
        problems.is_empty(),
        "server/API.md is out of date:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_checker_catches_a_missing_route_a_wrong_method_and_a_missing_code() {
    let source = r#"
        Router::new()
            .route("/config", get(public_config))
            .route("/mailbox/notice-email", get(notice_email_get).put(notice_email_put))
            .route("/advisor/reports/{report_id}/messages", post(advisor_post_message));
        Router::new().nest("/api/v1/t/{tenant}", routes).route("/healthz", get(health))
    "#;
    let complete = "### `GET /api/v1/t/{tenant}/config`\n\
                    ### `GET /api/v1/t/{tenant}/mailbox/notice-email`\n\
                    ### `PUT /api/v1/t/{tenant}/mailbox/notice-email`\n\
                    ### `POST /api/v1/t/{tenant}/advisor/reports/{report_id}/messages`\n\
                    ### `GET /healthz`\n";
    assert_eq!(route_problems(source, complete), Vec::<String>::new());

    // A route without a section.
    let missing = complete.replace("### `GET /healthz`\n", "");
    let problems = route_problems(source, &missing);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("/healthz"), "{problems:?}");

    // A method of a route without a section (PUT written as POST): the
    // PUT is missing and the POST names nothing.
    let wrong = complete.replace("`PUT /api", "`POST /api");
    let problems = route_problems(source, &wrong);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems.iter().any(|p| p.contains("PUT")), "{problems:?}");

    // A section for a route the code does not have.
    let stale = format!("{complete}### `DELETE /api/v1/t/{{tenant}}/reports`\n");
    let problems = route_problems(source, &stale);
    assert_eq!(problems.len(), 1, "{problems:?}");

    // An error code missing from the table, and one with the wrong status.
    let errors = r#"
        pub const fn as_str(self) -> &'static str {
            match self {
                Self::BadRequest => "bad_request",
                Self::SessionLimit => "session_limit",
            }
        }

        pub const fn status(self) -> StatusCode {
            match self {
                Self::BadRequest => StatusCode::BAD_REQUEST,
                Self::SessionLimit => StatusCode::TOO_MANY_REQUESTS,
            }
        }
    "#;
    let table = "| `bad_request` | 400 | malformed |\n| `session_limit` | 429 | full |\n";
    assert_eq!(error_problems(errors, table), Vec::<String>::new());
    let problems = error_problems(errors, "| `bad_request` | 400 | malformed |\n");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("session_limit"), "{problems:?}");
    let problems = error_problems(errors, &table.replace("429", "503"));
    assert_eq!(problems.len(), 1, "{problems:?}");
}
