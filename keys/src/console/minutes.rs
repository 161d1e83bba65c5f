//! Minutes the reporter approves (issue 13): after a meeting or a call the
//! advisor writes the minutes here (and may add a recording made with the
//! reporter's consent, uploaded in the same form), and the console posts
//! them into the thread as an approval request with `"subject":
//! "minutes"` (`web-client/REPORT-CONTENT.md`), sealed like every advisor
//! message. The reporter's mailbox shows them and answers with an approval
//! (`meldkluis-approval/1`) sealed by the mailbox key: "approve", or
//! "decline" with the corrections as its comment. The advisor then issues
//! a new version of the same minutes (same draft id, version + 1), which
//! the reporter approves again.
//!
//! It is the forward approval's mechanism ([`super::forwarding`]): the
//! same request and answer formats, the same sorting of the thread
//! ([`super::forwarding::classify`]) and the same rules, here for showing
//! a version as approved rather than for acting on it:
//!
//! 1. only an answer sealed by the report's mailbox key counts (the pinned
//!    sender of the reporter's own report, or the key an advisor's join
//!    record names for an oral report; never an advisor's key, never a key
//!    only the server names);
//! 2. its subject hash must equal the hash the console recomputes from the
//!    version it shows: text, attachments (for an approved version, each
//!    attachment downloaded and opened now and hashed over its bytes),
//!    draft id, version, tenant and report id;
//! 4. a decline of the same hash anywhere in the thread makes the version
//!    not approved, whatever order the server serves the thread in.
//!
//! There is no withdrawal of minutes: an approved version stays approved,
//! and the section shows the highest approved version of each minutes and
//! whether a newer version still waits for the reporter. Every version
//! stays in the thread until the report is deleted.
//!
//! An oral report without a mailbox yet (spec C) keeps its minutes too:
//! sealed to the advisors and the recovery key only, shown as kept, with
//! approval waiting until the reporter joins a mailbox; then "Send to the
//! reporter for approval" posts the same minutes as a new version, now
//! also sealed to the mailbox key.
//!
//! What it must never do: show a version as approved on anything the
//! server alone could have made, or write an uploaded recording to disk.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use meldkluis_crypto_core::approval::{ApprovalSubject, SubjectAttachment, SubjectKind};
use meldkluis_crypto_core::{ItemHeader, ItemId, ItemKind, PublicKey, TenantId, Zeroizing};
use meldkluis_i18n::{t, tf, Arg, Lang};
use sha2::{Digest as _, Sha256};

use super::forwarding::{
    self, after_post, draft_fields, field, open_attachment, prepare_draft, shown_approvals, Answer,
    DraftFieldNames, Refusal, Request, Stop, ThreadForwarding,
};
use super::pages::Page;
use super::{ConsoleState, OpenedThread};
use crate::reading::{self, ReportMailbox};
use crate::Error;

/// The most bytes of one file uploaded with minutes (a recording): it is
/// held in memory (never on disk) while it is sealed.
pub const MAX_UPLOAD_BYTES: usize = 256 * 1024 * 1024;
/// The body limit of the minutes form: the file and the other fields.
const MAX_FORM_BYTES: usize = MAX_UPLOAD_BYTES + 1024 * 1024;
/// Longest file name or media type kept from an upload, in bytes (the
/// approval subject's limit).
const MAX_NAME_BYTES: usize = meldkluis_crypto_core::approval::MAX_NAME_LEN;

/// Where a version of the minutes stands, as the console shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum VersionState {
    /// Waiting for the reporter (the newest version).
    Open,
    /// A newer version exists and this one was not approved.
    Replaced,
    /// The reporter asked for corrections (declined this exact version).
    Corrections,
    /// Approved by the reporter's mailbox key, on the answer's day.
    Approved {
        /// The day of the (first) approval message.
        day: String,
    },
    /// Approved, but an attachment's content is not what the version
    /// names: not approved.
    AttachmentChanged,
    /// The request's fields do not add up (or over the limits): nothing
    /// can be approved.
    Broken,
    /// Kept for an oral report without a mailbox: nobody can approve yet.
    Kept,
}

impl VersionState {
    /// The `data-minutes-state` value.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Replaced => "replaced",
            Self::Corrections => "corrections",
            Self::Approved { .. } => "approved",
            Self::AttachmentChanged => "attachment-changed",
            Self::Broken => "broken",
            Self::Kept => "kept",
        }
    }
}

/// The state of one version. `attachments_ok` says whether the version's
/// attachments, downloaded and opened now, are the ones it names (asked
/// only of a version the reporter approved); `readable` whether the
/// reporter's mailbox can read the version (the report has a mailbox the
/// console believes, and the version was not kept before it was joined).
pub(crate) fn version_state(
    found: &ThreadForwarding,
    request: &Request,
    readable: bool,
    attachments_ok: impl FnOnce() -> bool,
) -> VersionState {
    let Some(hash) = request.hash.as_ref() else {
        return VersionState::Broken;
    };
    if found.decided(hash, "decline") || found.decided(hash, "withdraw") {
        return VersionState::Corrections;
    }
    if let Some(approval) = found
        .answers_to(hash)
        .find(|a| a.answer.decision == "approve")
    {
        return if attachments_ok() {
            VersionState::Approved {
                day: approval.day.clone(),
            }
        } else {
            VersionState::AttachmentChanged
        };
    }
    let newest = found.newest_version(&request.request.draft_id) == request.request.version;
    if !newest {
        VersionState::Replaced
    } else if readable {
        VersionState::Open
    } else {
        VersionState::Kept
    }
}

/// What the minutes section shows besides the opened thread.
#[derive(Debug)]
pub(crate) struct MinutesData {
    /// This advisor's keys and the enrolled advisor keys: whose minutes
    /// (and join records) count.
    advisors: Vec<PublicKey>,
    tenant: TenantId,
    /// Request item id → whether its attachments' content is what it
    /// names; checked for the versions the reporter approved only.
    attachments_ok: HashMap<String, bool>,
    /// Why the check could not be made (a download failed): shown as a
    /// note; such a version is not shown as approved.
    check_error: Option<String>,
}

/// The minutes of the report page's opened thread.
fn shown_minutes(data: &MinutesData, opened: &OpenedThread) -> ThreadForwarding {
    shown_approvals(
        opened,
        opened.mailbox.key().as_ref(),
        &data.advisors,
        &data.tenant,
        SubjectKind::Minutes,
    )
}

/// Downloads and opens the attachments of every version the reporter
/// approved, so the section shows a version as approved only over the
/// bytes the server serves now (a server that swaps an attachment item
/// makes the version "not approved", never "approved").
pub(crate) async fn load(state: &Arc<ConsoleState>, opened: &OpenedThread) -> MinutesData {
    let mut data = MinutesData {
        advisors: state.request_senders(),
        tenant: state.client.tenant().clone(),
        attachments_ok: HashMap::new(),
        check_error: None,
    };
    if opened.report_pin.is_none() {
        return data;
    }
    let found = shown_minutes(&data, opened);
    let Some(header) = opened
        .thread
        .report_bytes()
        .ok()
        .and_then(|bytes| reading::report_header(&bytes))
    else {
        return data;
    };
    for request in &found.requests {
        let approved = request
            .hash
            .as_ref()
            .is_some_and(|h| found.answers_to(h).any(|a| a.answer.decision == "approve"));
        if !approved || request.request.attachments.is_empty() {
            continue;
        }
        let Some(subject) = request
            .request
            .subject(state.client.tenant(), header.report_id)
        else {
            continue;
        };
        match attachments_as_named(state, opened, &header, &subject).await {
            Ok(same) => {
                data.attachments_ok.insert(request.item_id.clone(), same);
            }
            Err(error) => {
                data.check_error = Some(forwarding::error_code(&error));
            }
        }
    }
    data
}

/// Whether each attachment of `subject`, downloaded and opened now, has
/// the SHA-256 and size the subject names (an attachment that does not
/// open, or is no attachment of this report, is not as named).
async fn attachments_as_named(
    state: &Arc<ConsoleState>,
    opened: &OpenedThread,
    header: &ItemHeader,
    subject: &ApprovalSubject,
) -> Result<bool, Error> {
    for named in &subject.attachments {
        match open_attachment(state, &opened.thread, header, &named.item_id.to_hex()).await {
            Ok(content) => {
                if content.sha256 != named.sha256 || content.content.len() as u64 != named.size {
                    return Ok(false);
                }
            }
            Err(Error::Http(error)) => return Err(Error::Http(error)),
            Err(Error::Server { status, code }) if status != 404 => {
                return Err(Error::Server { status, code })
            }
            Err(_) => return Ok(false),
        }
    }
    Ok(true)
}

fn state_text(lang: Lang, state: &VersionState) -> (&'static str, String) {
    match state {
        VersionState::Open => ("badge due-soon", t(lang, "minutes-state-open")),
        VersionState::Replaced => ("badge held", t(lang, "minutes-state-replaced")),
        VersionState::Corrections => ("badge overdue", t(lang, "minutes-state-corrections")),
        VersionState::Approved { day } => (
            "badge on-track",
            tf(lang, "minutes-state-approved", &[("date", Arg::Str(day))]),
        ),
        VersionState::AttachmentChanged => {
            ("badge overdue", t(lang, "minutes-state-attachment-changed"))
        }
        VersionState::Broken => ("badge overdue", t(lang, "minutes-state-broken")),
        VersionState::Kept => ("badge held", t(lang, "minutes-state-kept")),
    }
}

/// One minutes (one draft id), its versions in thread order.
struct Minutes<'a> {
    draft_id: &'a str,
    versions: Vec<(&'a Request, VersionState)>,
}

impl Minutes<'_> {
    /// The highest approved version and its day.
    fn approved(&self) -> Option<(u32, &str)> {
        self.versions
            .iter()
            .filter_map(|(r, s)| match s {
                VersionState::Approved { day } => Some((r.request.version, day.as_str())),
                _ => None,
            })
            .max_by_key(|(version, _)| *version)
    }

    /// The newest version's request.
    fn newest(&self) -> Option<&Request> {
        self.versions
            .iter()
            .map(|(r, _)| *r)
            .max_by_key(|r| r.request.version)
    }
}

/// The report page's minutes section.
pub(crate) fn section(page: &Page<'_>, opened: &OpenedThread, data: &MinutesData) -> Markup {
    let lang = page.lang;
    let found = shown_minutes(data, opened);
    let has_mailbox = opened.mailbox.key().is_some();
    // Versions kept before the report was joined to a mailbox were not
    // sealed to it: the reporter cannot read them.
    let joined_at = opened.messages.iter().position(|m| {
        m.sender_key.is_some_and(|k| data.advisors.contains(&k))
            && m.content
                .as_deref()
                .is_some_and(|c| reading::parse_join_record(c.as_bytes()).is_some())
    });
    let before_join = |request: &Request| {
        joined_at.is_some_and(|joined| {
            opened
                .messages
                .iter()
                .position(|m| m.id.eq_ignore_ascii_case(&request.item_id))
                .is_some_and(|at| at < joined)
        })
    };
    let mut drafts: Vec<Minutes<'_>> = Vec::new();
    for request in &found.requests {
        // A version kept before the join is none the reporter can answer.
        let readable = has_mailbox && !before_join(request);
        let state = version_state(&found, request, readable, || {
            data.attachments_ok
                .get(&request.item_id)
                .copied()
                .unwrap_or(request.request.attachments.is_empty())
        });
        let draft_id = request.request.draft_id.as_str();
        match drafts
            .iter_mut()
            .find(|m| m.draft_id.eq_ignore_ascii_case(draft_id))
        {
            Some(minutes) => minutes.versions.push((request, state)),
            None => drafts.push(Minutes {
                draft_id,
                versions: vec![(request, state)],
            }),
        }
    }
    let mut contents: Vec<&str> = opened.report.iter().map(String::as_str).collect();
    contents.extend(opened.messages.iter().filter_map(|m| m.content.as_deref()));
    let names = forwarding::file_names(&contents);
    html! {
        section.form-section id="minutes" aria-labelledby="minutes-heading" {
            h2 id="minutes-heading" { (t(lang, "minutes-heading")) }
            p { (t(lang, "minutes-explain")) }
            @match &opened.mailbox {
                ReportMailbox::NotJoined => p.note id="minutes-no-mailbox" { (t(lang, "minutes-no-mailbox")) },
                ReportMailbox::Conflicting => p.note id="minutes-no-mailbox" { (t(lang, "minutes-mailbox-conflicting")) },
                _ => {},
            }
            @if let Some(code) = &data.check_error {
                p.note role="status" id="minutes-check-unavailable" { (t(lang, "minutes-check-unavailable")) " (" (code) ")" }
            }
            @for (n, minutes) in drafts.iter().enumerate() {
                @let newest = minutes.newest();
                article.card.minutes id={ "minutes-" (minutes.draft_id) } data-draft=(minutes.draft_id) aria-labelledby={ "minutes-title-" (n) } {
                    h3 id={ "minutes-title-" (n) } { (tf(lang, "minutes-title", &[("number", Arg::Num(i64::try_from(n + 1).unwrap_or(0)))])) }
                    div.minutes-summary role="status" {
                        @match minutes.approved() {
                            Some((version, day)) => {
                                p.minutes-approved data-version=(version) data-day=(day) {
                                    strong { (tf(lang, "minutes-approved-summary", &[("version", Arg::Num(i64::from(version))), ("date", Arg::Str(day))])) }
                                }
                                @if let Some(newer) = newest.filter(|r| r.request.version > version) {
                                    p.minutes-newer-open { (tf(lang, "minutes-newer-open", &[("version", Arg::Num(i64::from(newer.request.version)))])) }
                                }
                            }
                            None => p.minutes-none-approved { (t(lang, "minutes-none-approved")) },
                        }
                    }
                    ol.minutes-versions {
                        @for (request, state) in &minutes.versions {
                            @let r = &request.request;
                            @let (class, words) = state_text(lang, state);
                            li.minutes-version id={ "minutes-" (minutes.draft_id) "-" (r.version) } data-version=(r.version) data-minutes-state=(state.code()) {
                                h4 { (tf(lang, "minutes-version", &[("version", Arg::Num(i64::from(r.version)))])) " · " (request.day) " · " span class=(class) { (words) } }
                                div.minutes-text {
                                    @for paragraph in r.text.split("\n\n") { p.text { (paragraph) } }
                                }
                                (forwarding::request_attachments(lang, &r.attachments))
                                @if let Some(hash) = request.hash.as_ref() {
                                    @let corrections: Vec<&Answer> = found.answers_to(hash).filter(|a| a.answer.decision != "approve").collect();
                                    @if !corrections.is_empty() {
                                        ul.answers {
                                            @for answer in corrections {
                                                li data-decision=(answer.answer.decision) {
                                                    (tf(lang, "minutes-corrections-asked", &[("date", Arg::Str(&answer.day))]))
                                                    @if let Some(comment) = answer.answer.comment.as_deref().filter(|c| !c.is_empty()) {
                                                        ": " q.minutes-corrections { (comment) }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    @if let Some(newest) = newest {
                        @if has_mailbox && before_join(newest) {
                            (send_to_reporter_form(page, opened, newest))
                        }
                        details.minutes-new-version {
                            summary id={ "minutes-new-version-" (minutes.draft_id) } { (t(lang, "minutes-new-version")) }
                            (minutes_form(page, opened, &names, Some(newest), has_mailbox))
                        }
                    }
                }
            }
            h3 { (t(lang, "minutes-write")) }
            (minutes_form(page, opened, &names, None, has_mailbox))
        }
    }
}

/// After an oral report is joined: the same minutes again, as a new
/// version sealed to the mailbox too.
fn send_to_reporter_form(page: &Page<'_>, opened: &OpenedThread, newest: &Request) -> Markup {
    let lang = page.lang;
    let r = &newest.request;
    html! {
        form.minutes-send method="post" enctype="multipart/form-data" action={ (page.base) "/reports/" (opened.thread.report_id) "/minutes" } {
            input type="hidden" name="csrf" value=(page.csrf);
            input type="hidden" name="report_hash" value=(opened.report_hash);
            input type="hidden" name="draft_id" value=(r.draft_id);
            input type="hidden" name="text" value=(r.text);
            @for a in &r.attachments {
                input type="hidden" name="attachment" value=(a.id);
            }
            p.note { (t(lang, "minutes-send-explain")) }
            button type="submit" id={ "minutes-send-to-reporter-" (r.draft_id) } { (t(lang, "minutes-send-to-reporter")) }
        }
    }
}

/// The minutes form: new minutes (no `draft`), or a new version of
/// `draft`, prefilled with its text and attachments.
fn minutes_form(
    page: &Page<'_>,
    opened: &OpenedThread,
    names: &HashMap<String, (String, String)>,
    draft: Option<&Request>,
    has_mailbox: bool,
) -> Markup {
    let lang = page.lang;
    let suffix = draft.map_or_else(|| "new".to_owned(), |d| d.item_id.clone());
    html! {
        form.minutes-form method="post" enctype="multipart/form-data" action={ (page.base) "/reports/" (opened.thread.report_id) "/minutes" } {
            (draft_fields(
                page,
                opened,
                names,
                draft,
                &DraftFieldNames {
                    prefix: "minutes",
                    suffix: &suffix,
                    text_label: &t(lang, "minutes-text-label"),
                    legend: &t(lang, "minutes-attachments-legend"),
                    none: &t(lang, "console-no-attachments"),
                },
                html! {
                    label for={ "minutes-file-" (suffix) } { (t(lang, "minutes-file-label")) }
                    input type="file" id={ "minutes-file-" (suffix) } name="file" aria-describedby={ "minutes-file-help-" (suffix) };
                    p.note id={ "minutes-file-help-" (suffix) } { (t(lang, "minutes-file-help")) }
                },
            ))
            p.note {
                @if has_mailbox { (t(lang, "minutes-request-explain")) } @else { (t(lang, "minutes-keep-explain")) }
            }
            button type="submit" id={ "minutes-submit-" (suffix) } {
                @if draft.is_some() { (t(lang, "minutes-post-new-version")) }
                @else if has_mailbox { (t(lang, "minutes-send-for-approval")) }
                @else { (t(lang, "minutes-keep")) }
            }
        }
    }
}

/// A file uploaded with the minutes, held in memory (wiped on drop).
struct Upload {
    name: String,
    content_type: String,
    content: Zeroizing<Vec<u8>>,
}

/// The file name of an upload as the reporter will see it: its last path
/// part, control characters removed, cut to the subject's limit.
fn upload_name(given: &str) -> String {
    let last = given.rsplit(['/', '\\']).next().unwrap_or("");
    let mut name: String = last.chars().filter(|c| !c.is_control()).collect();
    while name.len() > MAX_NAME_BYTES {
        name.pop();
    }
    if name.trim().is_empty() {
        "opname".to_owned()
    } else {
        name
    }
}

/// A media type as the browser gave it, if it looks like one; else
/// `application/octet-stream`.
fn upload_type(given: Option<&str>) -> String {
    match given {
        Some(t)
            if t.len() <= MAX_NAME_BYTES
                && t.contains('/')
                && t.bytes().all(|b| b.is_ascii_graphic() || b == b' ') =>
        {
            t.to_owned()
        }
        _ => "application/octet-stream".to_owned(),
    }
}

/// The fields of the minutes form as read: the text fields (as far as
/// they could be read, so a refusal can still be checked against the CSRF
/// token and answered in words) and the file if one was chosen, or why the
/// form was refused.
struct ReadForm {
    fields: Vec<(String, String)>,
    upload: Result<Option<Upload>, Stop>,
}

/// Reads the multipart form. A browser sends an empty part without a file
/// name when no file was chosen; a named file without bytes, a second
/// file or one over [`MAX_UPLOAD_BYTES`] is refused, and so is a body that
/// is no multipart form.
async fn read_form(mut multipart: Multipart) -> ReadForm {
    let mut fields = Vec::new();
    let mut upload = Ok(None);
    loop {
        let mut part = match multipart.next_field().await {
            Ok(Some(part)) => part,
            Ok(None) => break,
            Err(_) => {
                upload = Err(Stop::Refused(Refusal::BadForm));
                break;
            }
        };
        let name = part.name().unwrap_or("").to_owned();
        if name != "file" {
            match part.text().await {
                Ok(value) => fields.push((name, value)),
                Err(_) => upload = Err(Stop::Refused(Refusal::BadForm)),
            }
            continue;
        }
        let file_name = part.file_name().unwrap_or("").to_owned();
        let content_type = upload_type(part.content_type());
        let mut content = Zeroizing::new(Vec::new());
        let mut readable = true;
        loop {
            match part.chunk().await {
                Ok(Some(chunk)) if content.len() + chunk.len() <= MAX_UPLOAD_BYTES => {
                    content.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Ok(Some(_)) | Err(_) => {
                    readable = false;
                    break;
                }
            }
        }
        if readable && file_name.is_empty() && content.is_empty() {
            continue;
        }
        upload = match upload {
            Ok(None) if readable && !content.is_empty() => Ok(Some(Upload {
                name: upload_name(&file_name),
                content_type,
                content,
            })),
            Err(stop) => Err(stop),
            _ => Err(Stop::Refused(Refusal::BadFile)),
        };
        if !readable {
            // The rest of the body cannot be read past a broken part.
            break;
        }
    }
    ReadForm { fields, upload }
}

/// The route's body limit: a recording may be large.
pub(crate) fn body_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(MAX_FORM_BYTES)
}

/// `POST /reports/{id}/minutes`: new minutes, or a new version of them,
/// with an optional uploaded file; posted as an approval request.
pub(crate) async fn post(
    State(state): State<Arc<ConsoleState>>,
    headers: HeaderMap,
    Path(report_id): Path<String>,
    multipart: Multipart,
) -> Response {
    // The session cookie and the Host before reading a large body; the
    // CSRF token (inside the body) right after.
    if let Err(refused) = state.admit(&headers) {
        return refused.into_response();
    }
    let ReadForm { fields, upload } = read_form(multipart).await;
    let (lang, report_id) =
        match state.admit_report_post(&headers, &field(&fields, "csrf"), &report_id) {
            Ok(admitted) => admitted,
            Err(refused) => return *refused,
        };
    let result = match upload {
        Ok(upload) => post_minutes(&state, &report_id, &fields, upload).await,
        Err(stop) => Err(stop),
    };
    after_post(&state, lang, &report_id, "minutes", result)
}

async fn post_minutes(
    state: &Arc<ConsoleState>,
    report_id: &str,
    form: &[(String, String)],
    upload: Option<Upload>,
) -> Result<(), Stop> {
    let mut draft = prepare_draft(state, report_id, form, SubjectKind::Minutes).await?;
    if let Some(upload) = upload {
        // Sealed like every advisor attachment of the report, then named
        // in the request by what was sealed.
        let sha256: [u8; 32] = Sha256::digest(upload.content.as_slice()).into();
        let size = upload.content.len() as u64;
        let sealed = state
            .seal_advisor_item(
                draft.header.clone(),
                draft.header.report_id,
                draft.config.clone(),
                report_id,
                ItemKind::Attachment,
                upload.content,
            )
            .await?;
        let stored = state.client.post_attachment(report_id, sealed).await?;
        let item_id =
            ItemId::from_hex(&stored).map_err(|_| Error::Protocol("the attachment's id"))?;
        draft.subject.attachments.push(SubjectAttachment {
            item_id,
            sha256,
            size,
            name: upload.name,
            content_type: upload.content_type,
        });
    }
    draft.post(state, report_id).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::forwarding::{classify, request_json, OpenedMessage, APPROVAL_FORMAT};
    use serde_json::{json, Value};

    fn key(byte: u8) -> PublicKey {
        PublicKey::from_bytes([byte; 32])
    }

    fn subject(version: u32, text: &str) -> ApprovalSubject {
        ApprovalSubject {
            kind: SubjectKind::Minutes,
            tenant: TenantId::new("acme").expect("valid"),
            report_id: ItemId([1; 16]),
            draft_id: [2; 16],
            version,
            text: text.into(),
            attachments: Vec::new(),
            recipients: Vec::new(),
        }
    }

    fn message(sender: PublicKey, content: Value, day: &str) -> OpenedMessage {
        OpenedMessage {
            id: hex::encode(&Sha256::digest(content.to_string())[..16]),
            day: day.into(),
            sender,
            content: content.to_string(),
        }
    }

    fn answer(hash: &[u8; 32], version: u32, decision: &str) -> Value {
        json!({"format": APPROVAL_FORMAT, "subject": "minutes", "draft_id": hex::encode([2u8; 16]),
               "version": version, "subject_hash": hex::encode(hash), "decision": decision,
               "comment": "CANARY corrections"})
    }

    fn states(messages: &[OpenedMessage], mailbox: Option<&PublicKey>) -> Vec<VersionState> {
        let advisor = key(11);
        let found = classify(
            messages,
            mailbox,
            &[advisor],
            &TenantId::new("acme").expect("valid"),
            ItemId([1; 16]),
            SubjectKind::Minutes,
        );
        found
            .requests
            .iter()
            .map(|r| version_state(&found, r, mailbox.is_some(), || true))
            .collect()
    }

    #[test]
    fn corrections_then_a_new_version_approved() {
        let (mailbox, advisor) = (key(10), key(11));
        let (v1, v2) = (subject(1, "eerste"), subject(2, "tweede"));
        let (h1, h2) = (v1.hash().expect("hash"), v2.hash().expect("hash"));
        let messages = vec![
            message(advisor, request_json(&v1).expect("json"), "2026-12-01"),
            message(mailbox, answer(&h1, 1, "decline"), "2026-12-02"),
            message(advisor, request_json(&v2).expect("json"), "2026-12-03"),
            message(mailbox, answer(&h2, 2, "approve"), "2026-12-04"),
        ];
        assert_eq!(
            states(&messages, Some(&mailbox)),
            [
                VersionState::Corrections,
                VersionState::Approved {
                    day: "2026-12-04".into()
                }
            ]
        );
    }

    #[test]
    fn a_forward_request_is_no_minutes_and_no_mailbox_keeps_them() {
        let advisor = key(11);
        let mut forward = subject(1, "x");
        forward.kind = SubjectKind::Forward;
        let messages = vec![
            message(advisor, request_json(&forward).expect("json"), "2026-12-01"),
            message(
                advisor,
                request_json(&subject(1, "y")).expect("json"),
                "2026-12-01",
            ),
        ];
        assert_eq!(states(&messages, None), [VersionState::Kept]);
    }

    #[test]
    fn upload_names_lose_paths_and_control_characters() {
        assert_eq!(upload_name("C:\\Users\\a\\opname.webm"), "opname.webm");
        assert_eq!(upload_name("../../x\u{7}.ogg"), "x.ogg");
        assert_eq!(upload_name(""), "opname");
        assert_eq!(upload_type(Some("audio/webm")), "audio/webm");
        assert_eq!(upload_type(Some("nonsense")), "application/octet-stream");
    }
}
