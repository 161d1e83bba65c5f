//! A malicious server for the advisor side's tests: it speaks the advisor
//! API as a breached meldkluis server would, serving whatever the test
//! crafted (a report swapped in under a real report's id, odd ids,
//! oversized answers), accepting any log-in, and recording everything the
//! advisor's tools post.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use base64::Engine as _;
use meldkluis_crypto_core::challenge::CHALLENGE_LEN;
use meldkluis_crypto_core::PublicKey;
use serde_json::{json, Value};

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn unb64(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

/// A served key, as `/config` lists it.
pub fn served(key: &PublicKey, name: &str) -> Value {
    json!({ "id": 1, "display_name": name, "public_key": key.to_hex(), "fingerprint": key.fingerprint() })
}

/// A thread as the server's JSON has it, with a sealed report and no
/// messages.
pub fn thread(report_id: &str, report: &[u8]) -> Value {
    json!({
        "report_id": report_id,
        "created_day": "2026-11-30",
        "status": "received",
        "agreed_update_date": null,
        "report": b64(report),
        "messages": [],
        "attachments": [],
        "grants": [],
    })
}

/// A report list entry.
pub fn summary(report_id: &str) -> Value {
    json!({
        "report_id": report_id,
        "created_day": "2026-11-30",
        "status": "received",
        "status_day": null,
        "agreed_update_date": null,
        "category": null,
        "message_count": 0,
        "attachment_count": 0,
        "deadlines": [],
    })
}

#[derive(Default)]
pub struct Served {
    pub config: Mutex<Value>,
    pub list: Mutex<Vec<Value>>,
    /// Report id -> the thread served before the swap.
    pub threads: Mutex<HashMap<String, Value>>,
    /// Report id -> the thread served once `swap` is set.
    pub swapped: Mutex<HashMap<String, Value>>,
    pub swap: AtomicBool,
    /// A thread answer of this many bytes instead (oversized).
    pub oversized_thread: Mutex<Option<usize>>,
    /// What the advisor side posted: (path, JSON body).
    pub posted: Mutex<Vec<(String, Value)>>,
    /// The register's CSV as served.
    pub register_csv: Mutex<String>,
    /// Attachment id -> the sealed attachment served under it (and what
    /// the advisor side uploads; issue 13's minutes).
    pub attachments: Mutex<HashMap<String, Vec<u8>>>,
    /// Canonical mailbox reference -> the follow-up served for it
    /// (`GET advisor/follow-ups/{reference}`; issue 13).
    pub follow_ups: Mutex<HashMap<String, Value>>,
}

impl Served {
    pub fn posted(&self) -> Vec<(String, Value)> {
        self.posted.lock().unwrap().clone()
    }
}

/// Starts the double for tenant `acme` on 127.0.0.1:0; returns its base URL.
pub async fn start(served: Arc<Served>) -> String {
    async fn record(
        State(s): State<Arc<Served>>,
        Path(path): Path<Vec<String>>,
        Json(body): Json<Value>,
    ) -> Json<Value> {
        let stored = body["grants"].as_array().map_or(1, Vec::len);
        s.posted.lock().unwrap().push((path.join("/"), body));
        Json(json!({ "stored": stored }))
    }
    let app =
        Router::new()
            .route(
                "/api/v1/t/acme/config",
                get(|State(s): State<Arc<Served>>| async move {
                    Json(s.config.lock().unwrap().clone())
                }),
            )
            .route(
                "/api/v1/t/acme/advisor/challenge",
                get(|| async {
                    Json(json!({ "challenge_id": "c", "challenge": b64(&[7u8; CHALLENGE_LEN]) }))
                }),
            )
            .route(
                "/api/v1/t/acme/advisor/login",
                post(|| async { Json(json!({ "token": "breached", "expires_in_seconds": 3600 })) }),
            )
            .route(
                "/api/v1/t/acme/advisor/reports",
                get(|State(s): State<Arc<Served>>| async move {
                    Json(
                        json!({ "today": "2026-11-30", "reports": s.list.lock().unwrap().clone() }),
                    )
                })
                // Registering an oral report (issue 13): recorded; the
                // answer names the item's own id as the report id.
                .post(|State(s): State<Arc<Served>>, Json(body): Json<Value>| async move {
                    let item = unb64(body["item"].as_str().unwrap_or_default());
                    let (header, _) = meldkluis_crypto_core::ItemHeader::parse(&item).unwrap();
                    s.posted.lock().unwrap().push(("reports".into(), body));
                    (
                        StatusCode::CREATED,
                        Json(json!({ "report_id": header.item_id.to_hex(), "created_day": "2026-11-30", "status": "new" })),
                    )
                }),
            )
            .route(
                "/api/v1/t/acme/advisor/follow-ups/{reference}",
                get(
                    |State(s): State<Arc<Served>>, Path(reference): Path<String>| async move {
                        let found = s.follow_ups.lock().unwrap().get(&reference).cloned();
                        found.map(Json).ok_or((
                            StatusCode::NOT_FOUND,
                            Json(json!({ "error": "not_found", "message": "not found" })),
                        ))
                    },
                ),
            )
            .route(
                "/api/v1/t/acme/advisor/reports/{id}/join",
                post(
                    |State(s): State<Arc<Served>>, Path(id): Path<String>, Json(body): Json<Value>| async move {
                        s.posted.lock().unwrap().push((format!("{id}/join"), body));
                        Json(json!({ "report_id": id, "joined_day": "2026-11-30" }))
                    },
                ),
            )
            .route(
                "/api/v1/t/acme/advisor/reports/{id}",
                get(
                    |State(s): State<Arc<Served>>, Path(id): Path<String>| async move {
                        if let Some(len) = *s.oversized_thread.lock().unwrap() {
                            let mut body = String::from("{\"report\":\"");
                            body.push_str(&"A".repeat(len));
                            body.push_str("\"}");
                            return Ok(([("content-type", "application/json")], body));
                        }
                        let table = if s.swap.load(Ordering::SeqCst) {
                            &s.swapped
                        } else {
                            &s.threads
                        };
                        let found = table.lock().unwrap().get(&id).cloned();
                        found
                            .map(|t| ([("content-type", "application/json")], t.to_string()))
                            .ok_or(StatusCode::NOT_FOUND)
                    },
                ),
            )
            .route(
                "/api/v1/t/acme/advisor/reports/{id}/messages",
                post(
                    |s: State<Arc<Served>>, Path(id): Path<String>, body: Json<Value>| async move {
                        record(s, Path(vec![id, "messages".into()]), body).await
                    },
                ),
            )
            .route(
                "/api/v1/t/acme/advisor/reports/{id}/attachments/{attachment}",
                get(
                    |State(s): State<Arc<Served>>, Path((_, attachment)): Path<(String, String)>| async move {
                        let found = s.attachments.lock().unwrap().get(&attachment).cloned();
                        found.ok_or(StatusCode::NOT_FOUND)
                    },
                ),
            )
            .route(
                "/api/v1/t/acme/advisor/reports/{id}/attachments",
                post(
                    |State(s): State<Arc<Served>>, Path(id): Path<String>, body: axum::body::Bytes| async move {
                        let (header, _) = meldkluis_crypto_core::ItemHeader::parse(&body).unwrap();
                        let attachment = header.item_id.to_hex();
                        s.posted.lock().unwrap().push((
                            format!("{id}/attachments"),
                            json!({ "attachment_id": attachment, "item_len": body.len() }),
                        ));
                        s.attachments.lock().unwrap().insert(attachment.clone(), body.to_vec());
                        (
                            StatusCode::CREATED,
                            Json(json!({ "attachment_id": attachment, "item_len": body.len(), "created_day": "2026-11-30" })),
                        )
                    },
                ),
            )
            .route(
                "/api/v1/t/acme/advisor/reports/{id}/grants",
                post(
                    |s: State<Arc<Served>>, Path(id): Path<String>, body: Json<Value>| async move {
                        record(s, Path(vec![id, "grants".into()]), body).await
                    },
                ),
            )
            .route(
                "/api/v1/t/acme/advisor/reports/{id}/status",
                put(
                    |s: State<Arc<Served>>, Path(id): Path<String>, body: Json<Value>| async move {
                        record(s, Path(vec![id, "status".into()]), body).await
                    },
                ),
            )
            .route(
                "/api/v1/t/acme/advisor/register.csv",
                get(|State(s): State<Arc<Served>>| async move {
                    (
                        [("content-type", "text/csv; charset=utf-8")],
                        s.register_csv.lock().unwrap().clone(),
                    )
                }),
            )
            .route(
                "/api/v1/t/acme/advisor/reports/{id}/hold",
                put(
                    |s: State<Arc<Served>>, Path(id): Path<String>, body: Json<Value>| async move {
                        record(s, Path(vec![id, "hold".into()]), body).await
                    },
                ),
            )
            .route(
                "/api/v1/t/acme/advisor/reports/{id}/category",
                put(
                    |s: State<Arc<Served>>, Path(id): Path<String>, body: Json<Value>| async move {
                        record(s, Path(vec![id, "category".into()]), body).await
                    },
                ),
            )
            .with_state(served);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}
