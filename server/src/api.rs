//! The HTTP API: the reporter's endpoints (public configuration, report,
//! mailbox) and the advisor's (challenge log-in, reports, messages, status,
//! category). Every handler only moves ciphertext and metadata; the only
//! checks on items are structural (see [`crate::wire`]).

use std::collections::HashSet;

use axum::body::Body;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::StreamExt as _;
use meldkluis_crypto_core::format::{MAX_GRANT_LEN, MAX_HEADER_LEN};
use meldkluis_crypto_core::{ItemHeader, ItemKind, KeyGrant, PublicKey};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use subtle::ConstantTimeEq as _;
use tokio::io::AsyncWriteExt as _;

use crate::auth::{AdvisorSession, MailboxSession, Principal, Tenant};
use crate::error::{negotiate_lang, AppError, ErrorCode, Lang};
use crate::notices::EmailAddress;
use crate::store::{self, Author, NewReport};
use crate::tenants::OpenTenant;
use crate::wire::{self, CheckedItem};
use crate::AppState;

/// JSON body extractor whose rejections are [`AppError`]s.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            // The rejection texts can quote the body: only the kind of
            // failure goes to the log, never request content.
            Err(JsonRejection::MissingJsonContentType(_)) => Err(AppError::new(
                ErrorCode::UnsupportedMediaType,
                "json: content type",
            )),
            Err(JsonRejection::BytesRejection(e))
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                Err(AppError::new(
                    ErrorCode::PayloadTooLarge,
                    "json: body over the limit",
                ))
            }
            Err(JsonRejection::JsonSyntaxError(_)) => {
                Err(AppError::new(ErrorCode::InvalidJson, "json: syntax"))
            }
            Err(JsonRejection::JsonDataError(_)) => {
                Err(AppError::new(ErrorCode::InvalidJson, "json: shape"))
            }
            Err(_) => Err(AppError::new(ErrorCode::InvalidJson, "json: body")),
        }
    }
}

/// The item ids named in the path (`report_id`, `attachment_id`).
#[derive(Debug)]
pub struct PathIds {
    report_id: Option<[u8; 16]>,
    attachment_id: Option<[u8; 16]>,
}

impl PathIds {
    fn report(&self) -> Result<[u8; 16], AppError> {
        self.report_id
            .ok_or_else(|| AppError::internal("route without report_id"))
    }

    fn attachment(&self) -> Result<[u8; 16], AppError> {
        self.attachment_id
            .ok_or_else(|| AppError::internal("route without attachment_id"))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PathIds {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|e| AppError::bad_request(format!("path: {e}")))?;
        let mut ids = Self {
            report_id: None,
            attachment_id: None,
        };
        for (name, value) in &params {
            match name {
                "report_id" => ids.report_id = Some(wire::decode_hex(value, "report id")?),
                "attachment_id" => {
                    ids.attachment_id = Some(wire::decode_hex(value, "attachment id")?)
                }
                _ => {}
            }
        }
        Ok(ids)
    }
}

fn created(value: Value) -> Response {
    (StatusCode::CREATED, Json(value)).into_response()
}

/// Decodes a base64 item and refuses it when over the item limit.
fn decode_item(state: &AppState, text: &str) -> Result<Vec<u8>, AppError> {
    // base64 is 4/3 of the bytes: refuse before decoding anything too long.
    if text.len() as u64 > state.config().max_item_bytes.div_ceil(3) * 4 {
        return Err(AppError::new(
            ErrorCode::PayloadTooLarge,
            "item over max_item_bytes",
        ));
    }
    wire::decode_base64(text, "item")
}

// ---------------------------------------------------------------- reporter

/// `GET /api/v1/t/{tenant}/config`: what a reporter's browser needs.
pub async fn public_config(Tenant(tenant): Tenant) -> Result<Json<Value>, AppError> {
    let record = tenant.record.clone();
    tenant
        .db
        .call(move |conn| {
            let languages: Vec<&str> = store::languages(conn)?.iter().map(|l| l.tag()).collect();
            let questionnaire = store::questionnaire(conn)?;
            let advisors: Vec<Value> = store::advisors(conn, true)?
                .into_iter()
                .map(|a| {
                    json!({
                        "id": a.id,
                        "display_name": a.display_name,
                        "public_key": a.public_key.to_hex(),
                        "fingerprint": a.public_key.fingerprint(),
                    })
                })
                .collect();
            let recovery = store::recovery_key(conn)?
                .map(|key| json!({ "public_key": key.to_hex(), "fingerprint": key.fingerprint() }));
            let accepting = recovery.is_some() && !advisors.is_empty();
            Ok(Json(json!({
                "tenant": record.id.as_str(),
                "name": record.name,
                "languages": languages,
                "questionnaire": questionnaire,
                "advisors": advisors,
                "recovery_key": recovery,
                "max_attachment_bytes": record.max_attachment_bytes,
                "accepting_reports": accepting,
            })))
        })
        .await
}

/// The body of a report submission.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateReport {
    item: String,
    mailbox_id: String,
    mailbox_public_key: String,
    auth_secret: String,
    /// An address for "a new message is waiting" notices (optional; an
    /// empty string is none). Kept in the e-mail store, never in the
    /// tenant database.
    #[serde(default)]
    notice_email: Option<String>,
    /// The language of those notices (`nl`, `en`); default: the request's.
    #[serde(default)]
    language: Option<String>,
}

/// Checks a report submission as far as possible without the database.
fn prepare_report(
    state: &AppState,
    tenant: &OpenTenant,
    body: &CreateReport,
) -> Result<NewReport, AppError> {
    let mailbox_id = wire::decode_hex::<16>(&body.mailbox_id, "mailbox id")?;
    let mailbox_key = wire::decode_public_key(&body.mailbox_public_key, "mailbox public key")?;
    let auth_secret =
        zeroize::Zeroizing::new(wire::decode_hex::<32>(&body.auth_secret, "auth secret")?);
    let CheckedItem { header, bytes } = wire::check_item(
        decode_item(state, &body.item)?,
        tenant.id(),
        ItemKind::Report,
    )?;
    if header.sender != mailbox_key {
        return Err(AppError::invalid_item(
            "report sender is not the mailbox key",
        ));
    }
    Ok(NewReport {
        id: header.item_id.0,
        mailbox_id,
        mailbox_key,
        auth_hash: state.server_secret().keyed_hash(auth_secret.as_slice()),
        padded_len: header.padded_len,
        recipients: header.recipients,
        item: bytes,
    })
}

/// Checks a report's recipients against the tenant's keys: the mailbox key
/// and the recovery key must be there, at least one active advisor, and
/// nobody else.
fn check_report_recipients(
    conn: &rusqlite::Connection,
    report: &NewReport,
) -> Result<(), AppError> {
    let recovery = store::recovery_key(conn)?
        .ok_or_else(|| AppError::new(ErrorCode::TenantNotReady, "no recovery key enrolled"))?;
    let advisors: HashSet<PublicKey> = store::advisors(conn, true)?
        .into_iter()
        .map(|a| a.public_key)
        .collect();
    if advisors.is_empty() {
        return Err(AppError::new(
            ErrorCode::TenantNotReady,
            "no active advisor",
        ));
    }
    for required in [report.mailbox_key, recovery] {
        if !report.recipients.contains(&required) {
            return Err(AppError::invalid_item(
                "report not sealed to the mailbox and recovery keys",
            ));
        }
    }
    if !report.recipients.iter().any(|key| advisors.contains(key)) {
        return Err(AppError::invalid_item("report sealed to no active advisor"));
    }
    if report
        .recipients
        .iter()
        .any(|key| *key != report.mailbox_key && *key != recovery && !advisors.contains(key))
    {
        return Err(AppError::invalid_item("report sealed to an unknown key"));
    }
    Ok(())
}

/// The language a request asks for: `?lang=` or `Accept-Language`.
fn request_lang(uri: &Uri, headers: &HeaderMap) -> Lang {
    negotiate_lang(
        uri.query(),
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

/// A notice language named in a body, else `fallback`.
fn notice_language(tag: Option<&str>, fallback: Lang) -> Result<Lang, AppError> {
    match tag {
        None => Ok(fallback),
        Some(tag) => meldkluis_i18n::catalog()
            .lang(tag)
            .filter(|_| tag.len() <= 16)
            .ok_or_else(|| AppError::bad_request("language: not offered")),
    }
}

/// A notice address from a body: absent, `null` and `""` are none.
fn notice_address(text: Option<&str>) -> Result<Option<EmailAddress>, AppError> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => EmailAddress::parse(text)
            .map(Some)
            .map_err(crate::notices::address_error),
    }
}

/// `POST /api/v1/t/{tenant}/reports`: a new report and its mailbox.
///
/// With `notice_email`, the address is stored in the e-mail store after the
/// report is durable, and the answer says whether that worked
/// (`notice_email_saved`): if not, the report stands and the reporter can
/// add the address from the mailbox.
pub async fn create_report(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    uri: Uri,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CreateReport>,
) -> Result<Response, AppError> {
    let address = notice_address(body.notice_email.as_deref())?;
    let language = notice_language(body.language.as_deref(), request_lang(&uri, &headers))?;
    let report = prepare_report(&state, &tenant, &body)?;
    drop(body);
    let day = state.today();
    let report_id = hex::encode(report.id);
    let mailbox_id = report.mailbox_id;
    let answer_day = day.clone();
    tenant
        .db
        .call(move |conn| {
            check_report_recipients(conn, &report)?;
            store::insert_report(conn, &report, &day)
        })
        .await?;
    let mut answer = json!({ "report_id": report_id, "created_day": answer_day, "status": "new" });
    if let Some(address) = address {
        let saved = state
            .notices()
            .set_reporter_address(tenant.id(), &mailbox_id, &address, language)
            .await
            .inspect_err(|e| tracing::error!(error = %e, "notice address not stored"))
            .is_ok();
        answer["notice_email_saved"] = json!(saved);
    }
    Ok(created(answer))
}

/// `POST /api/v1/t/{tenant}/bench/reports-no-store` (only with
/// `bench_baseline_endpoint`): all the work of [`create_report`] but SQLite.
pub async fn create_report_baseline(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    ApiJson(body): ApiJson<CreateReport>,
) -> Result<Response, AppError> {
    let report = prepare_report(&state, &tenant, &body)?;
    Ok(created(
        json!({ "report_id": hex::encode(report.id), "created_day": state.today(), "status": "new" }),
    ))
}

/// The body of a mailbox log-in.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailboxLogin {
    mailbox_id: String,
    auth_secret: String,
}

/// `POST /api/v1/t/{tenant}/mailbox/login`: one uniform failure answer for
/// an unknown mailbox id and a wrong secret; rate-limited per mailbox id and
/// over the whole server.
pub async fn mailbox_login(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    ApiJson(body): ApiJson<MailboxLogin>,
) -> Result<Json<Value>, AppError> {
    let mailbox_id = wire::decode_hex::<16>(&body.mailbox_id, "mailbox id")?;
    let auth_secret =
        zeroize::Zeroizing::new(wire::decode_hex::<32>(&body.auth_secret, "auth secret")?);
    state.limiter().check_mailbox(tenant.id(), mailbox_id)?;
    let found = tenant
        .db
        .call(move |conn| Ok(store::mailbox_credentials(conn, &mailbox_id)?))
        .await?;
    let presented = state.server_secret().keyed_hash(auth_secret.as_slice());
    // Compare against a dummy when the id is unknown, so both failures take
    // the same path.
    let (report_id, stored) = found.unwrap_or(([0; 16], [0xff; 32]));
    let matches: bool = presented.ct_eq(&stored).into();
    if !(matches && found.is_some()) {
        return Err(AppError::new(
            ErrorCode::LoginFailed,
            "mailbox log-in failed",
        ));
    }
    let lifetime = std::time::Duration::from_secs(state.config().mailbox_session_secs);
    let token = state
        .sessions()
        .create(tenant.id(), Principal::Mailbox { report_id }, lifetime)?;
    Ok(Json(
        json!({ "token": token, "expires_in_seconds": lifetime.as_secs(), "report_id": hex::encode(report_id) }),
    ))
}

/// `POST .../mailbox/logout` and `.../advisor/logout`: ends the session.
pub async fn logout(
    State(state): State<AppState>,
    Tenant(_): Tenant,
    headers: axum::http::HeaderMap,
) -> StatusCode {
    if let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        state.sessions().end(token.trim());
    }
    StatusCode::NO_CONTENT
}

/// `GET /api/v1/t/{tenant}/mailbox`: the reporter's thread.
pub async fn mailbox_thread(session: MailboxSession) -> Result<Json<store::Thread>, AppError> {
    let report_id = session.report_id;
    let thread = session
        .tenant
        .db
        .call(move |conn| Ok(store::thread(conn, &report_id)?))
        .await?;
    thread
        .map(Json)
        .ok_or_else(|| AppError::not_found("mailbox report is gone"))
}

/// The body of a new message.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostMessage {
    item: String,
}

/// Who is writing into a thread, for the sender and visibility rules.
#[derive(Debug, Clone, Copy)]
enum Writer {
    Reporter,
    Advisor {
        advisor_id: i64,
        public_key: PublicKey,
    },
}

impl Writer {
    fn author(self) -> Author {
        match self {
            Self::Reporter => Author::Reporter,
            Self::Advisor { advisor_id, .. } => Author::Advisor { advisor_id },
        }
    }
}

/// Checks, inside a database job, that `writer` may write into the report's
/// thread and that the header's sender and recipients follow the rules:
/// sender = the mailbox key (reporter) or the advisor's key; recipients
/// include the report's mailbox key and the tenant's recovery key.
fn check_thread_item(
    conn: &rusqlite::Connection,
    writer: Writer,
    report_id: &[u8; 16],
    header: &ItemHeader,
) -> Result<(), AppError> {
    if let Writer::Advisor { advisor_id, .. } = writer {
        if !store::advisor_may_see(conn, advisor_id, report_id)? {
            return Err(AppError::not_found("report not sealed to this advisor"));
        }
    }
    let mailbox_key = store::report_mailbox_key(conn, report_id)?
        .ok_or_else(|| AppError::not_found("no such report"))?;
    if header.report_id.0 != *report_id {
        return Err(AppError::invalid_item("item belongs to another report"));
    }
    let recovery = store::recovery_key(conn)?
        .ok_or_else(|| AppError::new(ErrorCode::TenantNotReady, "no recovery key enrolled"))?;
    let sender = match writer {
        Writer::Reporter => mailbox_key,
        // An advisor writes as themselves, except for a key introduction
        // after a lost token or a rotation, which the recovery key or the
        // advisor's earlier key seals (keys/src/reseal.rs): the server
        // checks that the sender is one of the tenant's keys; that the
        // sender really sealed the item, auth mode proves to the reader.
        Writer::Advisor { public_key, .. }
            if header.sender != public_key
                && (header.sender == recovery || store::is_enrolled_key(conn, &header.sender)?) =>
        {
            header.sender
        }
        Writer::Advisor { public_key, .. } => public_key,
    };
    wire::check_sender_and_recipients(header, &sender, &[mailbox_key, recovery])
}

async fn post_message(
    state: &AppState,
    tenant: &OpenTenant,
    writer: Writer,
    report_id: [u8; 16],
    body: PostMessage,
) -> Result<Response, AppError> {
    let CheckedItem { header, bytes } = wire::check_item(
        decode_item(state, &body.item)?,
        tenant.id(),
        ItemKind::Message,
    )?;
    drop(body);
    let day = state.today();
    let message_id = hex::encode(header.item_id.0);
    let answer_day = day.clone();
    if let Writer::Advisor { .. } = writer {
        let checked = header.clone();
        let mailbox_id = tenant
            .db
            .call(move |conn| {
                check_thread_item(conn, writer, &report_id, &checked)?;
                Ok(store::report_mailbox_id(conn, &report_id)?)
            })
            .await?;
        queue_reporter_notice(state, tenant, mailbox_id).await?;
    }
    tenant
        .db
        .call(move |conn| {
            check_thread_item(conn, writer, &report_id, &header)?;
            store::insert_message(
                conn,
                &header.item_id.0,
                &report_id,
                &writer.author(),
                &bytes,
                header.padded_len,
                &day,
            )?;
            if let Writer::Advisor { .. } = writer {
                store::record_acknowledgement(conn, &report_id, &day)?;
            }
            Ok(())
        })
        .await?;
    Ok(created(
        json!({ "message_id": message_id, "created_day": answer_day }),
    ))
}

/// Queues "a new message is waiting" for the reporter of a report, durably,
/// before the advisor's change is committed and answered. A crash between
/// the two commits, or a change refused at its last step (a duplicate item
/// id), can leave a notice for a change that did not happen: it says only
/// that a message may be waiting, so nothing is lost and nothing leaks.
async fn queue_reporter_notice(
    state: &AppState,
    tenant: &OpenTenant,
    mailbox_id: Option<[u8; 16]>,
) -> Result<(), AppError> {
    let mailbox_id = mailbox_id.ok_or_else(|| AppError::not_found("no such report"))?;
    state
        .notices()
        .queue_reporter_notice(&tenant.record, &mailbox_id, state.clock().now_unix_ms())
        .await?;
    Ok(())
}

/// `POST /api/v1/t/{tenant}/mailbox/messages`: the reporter writes.
pub async fn mailbox_post_message(
    State(state): State<AppState>,
    session: MailboxSession,
    ApiJson(body): ApiJson<PostMessage>,
) -> Result<Response, AppError> {
    post_message(
        &state,
        &session.tenant,
        Writer::Reporter,
        session.report_id,
        body,
    )
    .await
}

/// Removes a file when dropped, unless disarmed: no half-written upload
/// survives an error or a dropped connection.
struct RemoveOnDrop(Option<std::path::PathBuf>);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Streams an attachment item to a file in constant memory, enforcing the
/// tenant's size limit as it goes, makes it durable, then registers it.
async fn upload_attachment(
    state: &AppState,
    tenant: &OpenTenant,
    writer: Writer,
    report_id: [u8; 16],
    body: Body,
) -> Result<Response, AppError> {
    // Visibility first, so nobody can probe or fill another report's space.
    tenant
        .db
        .call(move |conn| {
            if let Writer::Advisor { advisor_id, .. } = writer {
                if !store::advisor_may_see(conn, advisor_id, &report_id)? {
                    return Err(AppError::not_found("report not sealed to this advisor"));
                }
            }
            store::report_mailbox_key(conn, &report_id)?
                .ok_or_else(|| AppError::not_found("no such report"))?;
            Ok(())
        })
        .await?;

    let limit = tenant.record.max_attachment_bytes;
    let mut stream = body.into_data_stream();
    let mut head: Vec<u8> = Vec::new();
    let header = loop {
        if let Ok((header, _)) = ItemHeader::parse(&head) {
            break header;
        }
        if head.len() >= MAX_HEADER_LEN {
            return Err(AppError::invalid_item("no valid header"));
        }
        match stream.next().await {
            Some(Ok(chunk)) => head.extend_from_slice(&chunk),
            Some(Err(e)) => return Err(body_error(e)),
            None => return Err(AppError::invalid_item("item ends inside the header")),
        }
    };
    wire::check_header(&header, tenant.id(), ItemKind::Attachment)?;
    let item_len = header.item_len();
    if item_len > limit {
        return Err(AppError::new(
            ErrorCode::PayloadTooLarge,
            format!("attachment of {item_len} bytes over {limit}"),
        ));
    }
    if head.len() as u64 > item_len {
        return Err(AppError::invalid_item(
            "item longer than its header announces",
        ));
    }
    let item_id = header.item_id.0;
    // One upload per item id at a time, so two uploads of the same id
    // cannot race between the check below and the registration.
    let _claim = state.claim_upload(tenant.id(), item_id)?;
    let checked = header.clone();
    tenant
        .db
        .call(move |conn| {
            check_thread_item(conn, writer, &report_id, &checked)?;
            if store::attachment_exists(conn, &item_id)? {
                return Err(AppError::new(ErrorCode::Conflict, "attachment id exists"));
            }
            Ok(())
        })
        .await?;

    let (upload_dir, attachments_dir) = (tenant.upload_dir.clone(), tenant.attachments_dir.clone());
    let (upload_dir2, attachments_dir2) = (upload_dir.clone(), attachments_dir.clone());
    crate::db::blocking(move || {
        crate::config::create_private_dir(&upload_dir2)?;
        crate::config::create_private_dir(&attachments_dir2)
    })
    .await?;
    let mut random = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut random);
    let temp_path = upload_dir.join(format!("{}.part", hex::encode(random)));
    let mut guard = RemoveOnDrop(Some(temp_path.clone()));
    let mut file = tokio::fs::File::create(&temp_path).await?;
    file.write_all(&head).await?;
    let mut written = head.len() as u64;
    drop(head);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(body_error)?;
        written += chunk.len() as u64;
        if written > item_len {
            return Err(AppError::invalid_item(
                "item longer than its header announces",
            ));
        }
        file.write_all(&chunk).await?;
    }
    if written != item_len {
        return Err(AppError::invalid_item(format!(
            "item is {written} bytes, header announces {item_len}"
        )));
    }
    file.flush().await?;
    file.sync_all().await?;
    drop(file);

    // Publish, then make the directory entry durable before the database
    // says the attachment exists. The claim and the database check above
    // mean a file already at the target can only be an orphan of a crash.
    let final_path = attachments_dir.join(format!("{}.item", hex::encode(item_id)));
    let (temp, target, dir) = (
        temp_path.clone(),
        final_path.clone(),
        attachments_dir.clone(),
    );
    crate::db::blocking(move || -> std::io::Result<()> {
        std::fs::rename(&temp, &target)?;
        std::fs::File::open(&dir)?.sync_all()
    })
    .await?;
    guard.0 = Some(final_path);
    let day = state.today();
    let answer_day = day.clone();
    let padded_len = header.padded_len;
    tenant
        .db
        .call(move |conn| {
            store::insert_attachment(
                conn,
                &item_id,
                &report_id,
                &writer.author(),
                item_len,
                padded_len,
                &day,
            )
        })
        .await?;
    guard.0 = None;
    Ok(created(
        json!({ "attachment_id": hex::encode(item_id), "item_len": item_len, "created_day": answer_day }),
    ))
}

fn body_error(e: axum::Error) -> AppError {
    AppError::bad_request(format!("reading body: {e}"))
}

/// `POST /api/v1/t/{tenant}/mailbox/attachments`: the reporter uploads a
/// sealed attachment as a raw stream.
pub async fn mailbox_upload_attachment(
    State(state): State<AppState>,
    session: MailboxSession,
    body: Body,
) -> Result<Response, AppError> {
    upload_attachment(
        &state,
        &session.tenant,
        Writer::Reporter,
        session.report_id,
        body,
    )
    .await
}

/// Streams a stored attachment item.
async fn download_attachment(
    tenant: &OpenTenant,
    report_id: [u8; 16],
    attachment_id: [u8; 16],
) -> Result<Response, AppError> {
    let len = tenant
        .db
        .call(move |conn| Ok(store::attachment_len(conn, &report_id, &attachment_id)?))
        .await?
        .ok_or_else(|| AppError::not_found("no such attachment"))?;
    let path = tenant
        .attachments_dir
        .join(format!("{}.item", hex::encode(attachment_id)));
    let file = tokio::fs::File::open(&path).await?;
    let stream = tokio_util::io::ReaderStream::with_capacity(file, 64 * 1024);
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CONTENT_LENGTH, len.to_string()),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

/// `GET /api/v1/t/{tenant}/mailbox/attachments/{attachment_id}`.
pub async fn mailbox_download_attachment(
    session: MailboxSession,
    ids: PathIds,
) -> Result<Response, AppError> {
    download_attachment(&session.tenant, session.report_id, ids.attachment()?).await
}

// ----------------------------------------------------------------- advisor

/// `GET /api/v1/t/{tenant}/advisor/challenge`: a fresh log-in challenge.
pub async fn advisor_challenge(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
) -> Result<Json<Value>, AppError> {
    state.limiter().check_global()?;
    let (id, message) = state.challenges().issue(tenant.id())?;
    Ok(Json(
        json!({ "challenge_id": hex::encode(id), "challenge": wire::encode_base64(&message) }),
    ))
}

/// The body of an advisor log-in.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdvisorLogin {
    challenge_id: String,
    public_key: String,
    response: String,
}

/// `POST /api/v1/t/{tenant}/advisor/login`: the answer to a challenge,
/// computed with the advisor's key (in the hardware token).
pub async fn advisor_login(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    ApiJson(body): ApiJson<AdvisorLogin>,
) -> Result<Json<Value>, AppError> {
    state.limiter().check_global()?;
    let challenge_id = wire::decode_hex::<16>(&body.challenge_id, "challenge id")?;
    let public_key = wire::decode_public_key(&body.public_key, "public key")?;
    let response = wire::decode_base64(&body.response, "response")?;
    let verified = state
        .challenges()
        .verify(tenant.id(), challenge_id, &public_key, &response);
    let advisor_id = tenant
        .db
        .call(move |conn| Ok(store::active_advisor_id(conn, &public_key)?))
        .await?;
    let (true, Some(advisor_id)) = (verified, advisor_id) else {
        return Err(AppError::new(
            ErrorCode::LoginFailed,
            "advisor log-in failed",
        ));
    };
    let lifetime = std::time::Duration::from_secs(state.config().advisor_session_secs);
    let token = state.sessions().create(
        tenant.id(),
        Principal::Advisor {
            advisor_id,
            public_key,
        },
        lifetime,
    )?;
    Ok(Json(
        json!({ "token": token, "expires_in_seconds": lifetime.as_secs(), "advisor_id": advisor_id }),
    ))
}

/// `GET /api/v1/t/{tenant}/advisor/reports`: the reports sealed to this
/// advisor, metadata only.
pub async fn advisor_reports(
    State(state): State<AppState>,
    session: AdvisorSession,
) -> Result<Json<Value>, AppError> {
    let advisor_id = session.advisor_id;
    let reports = session
        .tenant
        .db
        .call(move |conn| Ok(store::reports_for_advisor(conn, advisor_id)?))
        .await?;
    let today = state.clock().today();
    let reports: Vec<store::ReportSummary> = reports
        .into_iter()
        .map(|report| report.with_deadlines(today))
        .collect();
    Ok(Json(
        json!({ "today": today.to_string(), "reports": reports }),
    ))
}

/// `GET /api/v1/t/{tenant}/advisor/reports/{report_id}`: a whole thread.
pub async fn advisor_thread(
    session: AdvisorSession,
    ids: PathIds,
) -> Result<Json<store::Thread>, AppError> {
    let (report_id, advisor_id) = (ids.report()?, session.advisor_id);
    let public_key = session.public_key;
    let thread = session
        .tenant
        .db
        .call(move |conn| {
            if !store::advisor_may_see(conn, advisor_id, &report_id)? {
                return Ok(None);
            }
            let Some(mut thread) = store::thread(conn, &report_id)? else {
                return Ok(None);
            };
            // The grants to this advisor's key: how a key that was not a
            // recipient (a replacement, a rotation) reaches content keys.
            thread.grants = store::grants_for(conn, &report_id, &public_key)?;
            Ok(Some(thread))
        })
        .await?;
    thread
        .map(Json)
        .ok_or_else(|| AppError::not_found("no such report for this advisor"))
}

fn advisor_writer(session: &AdvisorSession) -> Writer {
    Writer::Advisor {
        advisor_id: session.advisor_id,
        public_key: session.public_key,
    }
}

/// `POST /api/v1/t/{tenant}/advisor/reports/{report_id}/messages`.
pub async fn advisor_post_message(
    State(state): State<AppState>,
    session: AdvisorSession,
    ids: PathIds,
    ApiJson(body): ApiJson<PostMessage>,
) -> Result<Response, AppError> {
    post_message(
        &state,
        &session.tenant,
        advisor_writer(&session),
        ids.report()?,
        body,
    )
    .await
}

/// `POST /api/v1/t/{tenant}/advisor/reports/{report_id}/attachments`.
pub async fn advisor_upload_attachment(
    State(state): State<AppState>,
    session: AdvisorSession,
    ids: PathIds,
    body: Body,
) -> Result<Response, AppError> {
    upload_attachment(
        &state,
        &session.tenant,
        advisor_writer(&session),
        ids.report()?,
        body,
    )
    .await
}

/// `GET /api/v1/t/{tenant}/advisor/reports/{report_id}/attachments/{attachment_id}`.
pub async fn advisor_download_attachment(
    session: AdvisorSession,
    ids: PathIds,
) -> Result<Response, AppError> {
    let (report_id, advisor_id) = (ids.report()?, session.advisor_id);
    let visible = session
        .tenant
        .db
        .call(move |conn| Ok(store::advisor_may_see(conn, advisor_id, &report_id)?))
        .await?;
    if !visible {
        return Err(AppError::not_found("no such report for this advisor"));
    }
    download_attachment(&session.tenant, report_id, ids.attachment()?).await
}

/// Most key grants in one request (a report's items for one new key).
const MAX_GRANTS_PER_REQUEST: usize = 1024;

/// The body of a key grant upload.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostGrants {
    grants: Vec<String>,
}

/// `POST /api/v1/t/{tenant}/advisor/reports/{report_id}/grants`: key grants
/// (crypto-core `KeyGrant`) for items of a report the advisor may see.
///
/// Checked for structure only, like items: each grant parses, names this
/// tenant, is for an item of this report whose stored header hashes to the
/// grant's header hash, and gives the key to an enrolled, active advisor
/// key. Whether the grantor is to be trusted is the reader's decision (the
/// server could not check it, and must not be trusted to). A grant already
/// stored for the same item and grantee is kept.
pub async fn advisor_post_grants(
    State(state): State<AppState>,
    session: AdvisorSession,
    ids: PathIds,
    ApiJson(body): ApiJson<PostGrants>,
) -> Result<Json<Value>, AppError> {
    let report_id = ids.report()?;
    if body.grants.is_empty() || body.grants.len() > MAX_GRANTS_PER_REQUEST {
        return Err(AppError::bad_request(format!(
            "between 1 and {MAX_GRANTS_PER_REQUEST} grants per request"
        )));
    }
    let mut grants = Vec::with_capacity(body.grants.len());
    for text in &body.grants {
        if text.len() > MAX_GRANT_LEN.div_ceil(3) * 4 {
            return Err(AppError::invalid_item("grant too long"));
        }
        let bytes = wire::decode_base64(text, "grant")?;
        let grant =
            KeyGrant::parse(&bytes).map_err(|e| AppError::invalid_item(format!("grant: {e}")))?;
        if grant.tenant != *session.tenant.id() {
            return Err(AppError::invalid_item("grant is for another tenant"));
        }
        grants.push((grant, bytes));
    }
    drop(body);

    // Where each grant's item is: a blob in the database is hashed there;
    // an attachment's header is read from its file below.
    let advisor_id = session.advisor_id;
    let item_ids: Vec<[u8; 16]> = grants.iter().map(|(g, _)| g.item_id.0).collect();
    let stored = session
        .tenant
        .db
        .call(move |conn| {
            if !store::advisor_may_see(conn, advisor_id, &report_id)? {
                return Err(AppError::not_found("no such report for this advisor"));
            }
            let mut hashes = Vec::with_capacity(item_ids.len());
            for item_id in &item_ids {
                let hash = match store::stored_item(conn, &report_id, item_id)? {
                    None => return Err(AppError::invalid_item("grant for an unknown item")),
                    Some(store::StoredItem::Blob(item)) => Some(stored_header_hash(&item)?),
                    Some(store::StoredItem::Attachment) => None,
                };
                hashes.push(hash);
            }
            Ok(hashes)
        })
        .await?;
    let mut hashes = Vec::with_capacity(stored.len());
    for ((grant, _), hash) in grants.iter().zip(stored) {
        let hash = match hash {
            Some(hash) => hash,
            None => attachment_header_hash(&session.tenant, grant.item_id.0).await?,
        };
        hashes.push(hash);
    }
    for ((grant, _), hash) in grants.iter().zip(&hashes) {
        if grant.header_hash != *hash {
            return Err(AppError::invalid_item(
                "grant does not match the stored item's header",
            ));
        }
    }

    let day = state.today();
    let new_grants: Vec<store::NewGrant> = grants
        .into_iter()
        .map(|(grant, bytes)| store::NewGrant {
            item_id: grant.item_id.0,
            report_id,
            grantor: grant.grantor,
            grantee: grant.grantee,
            bytes,
        })
        .collect();
    session
        .tenant
        .db
        .call(move |conn| {
            // Checked again inside the transaction that stores them.
            if !store::advisor_may_see(conn, advisor_id, &report_id)? {
                return Err(AppError::not_found("no such report for this advisor"));
            }
            let mut stored = 0u64;
            for grant in &new_grants {
                if store::active_advisor_id(conn, &grant.grantee)?.is_none() {
                    return Err(AppError::invalid_item(
                        "grantee is not an enrolled advisor key",
                    ));
                }
                if store::insert_grant(conn, grant, &day)? {
                    stored += 1;
                }
            }
            let kept = new_grants.len() as u64 - stored;
            Ok(Json(json!({ "stored": stored, "already_present": kept })))
        })
        .await
}

/// The header hash of a stored item blob.
fn stored_header_hash(item: &[u8]) -> Result<[u8; 32], AppError> {
    let (header, _) =
        ItemHeader::parse(item).map_err(|_| AppError::internal("a stored item does not parse"))?;
    Ok(header.hash())
}

/// The header hash of a stored attachment, read from the start of its file.
async fn attachment_header_hash(
    tenant: &OpenTenant,
    attachment_id: [u8; 16],
) -> Result<[u8; 32], AppError> {
    let path = tenant
        .attachments_dir
        .join(format!("{}.item", hex::encode(attachment_id)));
    crate::db::blocking(move || {
        use std::io::Read as _;
        let mut head = Vec::with_capacity(MAX_HEADER_LEN);
        std::fs::File::open(&path)?
            .take(MAX_HEADER_LEN as u64)
            .read_to_end(&mut head)?;
        stored_header_hash(&head)
    })
    .await
}

/// Why a report was closed (stable codes; no free text).
const CLOSING_REASONS: [&str; 6] = [
    "resolved",
    "agreed_with_reporter",
    "no_response_from_reporter",
    "withdrawn",
    "not_a_report",
    "other",
];

/// The body of a status change.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetStatus {
    status: String,
    #[serde(default)]
    agreed_update_date: Option<String>,
    #[serde(default)]
    closing_reason: Option<String>,
}

/// `PUT /api/v1/t/{tenant}/advisor/reports/{report_id}/status`.
pub async fn advisor_set_status(
    State(state): State<AppState>,
    session: AdvisorSession,
    ids: PathIds,
    ApiJson(body): ApiJson<SetStatus>,
) -> Result<Json<Value>, AppError> {
    let report_id = ids.report()?;
    if !store::STATUSES.contains(&body.status.as_str()) {
        return Err(AppError::bad_request("unknown status"));
    }
    if body
        .agreed_update_date
        .as_deref()
        .is_some_and(|d| !store::is_valid_date(d))
    {
        return Err(AppError::bad_request(
            "agreed_update_date is not a YYYY-MM-DD date",
        ));
    }
    match body.closing_reason.as_deref() {
        Some(reason) if !CLOSING_REASONS.contains(&reason) => {
            return Err(AppError::bad_request("unknown closing reason"))
        }
        Some(_) if !matches!(body.status.as_str(), "closed" | "archived") => {
            return Err(AppError::bad_request(
                "a closing reason needs status closed or archived",
            ))
        }
        _ => {}
    }
    let advisor_id = session.advisor_id;
    let day = state.today();
    // The reporter sees every change of status: tell them one is waiting.
    let mailbox_id = session
        .tenant
        .db
        .call(move |conn| {
            if !store::advisor_may_see(conn, advisor_id, &report_id)? {
                return Err(AppError::not_found("no such report for this advisor"));
            }
            Ok(store::report_mailbox_id(conn, &report_id)?)
        })
        .await?;
    queue_reporter_notice(&state, &session.tenant, mailbox_id).await?;
    session
        .tenant
        .db
        .call(move |conn| {
            if !store::advisor_may_see(conn, advisor_id, &report_id)? {
                return Err(AppError::not_found("no such report for this advisor"));
            }
            if body.status != "new" {
                store::record_acknowledgement(conn, &report_id, &day)?;
            }
            store::set_status(
                conn,
                &report_id,
                advisor_id,
                &body.status,
                body.agreed_update_date.as_deref(),
                body.closing_reason.as_deref(),
                &day,
            )?;
            Ok(Json(
                json!({ "status": body.status, "agreed_update_date": body.agreed_update_date }),
            ))
        })
        .await
}

// ----------------------------------------------------------- notice e-mail

/// The body of `PUT .../mailbox/notice-email`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetNoticeEmail {
    address: String,
    #[serde(default)]
    language: Option<String>,
}

/// The mailbox id behind a mailbox session.
async fn session_mailbox_id(session: &MailboxSession) -> Result<[u8; 16], AppError> {
    let report_id = session.report_id;
    session
        .tenant
        .db
        .call(move |conn| Ok(store::report_mailbox_id(conn, &report_id)?))
        .await?
        .ok_or_else(|| AppError::not_found("mailbox report is gone"))
}

/// `GET /api/v1/t/{tenant}/mailbox/notice-email`: the reporter's own
/// notice address (`null` if none) and language.
pub async fn notice_email_get(
    State(state): State<AppState>,
    session: MailboxSession,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Json<Value>, AppError> {
    let mailbox_id = session_mailbox_id(&session).await?;
    let stored = state
        .notices()
        .reporter_address(session.tenant.id(), &mailbox_id)
        .await?;
    Ok(Json(match stored {
        Some(stored) => {
            json!({ "address": stored.address.expose_address(), "language": stored.language.tag() })
        }
        None => json!({ "address": null, "language": request_lang(&uri, &headers).tag() }),
    }))
}

/// `PUT /api/v1/t/{tenant}/mailbox/notice-email`: adds or changes the
/// reporter's notice address and language.
pub async fn notice_email_put(
    State(state): State<AppState>,
    session: MailboxSession,
    uri: Uri,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SetNoticeEmail>,
) -> Result<Json<Value>, AppError> {
    let address = notice_address(Some(&body.address))?
        .ok_or_else(|| crate::notices::address_error(crate::notices::AddressError::Shape))?;
    let language = notice_language(body.language.as_deref(), request_lang(&uri, &headers))?;
    drop(body);
    let mailbox_id = session_mailbox_id(&session).await?;
    state
        .notices()
        .set_reporter_address(session.tenant.id(), &mailbox_id, &address, language)
        .await?;
    Ok(Json(
        json!({ "address": address.expose_address(), "language": language.tag() }),
    ))
}

/// `DELETE /api/v1/t/{tenant}/mailbox/notice-email`: removes the
/// reporter's notice address and any notice still waiting for it.
pub async fn notice_email_delete(
    State(state): State<AppState>,
    session: MailboxSession,
) -> Result<StatusCode, AppError> {
    let mailbox_id = session_mailbox_id(&session).await?;
    state
        .notices()
        .delete_reporter_address(session.tenant.id(), &mailbox_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The body of a category disclosure.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetCategory {
    category: Option<String>,
}

/// `PUT /api/v1/t/{tenant}/advisor/reports/{report_id}/category`: the
/// category the advisor chooses to disclose for aggregate figures.
pub async fn advisor_set_category(
    session: AdvisorSession,
    ids: PathIds,
    ApiJson(body): ApiJson<SetCategory>,
) -> Result<Json<Value>, AppError> {
    let report_id = ids.report()?;
    if let Some(category) = &body.category {
        let valid = (1..=64).contains(&category.len())
            && category
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if !valid {
            return Err(AppError::bad_request("category is not a category id"));
        }
    }
    let advisor_id = session.advisor_id;
    session
        .tenant
        .db
        .call(move |conn| {
            if !store::advisor_may_see(conn, advisor_id, &report_id)? {
                return Err(AppError::not_found("no such report for this advisor"));
            }
            if let Some(category) = &body.category {
                let questionnaire = store::questionnaire(conn)?;
                let listed = questionnaire.categories.is_empty()
                    || questionnaire.category_ids().any(|id| id == category);
                if !listed {
                    return Err(AppError::bad_request("category not in the questionnaire"));
                }
            }
            store::set_category(conn, &report_id, advisor_id, body.category.as_deref())?;
            Ok(Json(json!({ "category": body.category })))
        })
        .await
}

/// `GET /healthz`.
pub async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}
