//! Writing into a report's thread, for reporter and advisor alike: the
//! sender and recipient rules for messages and attachments, the streamed
//! attachment upload, the attachment download, and the reporter's notice
//! when an advisor writes.

use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt as _;
use meldkluis_crypto_core::format::MAX_HEADER_LEN;
use meldkluis_crypto_core::{ItemHeader, ItemId, ItemKind, PublicKey};
use serde::Deserialize;
use serde_json::json;
use tokio::io::AsyncWriteExt as _;

use super::{created, decode_item};
use crate::error::{AppError, ErrorCode};
use crate::store::{self, Author};
use crate::tenants::{OpenTenant, Quotas};
use crate::wire::{self, CheckedItem};
use crate::AppState;

/// The body of a new message.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostMessage {
    item: String,
}

/// Who is writing into a thread, for the sender and visibility rules.
#[derive(Debug, Clone, Copy)]
pub(super) enum Writer {
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
/// include the report's mailbox key and the tenant's recovery key (the
/// current one or a former one). An oral report with no mailbox yet
/// (`mailbox_state = 'none'`) has no mailbox key: there the recipients
/// must include the sending advisor instead, and nobody writes as the
/// reporter.
pub(super) fn check_thread_item(
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
    let no_mailbox = has_no_mailbox(conn, report_id)?;
    if header.report_id.0 != *report_id {
        return Err(AppError::invalid_item("item belongs to another report"));
    }
    let recovery = store::recovery_key(conn)?
        .ok_or_else(|| AppError::new(ErrorCode::TenantNotReady, "no recovery key enrolled"))?;
    let sender = match writer {
        Writer::Reporter if no_mailbox => {
            return Err(AppError::not_found("report has no mailbox"));
        }
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
    let required = match writer {
        Writer::Advisor { public_key, .. } if no_mailbox => public_key,
        _ => mailbox_key,
    };
    wire::check_sender_and_recipients(header, &sender, &[required])?;
    // The recovery key: the current one, or during a replacement a former
    // one (a reporter's mailbox seals to the recovery key its report
    // pinned until an advisor introduces the new one; an advisor's console
    // seals to the one in their enrolled-keys file).
    if header.recipients.contains(&recovery)
        || store::former_recovery_keys(conn)?
            .iter()
            .any(|former| header.recipients.contains(former))
    {
        Ok(())
    } else {
        Err(AppError::invalid_item(format!(
            "recipient {} missing",
            recovery.to_hex()
        )))
    }
}

pub(super) async fn post_message(
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
    let quotas = tenant.record.quotas;
    if let Writer::Advisor { .. } = writer {
        let checked = header.clone();
        let mailbox_id = tenant
            .db
            .call(move |conn| {
                check_thread_item(conn, writer, &report_id, &checked)?;
                check_message_quota(conn, &quotas, &report_id)?;
                // No reporter to tell while an oral report has no mailbox.
                if has_no_mailbox(conn, &report_id)? {
                    return Ok(None);
                }
                Ok(Some(store::report_mailbox_id(conn, &report_id)?))
            })
            .await?;
        if let Some(mailbox_id) = mailbox_id {
            queue_reporter_notice(state, tenant, mailbox_id).await?;
        }
    }
    let created_day = tenant
        .db
        .call(move |conn| {
            check_thread_item(conn, writer, &report_id, &header)?;
            // The same message again (a retry): answered as the first was,
            // also when that one filled the report's quota.
            let author = writer.author();
            if let Some(created_day) =
                store::message_replay(conn, &header.item_id.0, &report_id, &author, &bytes)?
            {
                crate::db::replayed_write();
                return Ok(created_day);
            }
            check_message_quota(conn, &quotas, &report_id)?;
            store::insert_message(
                conn,
                &header.item_id.0,
                &report_id,
                &author,
                &bytes,
                header.padded_len,
                &day,
            )?;
            if let Writer::Advisor { .. } = writer {
                store::record_acknowledgement(conn, &report_id, &day)?;
            }
            Ok(day)
        })
        .await?;
    Ok(created(
        json!({ "message_id": message_id, "created_day": created_day }),
    ))
}

/// True for an oral report with no mailbox yet.
fn has_no_mailbox(conn: &rusqlite::Connection, report_id: &[u8; 16]) -> Result<bool, AppError> {
    Ok(store::mailbox_facts(conn, report_id)?.is_some_and(|f| f.mailbox_state == "none"))
}

/// Refuses a message beyond the report's quota.
fn check_message_quota(
    conn: &rusqlite::Connection,
    quotas: &Quotas,
    report_id: &[u8; 16],
) -> Result<(), AppError> {
    if store::thread_usage(conn, report_id)?.messages >= quotas.messages_per_report {
        return Err(AppError::new(
            ErrorCode::ThreadLimit,
            "messages at the report's quota",
        ));
    }
    Ok(())
}

/// Refuses an attachment of `item_len` bytes beyond the report's quotas.
fn check_attachment_quota(
    conn: &rusqlite::Connection,
    quotas: &Quotas,
    report_id: &[u8; 16],
    item_len: u64,
) -> Result<(), AppError> {
    let usage = store::thread_usage(conn, report_id)?;
    if usage.attachments >= quotas.attachments_per_report {
        return Err(AppError::new(
            ErrorCode::ThreadLimit,
            "attachments at the report's quota",
        ));
    }
    if usage.attachment_bytes.saturating_add(item_len) > quotas.attachment_bytes_per_report {
        return Err(AppError::new(
            ErrorCode::StorageLimit,
            "attachment bytes over the report's quota",
        ));
    }
    Ok(())
}

/// Queues "a new message is waiting" for the reporter of a report, durably,
/// before the advisor's change is committed and answered. A crash between
/// the two commits, or a change refused at its last step (a duplicate item
/// id), can leave a notice for a change that did not happen: it says only
/// that a message may be waiting, so nothing is lost and nothing leaks.
pub(super) async fn queue_reporter_notice(
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

/// Removes a file when dropped, unless disarmed: no half-written upload
/// survives an error or a dropped connection.
pub(super) struct RemoveOnDrop(Option<std::path::PathBuf>);

impl RemoveOnDrop {
    /// Keeps the file.
    pub(super) fn disarm(&mut self) {
        self.0 = None;
    }
}

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Streams an attachment item to a file in constant memory, enforcing the
/// tenant's size limit as it goes, makes it durable, then registers it.
pub(super) async fn upload_attachment(
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

    let mut stream = body.into_data_stream();
    let (header, head) = read_attachment_header(tenant, &mut stream).await?;
    let item_len = header.item_len();
    let item_id = header.item_id.0;
    let quotas = tenant.record.quotas;
    // One upload per item id at a time, so two uploads of the same id
    // cannot race between the check below and the registration.
    let _claim = state.claim_upload(tenant.id(), item_id)?;
    let checked = header.clone();
    let padded_len = header.padded_len;
    let earlier = tenant
        .db
        .call(move |conn| {
            check_thread_item(conn, writer, &report_id, &checked)?;
            // The same upload again (a retry)? Its bytes are compared
            // with the stored item below.
            if let Some((len, padded, created_day)) =
                store::attachment_of(conn, &item_id, &report_id, &writer.author())?
            {
                if (len, padded) == (item_len, padded_len) {
                    return Ok(Some(created_day));
                }
            }
            check_attachment_quota(conn, &quotas, &report_id, item_len)?;
            // A forward's attachment is a file of the same directory too.
            if store::attachment_exists(conn, &item_id)? || crate::org::item_exists(conn, &item_id)?
            {
                return Err(AppError::new(ErrorCode::Conflict, "attachment id exists"));
            }
            Ok(None)
        })
        .await?;
    if let Some(created_day) = earlier {
        // A node that took the tenant over compares with the stored
        // object (fetched into its cache); with no copy anywhere, the
        // bytes are not provably the same.
        let same = match open_attachment(state, tenant, item_id).await? {
            Some(stored) => same_as_stored(stored, head, stream).await?,
            None => false,
        };
        if !same {
            return Err(AppError::new(
                ErrorCode::Conflict,
                "attachment id exists, other bytes",
            ));
        }
        // Answered like the upload it repeats: once that is durable and
        // (with replication) confirmed.
        tenant
            .db
            .call(|_| {
                crate::db::replayed_write();
                Ok(())
            })
            .await?;
        return Ok(created(
            json!({ "attachment_id": hex::encode(item_id), "item_len": item_len, "created_day": created_day }),
        ));
    }

    let guard = store_attachment_file(tenant, head, stream, item_id, item_len).await?;
    put_attachment_object(state, tenant, item_id).await?;
    let day = state.today();
    let answer_day = day.clone();
    let registered = tenant
        .db
        .call(move |conn| {
            // Again, in the transaction that registers it: another upload
            // to the same report may have finished meanwhile.
            check_attachment_quota(conn, &quotas, &report_id, item_len)?;
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
        .await;
    settle_upload(state, tenant, item_id, guard, registered).await?;
    Ok(created(
        json!({ "attachment_id": hex::encode(item_id), "item_len": item_len, "created_day": answer_day }),
    ))
}

/// Streams a retried upload (`head`, then the rest) against the stored
/// attachment item's file, in constant memory: true if the bytes are the
/// same, byte for byte and in length. Writes nothing.
async fn same_as_stored(
    stored: tokio::fs::File,
    head: Vec<u8>,
    mut stream: axum::body::BodyDataStream,
) -> Result<bool, AppError> {
    use tokio::io::AsyncReadExt as _;
    let mut stored = tokio::io::BufReader::new(stored);
    let mut same = true;
    let mut expected = Vec::new();
    // Compare piece by piece; a mismatch still drains the body (the
    // client is told once it is sent).
    let mut piece = bytes::Bytes::from(head);
    loop {
        if same {
            expected.resize(piece.len(), 0);
            same = stored.read_exact(&mut expected).await.is_ok() && expected[..] == piece[..];
        }
        piece = match stream.next().await {
            Some(Ok(chunk)) => chunk,
            Some(Err(e)) => return Err(body_error(e)),
            None => break,
        };
    }
    // And nothing stored beyond what was sent.
    Ok(same && stored.read(&mut [0u8; 1]).await? == 0)
}

/// Reads a streamed attachment item's header (and what came with it) and
/// checks its structure: version 2, this tenant, kind attachment, within
/// the tenant's size limit, no longer than the header announces.
pub(super) async fn read_attachment_header(
    tenant: &OpenTenant,
    stream: &mut axum::body::BodyDataStream,
) -> Result<(ItemHeader, Vec<u8>), AppError> {
    let limit = tenant.record.max_attachment_bytes;
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
    Ok((header, head))
}

/// Streams the rest of an attachment item (after `head`) to a file in
/// constant memory, checks its length, makes it durable and publishes it
/// as the tenant's attachment file `item_id`. The returned guard removes
/// the file again unless disarmed once the database names it.
pub(super) async fn store_attachment_file(
    tenant: &OpenTenant,
    head: Vec<u8>,
    mut stream: axum::body::BodyDataStream,
    item_id: [u8; 16],
    item_len: u64,
) -> Result<RemoveOnDrop, AppError> {
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
    let final_path = attachment_path(tenant, &item_id);
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
    Ok(guard)
}

/// With an object store configured: uploads the attachment file just
/// stored as `attachments/{tenant}/{item id}`, before any row names it.
/// Returns only once the store answered with success; a failure answers
/// 503 and the caller commits nothing (its guard removes the local file).
pub(super) async fn put_attachment_object(
    state: &AppState,
    tenant: &OpenTenant,
    item_id: [u8; 16],
) -> Result<(), AppError> {
    let Some(objects) = state.objects() else {
        return Ok(());
    };
    let key = crate::objects::attachment_key(tenant.id(), &ItemId(item_id));
    objects
        .put_file(&key, &attachment_path(tenant, &item_id))
        .await?;
    Ok(())
}

/// Ends an upload whose file (`guard`) and object are stored, given how
/// the transaction that names them went (`registered`). On success the
/// file stays; so it does when the row is committed but not confirmed by
/// the replica (`not_acknowledged`: the row names the file, a retry finds
/// it). After a refusal (a client error, such as a quota reached meanwhile
/// or an id in use: the transaction surely rolled back) the object no row
/// will name is deleted again and the guard removes the file. After any
/// other failure the row may yet be committed, so the object stays: the
/// retry of the same upload writes the same id.
pub(super) async fn settle_upload<T>(
    state: &AppState,
    tenant: &OpenTenant,
    item_id: [u8; 16],
    mut guard: RemoveOnDrop,
    registered: Result<T, AppError>,
) -> Result<T, AppError> {
    let refusal = match registered {
        Ok(registered) => {
            guard.disarm();
            return Ok(registered);
        }
        Err(e) => e,
    };
    if refusal.code() == ErrorCode::NotAcknowledged {
        guard.disarm();
    }
    if let Some(objects) = state
        .objects()
        .filter(|_| refusal.code().status().is_client_error())
    {
        let key = crate::objects::attachment_key(tenant.id(), &ItemId(item_id));
        if let Err(e) = objects.delete(&key).await {
            tracing::warn!(tenant = %tenant.id(), error = %e, "object of a refused attachment not deleted");
        }
    }
    Err(refusal)
}

/// The file of a tenant's attachment item (a thread's or a forward's) in
/// the data directory.
fn attachment_path(tenant: &OpenTenant, item_id: &[u8; 16]) -> std::path::PathBuf {
    tenant
        .attachments_dir
        .join(crate::retention::attachment_file_name(item_id))
}

/// Opens the file of a stored attachment item. With an object store, one
/// the data directory lacks (a node that took the tenant over, a restored
/// one) is fetched from there into it first. `None` if it is in neither
/// place. The file present (the usual case) costs one open, nothing more.
async fn open_attachment(
    state: &AppState,
    tenant: &OpenTenant,
    item_id: [u8; 16],
) -> Result<Option<tokio::fs::File>, AppError> {
    let path = attachment_path(tenant, &item_id);
    match tokio::fs::File::open(&path).await {
        Ok(file) => return Ok(Some(file)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e.into()),
    }
    let Some(objects) = state.objects() else {
        return Ok(None);
    };
    if !objects
        .fetch_attachment(tenant.id(), &ItemId(item_id), &path)
        .await?
    {
        return Ok(None);
    }
    Ok(Some(tokio::fs::File::open(&path).await?))
}

/// [`open_attachment`] for an item a row names: in neither place is a
/// server fault.
pub(crate) async fn open_stored_attachment(
    state: &AppState,
    tenant: &OpenTenant,
    item_id: [u8; 16],
) -> Result<tokio::fs::File, AppError> {
    open_attachment(state, tenant, item_id)
        .await?
        .ok_or_else(|| {
            AppError::internal(format!(
                "attachment {} is in neither the data directory nor the object store",
                hex::encode(item_id)
            ))
        })
}

fn body_error(e: axum::Error) -> AppError {
    if super::is_body_timeout(&e) {
        return AppError::new(ErrorCode::RequestTimeout, "attachment body stalled");
    }
    AppError::bad_request(format!("reading body: {e}"))
}

/// Streams a stored attachment item.
pub(super) async fn download_attachment(
    state: &AppState,
    tenant: &OpenTenant,
    report_id: [u8; 16],
    attachment_id: [u8; 16],
) -> Result<Response, AppError> {
    let len = tenant
        .db
        .call(move |conn| Ok(store::attachment_len(conn, &report_id, &attachment_id)?))
        .await?
        .ok_or_else(|| AppError::not_found("no such attachment"))?;
    let file = open_stored_attachment(state, tenant, attachment_id).await?;
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
