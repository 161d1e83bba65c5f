//! Forwarding a case to a forward recipient (HR, a complaints committee),
//! only with the reporter's sealed approval of the exact draft (issue 12).
//!
//! The advisor writes a draft here (a text, chosen attachments of the
//! thread, one forward recipient confirmed aloud) and the console posts it
//! into the thread as an approval request (`meldkluis-approval-request/1`,
//! `web-client/REPORT-CONTENT.md`), sealed like every advisor message. The
//! reporter's mailbox shows the exact draft and answers with an approval
//! (`meldkluis-approval/1`) sealed by the mailbox key, naming the draft's
//! subject hash ([`meldkluis_crypto_core::approval`]).
//!
//! "Forward now" acts only when, checked again at that moment:
//!
//! - the report is the one the advisor read (its pin, [`crate::pins`]);
//! - the draft is an approval request sealed by this advisor or an enrolled
//!   advisor, the newest version of its draft;
//! - the recipient is named in that draft, confirmed aloud as a `forward`
//!   line of the enrolled-keys file and served by the server as `forward`;
//! - the console downloads and opens every attachment it is about to send
//!   and recomputes the subject hash from those exact bytes, the draft's
//!   text and the recipient's key and label;
//! - an item sealed by the report's mailbox key (the pinned one; not an
//!   advisor's, not the server's) approves exactly that hash, and no item of
//!   the mailbox key declines or withdraws it (wherever the server puts it
//!   in the thread: a server that reorders the thread cannot turn a
//!   withdrawal into an earlier one);
//! - it was not used before: the forward's item id is derived from the
//!   subject hash ([`forward_item_id`]), so a second forward of the same
//!   approval shows in `GET …/forwards` and is refused by the server as a
//!   duplicate id.
//!
//! Then the attachments are sealed anew as attachment items to that one
//! recipient's key, and the `meldkluis-forward/1` item too: nobody else
//! (no advisor, not the mailbox, not the server, not another recipient)
//! can open them.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use meldkluis_crypto_core::approval::{
    ApprovalSubject, SubjectAttachment, SubjectKind, SubjectRecipient, DRAFT_ID_LEN,
    MAX_ATTACHMENTS,
};
use meldkluis_crypto_core::{
    os_rng, seal_item, ItemHeader, ItemId, ItemKind, PublicKey, SealParams, TenantId, Zeroizing,
};
use meldkluis_i18n::{t, tf, Arg, Lang};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

use super::pages::{short_id, Page};
use super::{
    canonical_id, not_taken, refused_input, same_report, ConsoleState, NotTaken, OpenedThread,
    SameReport, MAX_REPLY_BYTES,
};
use crate::client::{Forward, PublicConfig, Thread};
use crate::enrolled::{
    check_served_recipients, sealable_recipients, ConfirmedRecipient, RecipientRole,
    RecipientSubstitution, ServedRecipient,
};
use crate::reading;
use crate::Error;

/// The content format of an approval request.
pub const REQUEST_FORMAT: &str = "meldkluis-approval-request/1";
/// The content format of the reporter's answer.
pub const APPROVAL_FORMAT: &str = "meldkluis-approval/1";
/// The content format of the reporter's wish to have the case forwarded.
pub const WISH_FORMAT: &str = "meldkluis-forward-wish/1";
/// The content format of a forward.
pub const FORWARD_FORMAT: &str = "meldkluis-forward/1";

/// The label of the forward item id's derivation.
const FORWARD_ID_LABEL: &[u8] = b"meldkluis forward item id v1";

/// The item id of the forward made with the approval of `subject_hash`:
/// the first 16 bytes of SHA-256("meldkluis forward item id v1" ||
/// subject hash). One approval gives one forward: a second one has the
/// same id, so it shows in the report's forwards and the server refuses it
/// as a duplicate. (The server learns a hash of a hash, not the draft.)
pub fn forward_item_id(subject_hash: &[u8; 32]) -> ItemId {
    let digest = Sha256::new()
        .chain_update(FORWARD_ID_LABEL)
        .chain_update(subject_hash)
        .finalize();
    let mut id = [0u8; 16];
    id.copy_from_slice(&digest[..16]);
    ItemId(id)
}

/// One attachment as an approval request names it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RequestAttachment {
    /// The attachment item of the thread (32 hex).
    pub id: String,
    /// The file name.
    pub name: String,
    /// The media type.
    #[serde(rename = "type")]
    pub content_type: String,
    /// Bytes of the content.
    pub size: u64,
    /// SHA-256 of the content (64 hex).
    pub sha256: String,
}

/// One recipient as an approval request names it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RequestRecipient {
    /// The recipient's key (64 hex).
    pub public_key: String,
    /// The label shown to the reporter.
    pub label: String,
    /// `forward`.
    #[serde(default)]
    pub role: String,
}

/// An approval request (`meldkluis-approval-request/1`), as posted.
#[derive(Debug, Clone, Deserialize)]
pub struct ApprovalRequest {
    /// `forward` (or `minutes`, issue 13).
    pub subject: String,
    /// The draft (32 hex), kept across versions.
    pub draft_id: String,
    /// 1, 2, …
    pub version: u32,
    /// The text exactly as the reporter is shown it.
    pub text: String,
    /// The attachments, in the order shown.
    #[serde(default)]
    pub attachments: Vec<RequestAttachment>,
    /// The recipients, in the order shown.
    #[serde(default)]
    pub recipients: Vec<RequestRecipient>,
    /// The hash the sender computed (never trusted: recomputed).
    #[serde(default)]
    pub subject_hash: String,
}

impl ApprovalRequest {
    /// The subject these fields describe, for `tenant`'s report
    /// `report_id`; `None` when a field does not parse or a limit is
    /// broken.
    pub fn subject(&self, tenant: &TenantId, report_id: ItemId) -> Option<ApprovalSubject> {
        let kind = SubjectKind::from_name(&self.subject).ok()?;
        let mut draft_id = [0u8; DRAFT_ID_LEN];
        hex::decode_to_slice(&self.draft_id, &mut draft_id).ok()?;
        let attachments = self
            .attachments
            .iter()
            .map(|a| {
                let mut sha256 = [0u8; 32];
                hex::decode_to_slice(&a.sha256, &mut sha256).ok()?;
                Some(SubjectAttachment {
                    item_id: ItemId::from_hex(&a.id).ok()?,
                    sha256,
                    size: a.size,
                    name: a.name.clone(),
                    content_type: a.content_type.clone(),
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let recipients = self
            .recipients
            .iter()
            .map(|r| {
                Some(SubjectRecipient {
                    public_key: PublicKey::from_hex(&r.public_key).ok()?,
                    label: r.label.clone(),
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let subject = ApprovalSubject {
            kind,
            tenant: tenant.clone(),
            report_id,
            draft_id,
            version: self.version,
            text: self.text.clone(),
            attachments,
            recipients,
        };
        subject.check().ok()?;
        Some(subject)
    }
}

/// The JSON of an approval request for `subject` (its hash computed here).
pub fn request_json(subject: &ApprovalSubject) -> Result<Value, Error> {
    let hash = subject.hash()?;
    Ok(json!({
        "format": REQUEST_FORMAT,
        "subject": subject.kind.name(),
        "draft_id": hex::encode(subject.draft_id),
        "version": subject.version,
        "text": subject.text,
        "attachments": subject.attachments.iter().map(|a| json!({
            "id": a.item_id.to_hex(),
            "name": a.name,
            "type": a.content_type,
            "size": a.size,
            "sha256": hex::encode(a.sha256),
        })).collect::<Vec<_>>(),
        "recipients": subject.recipients.iter().map(|r| json!({
            "public_key": r.public_key.to_hex(),
            "label": r.label,
            "role": RecipientRole::Forward.code(),
        })).collect::<Vec<_>>(),
        "subject_hash": hex::encode(hash),
    }))
}

/// The reporter's answer to an approval request (`meldkluis-approval/1`).
#[derive(Debug, Clone, Deserialize)]
pub struct ApprovalAnswer {
    /// The subject hash the reporter's mailbox computed (64 hex). (The
    /// draft id and version it also names are bound by the hash.)
    pub subject_hash: String,
    /// `approve`, `decline` or `withdraw`.
    pub decision: String,
    /// Optional words.
    #[serde(default)]
    pub comment: Option<String>,
}

/// One opened message of the thread, as far as forwarding needs it.
#[derive(Debug, Clone)]
pub(crate) struct OpenedMessage {
    pub(crate) id: String,
    pub(crate) day: String,
    /// The sealer, from the opened (so authentic) header.
    pub(crate) sender: PublicKey,
    pub(crate) content: String,
}

/// An authentic approval request of the thread.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub(crate) item_id: String,
    pub(crate) day: String,
    pub(crate) request: ApprovalRequest,
    /// The hash recomputed from the request's fields; `None` when they do
    /// not parse, or when the hash the request states is another (the
    /// reporter's mailbox refuses such a request too).
    pub(crate) hash: Option<[u8; 32]>,
}

/// An answer sealed by the report's mailbox key.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub(crate) day: String,
    pub(crate) answer: ApprovalAnswer,
}

/// A forward wish sealed by the report's mailbox key.
#[derive(Debug, Clone)]
pub(crate) struct Wish {
    pub(crate) day: String,
    pub(crate) text: String,
}

/// The forwarding items of a thread, each from whom it must come.
#[derive(Debug, Clone, Default)]
pub(crate) struct ThreadForwarding {
    /// Approval requests sealed by a trusted advisor key, in thread order.
    pub(crate) requests: Vec<Request>,
    /// Answers sealed by the report's mailbox key, in thread order.
    pub(crate) answers: Vec<Answer>,
    /// Wishes sealed by the report's mailbox key.
    pub(crate) wishes: Vec<Wish>,
}

/// Sorts the opened messages: approval requests about `kind` (forward
/// drafts or minutes) only from `advisors` (this advisor's keys and the
/// enrolled advisor keys), answers and wishes only from `mailbox` (the
/// report's pinned mailbox key; `None` for a report without a mailbox,
/// where nothing counts as the reporter's). Anything else — a "reporter"
/// answer sealed by an advisor key, a request from a key only the server
/// names — is no approval item. Forwarding and minutes share this.
pub(crate) fn classify(
    messages: &[OpenedMessage],
    mailbox: Option<&PublicKey>,
    advisors: &[PublicKey],
    tenant: &TenantId,
    report_id: ItemId,
    kind: SubjectKind,
) -> ThreadForwarding {
    let mut found = ThreadForwarding::default();
    for message in messages {
        let Ok(value) = serde_json::from_str::<Value>(&message.content) else {
            continue;
        };
        let format = value["format"].as_str().unwrap_or("");
        if Some(&message.sender) == mailbox {
            if format == APPROVAL_FORMAT {
                if let Ok(answer) = serde_json::from_value::<ApprovalAnswer>(value) {
                    found.answers.push(Answer {
                        day: message.day.clone(),
                        answer,
                    });
                }
            } else if format == WISH_FORMAT {
                found.wishes.push(Wish {
                    day: message.day.clone(),
                    text: value["text"].as_str().unwrap_or("").to_owned(),
                });
            }
        } else if advisors.contains(&message.sender) && format == REQUEST_FORMAT {
            if let Ok(request) = serde_json::from_value::<ApprovalRequest>(value) {
                if request.subject != kind.name() {
                    continue;
                }
                let hash = request
                    .subject(tenant, report_id)
                    .and_then(|s| s.hash().ok())
                    .filter(|h| hex::encode(h).eq_ignore_ascii_case(&request.subject_hash));
                found.requests.push(Request {
                    item_id: message.id.clone(),
                    day: message.day.clone(),
                    request,
                    hash,
                });
            }
        }
    }
    found
}

/// Where a draft stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Standing {
    /// No answer of the reporter yet.
    Awaiting,
    /// Approved, not declined or withdrawn, not yet used.
    Approved,
    /// Declined.
    Declined,
    /// Approved, then withdrawn.
    Withdrawn,
    /// Forwarded with this approval.
    Forwarded,
    /// The request's fields do not parse: nothing can be approved.
    Broken,
}

impl ThreadForwarding {
    /// The reporter's answers about `hash`.
    pub(crate) fn answers_to<'a>(&'a self, hash: &'a [u8; 32]) -> impl Iterator<Item = &'a Answer> {
        let hex_hash = hex::encode(hash);
        self.answers
            .iter()
            .filter(move |a| a.answer.subject_hash.eq_ignore_ascii_case(&hex_hash))
    }

    /// Where the draft with `hash` stands, given the forwards made.
    pub(crate) fn standing(&self, hash: Option<&[u8; 32]>, forwards: &[Forward]) -> Standing {
        let Some(hash) = hash else {
            return Standing::Broken;
        };
        let forward_id = forward_item_id(hash).to_hex();
        if forwards
            .iter()
            .any(|f| f.item_id.eq_ignore_ascii_case(&forward_id))
        {
            return Standing::Forwarded;
        }
        let decided = |decision: &str| self.decided(hash, decision);
        if decided("withdraw") {
            Standing::Withdrawn
        } else if decided("decline") {
            Standing::Declined
        } else if decided("approve") {
            Standing::Approved
        } else {
            Standing::Awaiting
        }
    }

    /// Whether the reporter's mailbox key sealed an answer `decision` about
    /// exactly `hash`, anywhere in the thread: the server orders the
    /// thread, so a decline or withdrawal counts wherever it is put.
    pub(crate) fn decided(&self, hash: &[u8; 32], decision: &str) -> bool {
        self.answers_to(hash).any(|a| a.answer.decision == decision)
    }

    /// The newest version of each draft.
    pub(crate) fn newest_version(&self, draft_id: &str) -> u32 {
        self.requests
            .iter()
            .filter(|r| r.request.draft_id.eq_ignore_ascii_case(draft_id))
            .map(|r| r.request.version)
            .max()
            .unwrap_or(0)
    }

    /// The request of a draft's version (the first, should an advisor have
    /// posted two).
    pub(crate) fn request(&self, draft_id: &str, version: u32) -> Option<&Request> {
        self.requests.iter().find(|r| {
            r.request.draft_id.eq_ignore_ascii_case(draft_id) && r.request.version == version
        })
    }
}

/// Attachment id → (file name, media type), as the opened report and
/// messages name their files.
pub(crate) fn file_names(contents: &[&str]) -> HashMap<String, (String, String)> {
    let mut names = HashMap::new();
    for text in contents {
        let Ok(value) = serde_json::from_str::<Value>(text) else {
            continue;
        };
        for file in value["attachments"].as_array().into_iter().flatten() {
            if let (Some(id), Some(name)) = (file["id"].as_str(), file["name"].as_str()) {
                let content_type = file["type"].as_str().unwrap_or("application/octet-stream");
                names
                    .entry(id.to_ascii_lowercase())
                    .or_insert_with(|| (name.to_owned(), content_type.to_owned()));
            }
        }
    }
    names
}

/// What the report page's forwarding section needs besides the thread.
#[derive(Debug)]
pub(crate) struct ForwardingData {
    /// The forwards made of this report (`GET …/forwards`).
    pub(crate) forwards: Result<Vec<Forward>, Error>,
    /// The forward recipients the console may seal to: confirmed aloud and
    /// served as `forward`.
    pub(crate) sealable: Vec<ConfirmedRecipient>,
    /// Forward recipients the server serves that are not confirmed yet.
    pub(crate) unconfirmed: usize,
    /// Confirmed recipients the server no longer serves as confirmed.
    pub(crate) findings: Vec<RecipientSubstitution>,
    /// Whether the served recipients could be fetched.
    pub(crate) recipients_error: Option<Error>,
    /// This advisor's keys and the enrolled advisor keys: whose requests
    /// count.
    pub(crate) advisors: Vec<PublicKey>,
    pub(crate) tenant: TenantId,
}

impl ConsoleState {
    /// This advisor's keys (current and earlier) and the enrolled advisor
    /// keys: the senders whose approval requests count.
    pub(crate) fn request_senders(&self) -> Vec<PublicKey> {
        let mut keys = vec![self.public_key];
        keys.extend(self.enrolled.earlier.iter().copied());
        keys.extend(self.enrolled.advisor_keys());
        keys
    }
}

/// Fetches what the forwarding section shows besides the thread. A server
/// without these routes (or a failure) leaves the section with a note,
/// never the report page without its report.
pub(crate) async fn load(state: &ConsoleState, report_id: &str) -> ForwardingData {
    let forwards = state.client.forwards(report_id).await;
    let (sealable, unconfirmed, findings, recipients_error) = match state.client.recipients().await
    {
        Ok(served) => {
            let sealable: Vec<ConfirmedRecipient> =
                sealable_recipients(&state.enrolled, &served, RecipientRole::Forward)
                    .into_iter()
                    .cloned()
                    .collect();
            let unconfirmed = served
                .iter()
                .filter(|s| s.role() == Some(RecipientRole::Forward))
                .filter(|s| !sealable.iter().any(|c| c.public_key == s.public_key))
                .count();
            let findings = check_served_recipients(&state.enrolled, &served);
            (sealable, unconfirmed, findings, None)
        }
        Err(error) => (Vec::new(), 0, Vec::new(), Some(error)),
    };
    ForwardingData {
        forwards,
        sealable,
        unconfirmed,
        findings,
        recipients_error,
        advisors: state.request_senders(),
        tenant: state.client.tenant().clone(),
    }
}

/// The approval items about `kind` of the report page's opened thread,
/// answers counting only from `mailbox`.
pub(crate) fn shown_approvals(
    opened: &OpenedThread,
    mailbox: Option<&PublicKey>,
    advisors: &[PublicKey],
    tenant: &TenantId,
    kind: SubjectKind,
) -> ThreadForwarding {
    let (Some(_), Ok(report_id)) = (
        opened.report_pin,
        ItemId::from_hex(&opened.thread.report_id),
    ) else {
        return ThreadForwarding::default();
    };
    let messages: Vec<OpenedMessage> = opened
        .messages
        .iter()
        .filter_map(|m| {
            Some(OpenedMessage {
                id: m.id.clone(),
                day: m.day.clone(),
                sender: m.sender_key?,
                content: m.content.clone()?,
            })
        })
        .collect();
    classify(&messages, mailbox, advisors, tenant, report_id, kind)
}

/// The forwarding items of the report page's opened thread.
fn shown_forwarding(opened: &OpenedThread, data: &ForwardingData) -> ThreadForwarding {
    shown_approvals(
        opened,
        opened.mailbox.key().as_ref(),
        &data.advisors,
        &data.tenant,
        SubjectKind::Forward,
    )
}

pub(crate) fn kib(size: u64) -> Arg<'static> {
    Arg::Num(i64::try_from(size.div_ceil(1024)).unwrap_or(i64::MAX))
}

/// The attachments a request (a forward draft, minutes) names: name,
/// type and size; nothing when it names none.
pub(crate) fn request_attachments(lang: Lang, attachments: &[RequestAttachment]) -> Markup {
    html! {
        @if !attachments.is_empty() {
            p { (t(lang, "console-attachments")) ":" }
            ul.files {
                @for a in attachments {
                    li { (a.name) " (" (a.content_type) ", " (tf(lang, "console-size", &[("kib", kib(a.size))])) ")" }
                }
            }
        }
    }
}

fn standing_text(lang: Lang, standing: Standing) -> (&'static str, String) {
    let (class, id) = match standing {
        Standing::Awaiting => ("badge due-soon", "console-forward-standing-awaiting"),
        Standing::Approved => ("badge on-track", "console-forward-standing-approved"),
        Standing::Declined => ("badge overdue", "console-forward-standing-declined"),
        Standing::Withdrawn => ("badge overdue", "console-forward-standing-withdrawn"),
        Standing::Forwarded => ("badge held", "console-forward-standing-forwarded"),
        Standing::Broken => ("badge overdue", "console-forward-standing-broken"),
    };
    (class, t(lang, id))
}

fn decision_text(lang: Lang, answer: &Answer) -> String {
    let id = match answer.answer.decision.as_str() {
        "approve" => "console-forward-answer-approve",
        "decline" => "console-forward-answer-decline",
        "withdraw" => "console-forward-answer-withdraw",
        _ => "console-forward-answer-other",
    };
    tf(lang, id, &[("date", Arg::Str(&answer.day))])
}

/// How [`draft_fields`] names and labels its fields.
pub(crate) struct DraftFieldNames<'a> {
    /// Ids start with `{prefix}-text-`, `{prefix}-attachment-`.
    pub(crate) prefix: &'a str,
    /// Ids end with it: `new`, or the draft's request item id.
    pub(crate) suffix: &'a str,
    pub(crate) text_label: &'a str,
    pub(crate) legend: &'a str,
    /// Said when the thread has no attachment.
    pub(crate) none: &'a str,
}

/// The fields a forward draft and minutes share: the hidden ones (the
/// CSRF token, the hash of the report read and, for a new version, the
/// draft's id), the text (prefilled with `draft`'s) and a checkbox per
/// attachment of the thread (checked when `draft` names it), with `more`
/// at the end of the attachments' fieldset.
pub(crate) fn draft_fields(
    page: &Page<'_>,
    opened: &OpenedThread,
    names: &HashMap<String, (String, String)>,
    draft: Option<&Request>,
    field_names: &DraftFieldNames<'_>,
    more: Markup,
) -> Markup {
    let DraftFieldNames {
        prefix,
        suffix,
        text_label,
        legend,
        none,
    } = field_names;
    let chosen = |attachment: &str| {
        draft.is_some_and(|d| {
            d.request
                .attachments
                .iter()
                .any(|a| a.id.eq_ignore_ascii_case(attachment))
        })
    };
    html! {
        input type="hidden" name="csrf" value=(page.csrf);
        input type="hidden" name="report_hash" value=(opened.report_hash);
        @if let Some(draft) = draft {
            input type="hidden" name="draft_id" value=(draft.request.draft_id);
        }
        label for={ (prefix) "-text-" (suffix) } { (text_label) }
        textarea id={ (prefix) "-text-" (suffix) } name="text" required maxlength="60000" {
            (draft.map_or("", |d| d.request.text.as_str()))
        }
        fieldset {
            legend { (legend) }
            @if opened.attachments.is_empty() {
                p { (none) }
            }
            @for attachment in &opened.attachments {
                @let field = format!("{prefix}-attachment-{suffix}-{}", attachment.id);
                div.choice {
                    input type="checkbox" id=(field) name="attachment" value=(attachment.id) checked[chosen(&attachment.id)];
                    label for=(field) {
                        (names.get(&attachment.id).map_or_else(|| format!("meldkluis-{}.bin", short_id(&attachment.id)), |(name, _)| name.clone()))
                        " · " (attachment.day)
                    }
                }
            }
            (more)
        }
    }
}

/// The draft form: new (no `draft`) or a new version of `draft`,
/// prefilled with it.
fn draft_form(
    page: &Page<'_>,
    opened: &OpenedThread,
    data: &ForwardingData,
    names: &HashMap<String, (String, String)>,
    draft: Option<&Request>,
) -> Markup {
    let lang = page.lang;
    let id = &opened.thread.report_id;
    let suffix = draft.map_or_else(|| "new".to_owned(), |d| d.item_id.clone());
    let chosen_recipient = |key: &PublicKey| {
        draft.is_some_and(|d| {
            d.request
                .recipients
                .iter()
                .any(|r| r.public_key.eq_ignore_ascii_case(&key.to_hex()))
        })
    };
    html! {
        form.forward-draft method="post" action={ (page.base) "/reports/" (id) "/forward/request" } {
            (draft_fields(
                page,
                opened,
                names,
                draft,
                &DraftFieldNames {
                    prefix: "forward",
                    suffix: &suffix,
                    text_label: &t(lang, "console-forward-text-label"),
                    legend: &t(lang, "console-forward-attachments-legend"),
                    none: &t(lang, "console-no-attachments"),
                },
                html! {},
            ))
            fieldset {
                legend { (t(lang, "console-forward-recipient-legend")) }
                @if data.sealable.is_empty() {
                    p { (t(lang, "console-forward-no-recipient")) " " a href={ (page.base) "/recipients" } { (t(lang, "console-nav-recipients")) } }
                }
                @for (i, recipient) in data.sealable.iter().enumerate() {
                    @let field = format!("forward-recipient-{suffix}-{i}");
                    div.choice {
                        input type="radio" id=(field) name="recipient" value=(recipient.public_key.to_hex()) required checked[chosen_recipient(&recipient.public_key) || data.sealable.len() == 1];
                        label for=(field) {
                            (recipient.label) " · "
                            span.fingerprint { (recipient.public_key.fingerprint()) }
                        }
                    }
                }
            }
            p.note { (t(lang, "console-forward-request-explain")) }
            button type="submit" disabled[data.sealable.is_empty()] {
                @if draft.is_some() { (t(lang, "console-forward-request-new-version")) } @else { (t(lang, "console-forward-request-button")) }
            }
        }
    }
}

/// The report page's forwarding section: the reporter's wishes, every
/// draft with the reporter's answers and, only for a valid approval, the
/// "Forward now" button; the forwards made; the form for a new draft.
pub(crate) fn section(page: &Page<'_>, opened: &OpenedThread, data: &ForwardingData) -> Markup {
    let lang = page.lang;
    let id = &opened.thread.report_id;
    let found = shown_forwarding(opened, data);
    let forwards: &[Forward] = data.forwards.as_deref().unwrap_or(&[]);
    let mut contents: Vec<&str> = opened.report.iter().map(String::as_str).collect();
    contents.extend(opened.messages.iter().filter_map(|m| m.content.as_deref()));
    let names = file_names(&contents);
    html! {
        section.form-section id="forwarding" aria-labelledby="forwarding-heading" {
            h2 id="forwarding-heading" { (t(lang, "console-forward-heading")) }
            p { (t(lang, "console-forward-explain")) }
            @if let Some(error) = &data.recipients_error {
                p.note role="status" id="forward-recipients-unavailable" { (t(lang, "console-forward-recipients-unavailable")) " (" (error_code(error)) ")" }
            }
            @if !data.findings.is_empty() {
                div.alarm role="alert" id="forward-recipient-substitution" {
                    p { strong { (t(lang, "console-recipients-warn-title")) } " " (t(lang, "console-recipients-warn-explain")) }
                    ul {
                        @for finding in &data.findings {
                            li { (super::recipients::finding_text(lang, finding)) }
                        }
                    }
                    p { a href={ (page.base) "/recipients" } { (t(lang, "console-nav-recipients")) } }
                }
            }
            @if data.unconfirmed > 0 {
                p.note id="forward-unconfirmed" {
                    (tf(lang, "console-forward-unconfirmed", &[("count", Arg::Num(i64::try_from(data.unconfirmed).unwrap_or(0)))]))
                    " " a href={ (page.base) "/recipients" } { (t(lang, "console-nav-recipients")) }
                }
            }
            @if !found.wishes.is_empty() {
                h3 { (t(lang, "console-forward-wishes")) }
                @for wish in &found.wishes {
                    article.message.forward-wish {
                        p { strong { (t(lang, "console-from-reporter")) } " · " (wish.day) }
                        @for paragraph in wish.text.split("\n\n") { p.text { (paragraph) } }
                    }
                }
            }
            h3 { (t(lang, "console-forward-drafts")) }
            @if found.requests.is_empty() {
                p { (t(lang, "console-forward-no-drafts")) }
            }
            @for request in &found.requests {
                @let r = &request.request;
                @let standing = found.standing(request.hash.as_ref(), forwards);
                @let newest = found.newest_version(&r.draft_id) == r.version;
                @let (class, standing_words) = standing_text(lang, standing);
                article.card.approval-request data-draft=(r.draft_id) data-version=(r.version) data-standing=(format!("{standing:?}").to_lowercase()) {
                    h4 { (tf(lang, "console-forward-draft-title", &[("draft", Arg::Str(&short_id(&r.draft_id))), ("version", Arg::Num(i64::from(r.version)))])) }
                    p { (request.day) " · " span class=(class) { (standing_words) } }
                    @if !newest {
                        p.note { (t(lang, "console-forward-superseded")) }
                    }
                    @for paragraph in r.text.split("\n\n") { p.text { (paragraph) } }
                    (request_attachments(lang, &r.attachments))
                    @for recipient in &r.recipients {
                        p { (t(lang, "console-forward-to")) " " strong { (recipient.label) } }
                    }
                    @if let Some(hash) = request.hash.as_ref() {
                        @let answers: Vec<&Answer> = found.answers_to(hash).collect();
                        @if !answers.is_empty() {
                            ul.answers {
                                @for answer in answers {
                                    li data-decision=(answer.answer.decision) {
                                        (decision_text(lang, answer))
                                        @if let Some(comment) = answer.answer.comment.as_deref().filter(|c| !c.is_empty()) {
                                            ": " q { (comment) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    @if standing == Standing::Approved && newest {
                        @for recipient in r.recipients.iter().filter(|rr| data.sealable.iter().any(|c| c.public_key.to_hex().eq_ignore_ascii_case(&rr.public_key))) {
                            form method="post" action={ (page.base) "/reports/" (id) "/forward" } {
                                input type="hidden" name="csrf" value=(page.csrf);
                                input type="hidden" name="report_hash" value=(opened.report_hash);
                                input type="hidden" name="draft_id" value=(r.draft_id);
                                input type="hidden" name="version" value=(r.version);
                                input type="hidden" name="recipient" value=(recipient.public_key);
                                button.forward-now type="submit" { (tf(lang, "console-forward-now", &[("label", Arg::Str(&recipient.label))])) }
                            }
                        }
                    }
                    @if newest && !matches!(standing, Standing::Forwarded) {
                        details {
                            summary { (t(lang, "console-forward-change")) }
                            (draft_form(page, opened, data, &names, Some(request)))
                        }
                    }
                }
            }
            h3 { (t(lang, "console-forward-made")) }
            @match &data.forwards {
                Ok(list) if list.is_empty() => p { (t(lang, "console-forward-none-made")) },
                Ok(list) => ul id="forwards-made" {
                    @for forward in list {
                        li { (tf(lang, "console-forward-made-line", &[("label", Arg::Str(&forward.recipient_label)), ("date", Arg::Str(&forward.day))])) }
                    }
                },
                Err(error) => {
                    p.note { (t(lang, "console-forward-list-unavailable")) " (" (error_code(error)) ")" }
                    // The thread's own list, as the reporter's mailbox shows it.
                    @if !opened.thread.forwards.is_empty() {
                        ul id="forwards-made" {
                            @for forward in &opened.thread.forwards {
                                li { (tf(lang, "console-forward-made-line", &[("label", Arg::Str(&forward.label)), ("date", Arg::Str(&forward.day))])) }
                            }
                        }
                    }
                },
            }
            h3 { (t(lang, "console-forward-new-draft")) }
            (draft_form(page, opened, data, &names, None))
        }
    }
}

/// A short, harmless code for an error shown beside a note.
pub(crate) fn error_code(error: &Error) -> String {
    match error {
        Error::Server { status, code } => format!("{status} {code}"),
        Error::Http(_) => "network".to_owned(),
        _ => "protocol".to_owned(),
    }
}

/// Fields of a form whose checkboxes repeat a name.
pub(crate) fn fields(form: &[(String, String)], name: &str) -> Vec<String> {
    form.iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_owned())
        .collect()
}

pub(crate) fn field(form: &[(String, String)], name: &str) -> String {
    fields(form, name).into_iter().next().unwrap_or_default()
}

/// The approval items of a thread about one kind of subject, opened.
pub(crate) struct OpenedApprovals {
    /// The requests and the reporter's answers.
    pub(crate) found: ThreadForwarding,
    /// Attachment id → (file name, media type), as the opened items say.
    pub(crate) names: HashMap<String, (String, String)>,
}

/// Opens every message of the thread with the key and sorts out the
/// approval items about `kind` (the report's header is authentic: from
/// [`same_report`]); answers count only from the report's mailbox key as
/// [`reading::open_messages`] believes it (a reporter's own report: its
/// sender; an oral report: the key of the advisors' join record, none
/// before). Forwarding and minutes share this.
pub(crate) async fn open_approvals(
    state: &Arc<ConsoleState>,
    thread: &Thread,
    header: &ItemHeader,
    kind: SubjectKind,
) -> Result<OpenedApprovals, Error> {
    let trust = state.trust.clone();
    let thread = thread.clone();
    let header = header.clone();
    let advisors = state.request_senders();
    let tenant = state.client.tenant().clone();
    state
        .with_key(move |key| -> Result<_, Error> {
            let mut contents = Vec::new();
            let report = thread.report_bytes()?;
            if let Ok(report) = reading::open_report(key, &trust, &thread, &report) {
                contents.push(String::from_utf8_lossy(&report.content).into_owned());
            }
            let all = reading::open_messages(key, &trust, &thread, &header)?;
            let mut opened = Vec::new();
            for (message, item) in thread.messages.iter().zip(all.messages) {
                let Ok(item) = item else {
                    continue;
                };
                let content = String::from_utf8_lossy(&item.content).into_owned();
                contents.push(content.clone());
                opened.push(OpenedMessage {
                    id: message.id.clone(),
                    day: message.created_day.clone(),
                    sender: item.header.sender,
                    content,
                });
            }
            let found = classify(
                &opened,
                all.mailbox.key().as_ref(),
                &advisors,
                &tenant,
                header.report_id,
                kind,
            );
            let names = file_names(&contents.iter().map(String::as_str).collect::<Vec<_>>());
            Ok(OpenedApprovals { found, names })
        })
        .await?
}

/// An attachment of the thread, downloaded and opened here: its content
/// (wiped on drop), SHA-256 and size.
pub(crate) struct OpenedAttachment {
    pub(crate) id: ItemId,
    pub(crate) content: Zeroizing<Vec<u8>>,
    pub(crate) sha256: [u8; 32],
}

pub(crate) async fn open_attachment(
    state: &Arc<ConsoleState>,
    thread: &Thread,
    header: &ItemHeader,
    attachment_id: &str,
) -> Result<OpenedAttachment, Error> {
    let id = ItemId::from_hex(attachment_id).map_err(|_| Error::Protocol("attachment id"))?;
    let item = state
        .client
        .attachment(&thread.report_id, &id.to_hex())
        .await?;
    let trust = state.trust.clone();
    let thread = thread.clone();
    let header = header.clone();
    state
        .with_key(move |key| -> Result<OpenedAttachment, Error> {
            let senders = reading::thread_senders(&header, &trust);
            let opened =
                reading::open_thread_item(key, &trust, &thread, &senders, &id.to_hex(), &item)?;
            if opened.header.kind != ItemKind::Attachment {
                return Err(Error::Protocol("not an attachment"));
            }
            let sha256: [u8; 32] = Sha256::digest(opened.content.as_slice()).into();
            Ok(OpenedAttachment {
                id,
                content: opened.content,
                sha256,
            })
        })
        .await?
}

/// An attachment sealed anew for the forward recipient.
struct SealedAttachment {
    id: ItemId,
    sealed: Vec<u8>,
    size: u64,
    sha256: [u8; 32],
}

/// Why the console did not act; each is a text of `console.ftl`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The form is incomplete or malformed.
    BadForm,
    /// No such draft in the thread (from a trusted advisor).
    NoDraft,
    /// A newer version of the draft exists.
    NotNewest,
    /// The recipient is not named in the draft.
    RecipientNotNamed,
    /// The recipient is not confirmed aloud as a forward recipient, or the
    /// server does not serve it as one.
    RecipientNotConfirmed,
    /// An attachment's content is not what the draft named.
    AttachmentChanged,
    /// No approval of this exact draft by the report's mailbox key.
    NoApproval,
    /// The reporter declined this draft.
    Declined,
    /// The reporter withdrew the approval.
    Withdrawn,
    /// This approval was used for a forward already.
    AlreadyUsed,
    /// An attachment of the form is not one of the thread's.
    UnknownAttachment,
    /// The text is empty or too long.
    BadText,
    /// An uploaded file is empty, too large or unreadable (minutes).
    BadFile,
}

impl Refusal {
    fn text_id(self) -> &'static str {
        match self {
            Self::BadForm => "console-error-other",
            Self::NoDraft => "console-forward-refused-no-draft",
            Self::NotNewest => "console-forward-refused-not-newest",
            Self::RecipientNotNamed => "console-forward-refused-recipient-not-named",
            Self::RecipientNotConfirmed => "console-forward-refused-recipient-unconfirmed",
            Self::AttachmentChanged => "console-forward-refused-attachment-changed",
            Self::NoApproval => "console-forward-refused-no-approval",
            Self::Declined => "console-forward-refused-declined",
            Self::Withdrawn => "console-forward-refused-withdrawn",
            Self::AlreadyUsed => "console-forward-refused-used",
            Self::UnknownAttachment => "console-forward-refused-unknown-attachment",
            Self::BadText => "console-forward-refused-text",
            Self::BadFile => "minutes-refused-file",
        }
    }
}

/// Why an action was not taken: refused by the console's checks, or as
/// any other action on a report. Forwarding and minutes share it.
pub(crate) enum Stop {
    Refused(Refusal),
    NotTaken(NotTaken),
}

impl From<NotTaken> for Stop {
    fn from(why: NotTaken) -> Self {
        Self::NotTaken(why)
    }
}

impl From<Error> for Stop {
    fn from(error: Error) -> Self {
        Self::NotTaken(NotTaken::Failed(error))
    }
}

impl From<meldkluis_crypto_core::Error> for Stop {
    fn from(error: meldkluis_crypto_core::Error) -> Self {
        Self::NotTaken(NotTaken::Failed(error.into()))
    }
}

pub(crate) fn stopped(state: &ConsoleState, lang: Lang, report_id: &str, stop: Stop) -> Response {
    match stop {
        Stop::Refused(refusal) => {
            eprintln!(
                "console: an approval action on report {} refused ({refusal:?}); nothing was sent",
                short_id(report_id)
            );
            refused_input(state, lang, report_id, refusal.text_id())
        }
        Stop::NotTaken(why) => not_taken(state, lang, report_id, why),
    }
}

/// The forward recipient of a form: confirmed aloud as `forward` in the
/// enrolled-keys file *and* served as `forward` by the server now.
async fn confirmed_recipient(
    state: &ConsoleState,
    given: &str,
) -> Result<ConfirmedRecipient, Stop> {
    let key = PublicKey::from_hex(given).map_err(|_| Stop::Refused(Refusal::BadForm))?;
    let served: Vec<ServedRecipient> = state.client.recipients().await?;
    sealable_recipients(&state.enrolled, &served, RecipientRole::Forward)
        .into_iter()
        .find(|r| r.public_key == key)
        .cloned()
        .ok_or(Stop::Refused(Refusal::RecipientNotConfirmed))
}

/// `POST /reports/{id}/forward/request`: posts a draft as an approval
/// request (a new draft, version 1; or a new version of a draft).
pub(crate) async fn request(
    State(state): State<Arc<ConsoleState>>,
    headers: HeaderMap,
    Path(report_id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let (lang, report_id) =
        match state.admit_report_post(&headers, &field(&form, "csrf"), &report_id) {
            Ok(admitted) => admitted,
            Err(refused) => return *refused,
        };
    let result = post_request(&state, &report_id, &form).await;
    after_post(&state, lang, &report_id, "forwarding", result)
}

async fn post_request(
    state: &Arc<ConsoleState>,
    report_id: &str,
    form: &[(String, String)],
) -> Result<(), Stop> {
    let recipient = confirmed_recipient(state, &field(form, "recipient")).await?;
    let mut draft = prepare_draft(state, report_id, form, SubjectKind::Forward).await?;
    draft.subject.recipients = vec![SubjectRecipient {
        public_key: recipient.public_key,
        label: recipient.label.clone(),
    }];
    draft.post(state, report_id).await
}

/// A draft (forward draft or minutes) checked and ready to post: the
/// subject with its attachments opened and hashed now (no recipients
/// yet), for the report the advisor read.
pub(crate) struct PreparedDraft {
    pub(crate) subject: ApprovalSubject,
    pub(crate) config: PublicConfig,
    /// The report's authentic header ([`same_report`]).
    pub(crate) header: ItemHeader,
}

/// Reads a draft form ([`DraftForm`]) for the report the advisor read
/// and prepares the subject: its kind, this tenant and report, the draft
/// id and next version, the text and the chosen attachments.
pub(crate) async fn prepare_draft(
    state: &Arc<ConsoleState>,
    report_id: &str,
    form: &[(String, String)],
    kind: SubjectKind,
) -> Result<PreparedDraft, Stop> {
    let draft = DraftForm::read(form)?;
    let config = state.client.public_config().await?;
    let SameReport { thread, header } =
        same_report(state, report_id, &field(form, "report_hash")).await?;
    draft.check_in(&thread)?;
    let OpenedApprovals { found, names } = open_approvals(state, &thread, &header, kind).await?;
    let (draft_id, version) = draft.next_version(&found)?;
    let attachments =
        subject_attachments(state, &thread, &header, &draft.attachments, &names).await?;
    let subject = ApprovalSubject {
        kind,
        tenant: state.client.tenant().clone(),
        report_id: header.report_id,
        draft_id,
        version,
        text: draft.text,
        attachments,
        recipients: Vec::new(),
    };
    Ok(PreparedDraft {
        subject,
        config,
        header,
    })
}

impl PreparedDraft {
    /// Posts the approval request for the subject into the thread, sealed
    /// like every advisor message.
    pub(crate) async fn post(self, state: &Arc<ConsoleState>, report_id: &str) -> Result<(), Stop> {
        let content = request_json(&self.subject)?.to_string();
        let thread_id = self.header.report_id;
        state
            .post_advisor_message(self.header, thread_id, self.config, report_id, content)
            .await?;
        Ok(())
    }
}

/// The fields of a draft form that forward drafts and minutes share: the
/// text, the chosen attachments of the thread and, for a new version, the
/// draft it continues.
pub(crate) struct DraftForm {
    /// The text, with the browser's line ends made `\n`.
    pub(crate) text: String,
    /// Chosen attachment items of the thread (canonical hex), in order.
    pub(crate) attachments: Vec<String>,
    /// The draft id given (empty: a new draft).
    pub(crate) draft: String,
}

impl DraftForm {
    /// Reads and checks the form: a text of 1 to [`MAX_REPLY_BYTES`]
    /// bytes, at most [`MAX_ATTACHMENTS`] attachment ids.
    pub(crate) fn read(form: &[(String, String)]) -> Result<Self, Stop> {
        let text = field(form, "text").replace("\r\n", "\n");
        if text.trim().is_empty() || text.len() > MAX_REPLY_BYTES {
            return Err(Stop::Refused(Refusal::BadText));
        }
        let mut attachments = Vec::new();
        for given in fields(form, "attachment") {
            let id = canonical_id(&given).ok_or(Stop::Refused(Refusal::UnknownAttachment))?;
            if !attachments.contains(&id) {
                attachments.push(id);
            }
        }
        if attachments.len() > MAX_ATTACHMENTS {
            return Err(Stop::Refused(Refusal::BadForm));
        }
        Ok(Self {
            text,
            attachments,
            draft: field(form, "draft_id"),
        })
    }

    /// Every chosen attachment is one of `thread`'s.
    pub(crate) fn check_in(&self, thread: &Thread) -> Result<(), Stop> {
        let known = |id: &String| {
            thread
                .attachments
                .iter()
                .any(|a| a.id.eq_ignore_ascii_case(id))
        };
        if self.attachments.iter().all(known) {
            Ok(())
        } else {
            Err(Stop::Refused(Refusal::UnknownAttachment))
        }
    }

    /// The draft id and version to post: a random draft id and version 1
    /// for a new draft; for a new version, the draft's (which must be in
    /// `found`) and its newest version + 1.
    pub(crate) fn next_version(
        &self,
        found: &ThreadForwarding,
    ) -> Result<([u8; DRAFT_ID_LEN], u32), Stop> {
        let mut draft_id = [0u8; DRAFT_ID_LEN];
        if self.draft.is_empty() {
            rand_core::RngCore::fill_bytes(&mut os_rng(), &mut draft_id);
            return Ok((draft_id, 1));
        }
        let newest = found.newest_version(&self.draft);
        if newest == 0 || hex::decode_to_slice(&self.draft, &mut draft_id).is_err() {
            return Err(Stop::Refused(Refusal::NoDraft));
        }
        Ok((draft_id, newest.saturating_add(1)))
    }
}

/// The subject's attachments: each chosen attachment of the thread
/// downloaded and opened here, named by its SHA-256 and size over these
/// very bytes and by the name and type the thread gives it.
pub(crate) async fn subject_attachments(
    state: &Arc<ConsoleState>,
    thread: &Thread,
    header: &ItemHeader,
    ids: &[String],
    names: &HashMap<String, (String, String)>,
) -> Result<Vec<SubjectAttachment>, Error> {
    let mut attachments = Vec::new();
    for id in ids {
        let opened = open_attachment(state, thread, header, id).await?;
        let (name, content_type) = names.get(id).cloned().unwrap_or_else(|| {
            (
                format!("meldkluis-{}.bin", short_id(id)),
                "application/octet-stream".to_owned(),
            )
        });
        attachments.push(SubjectAttachment {
            item_id: opened.id,
            sha256: opened.sha256,
            size: opened.content.len() as u64,
            name,
            content_type,
        });
    }
    Ok(attachments)
}

#[derive(Debug, Deserialize)]
pub(crate) struct ForwardForm {
    csrf: String,
    #[serde(default)]
    report_hash: String,
    #[serde(default)]
    draft_id: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    recipient: String,
}

/// `POST /reports/{id}/forward`: "Forward now".
pub(crate) async fn forward(
    State(state): State<Arc<ConsoleState>>,
    headers: HeaderMap,
    Path(report_id): Path<String>,
    Form(form): Form<ForwardForm>,
) -> Response {
    let (lang, report_id) = match state.admit_report_post(&headers, &form.csrf, &report_id) {
        Ok(admitted) => admitted,
        Err(refused) => return *refused,
    };
    let result = forward_now(&state, &report_id, &form).await;
    after_post(&state, lang, &report_id, "forwarding", result)
}

/// The answer to a form of the forwarding or minutes section: back to
/// that `section` of the report page, or the refusal (nothing was sent).
pub(crate) fn after_post(
    state: &ConsoleState,
    lang: Lang,
    report_id: &str,
    section: &str,
    result: Result<(), Stop>,
) -> Response {
    match result {
        Ok(()) => {
            Redirect::to(&format!("{}/reports/{report_id}#{section}", state.base)).into_response()
        }
        Err(stop) => stopped(state, lang, report_id, stop),
    }
}

/// The checks of the module documentation, then the sealing and posting.
async fn forward_now(
    state: &Arc<ConsoleState>,
    report_id: &str,
    form: &ForwardForm,
) -> Result<(), Stop> {
    let version: u32 = form
        .version
        .trim()
        .parse()
        .map_err(|_| Stop::Refused(Refusal::BadForm))?;
    let draft_id = form.draft_id.trim().to_ascii_lowercase();
    let recipient = confirmed_recipient(state, form.recipient.trim()).await?;
    let config = state.client.public_config().await?;
    let SameReport { thread, header } = same_report(state, report_id, &form.report_hash).await?;
    let OpenedApprovals { found, .. } =
        open_approvals(state, &thread, &header, SubjectKind::Forward).await?;
    let request = found
        .request(&draft_id, version)
        .ok_or(Stop::Refused(Refusal::NoDraft))?
        .clone();
    if found.newest_version(&draft_id) != version {
        return Err(Stop::Refused(Refusal::NotNewest));
    }
    let named = request
        .request
        .recipients
        .iter()
        .any(|r| PublicKey::from_hex(&r.public_key).is_ok_and(|k| k == recipient.public_key));
    if !named {
        return Err(Stop::Refused(Refusal::RecipientNotNamed));
    }
    // The draft as it is about to be sent: every attachment downloaded and
    // opened now, its hash taken over these very bytes.
    let mut subject = request
        .request
        .subject(state.client.tenant(), header.report_id)
        .ok_or(Stop::Refused(Refusal::NoDraft))?;
    let mut opened = Vec::new();
    for attachment in &mut subject.attachments {
        let content =
            open_attachment(state, &thread, &header, &attachment.item_id.to_hex()).await?;
        attachment.sha256 = content.sha256;
        attachment.size = content.content.len() as u64;
        opened.push(content);
    }
    let hash = subject.hash()?;
    if request.hash != Some(hash) {
        return Err(Stop::Refused(Refusal::AttachmentChanged));
    }
    let forwards = state.client.forwards(report_id).await?;
    match found.standing(Some(&hash), &forwards) {
        Standing::Approved => {}
        Standing::Forwarded => return Err(Stop::Refused(Refusal::AlreadyUsed)),
        Standing::Withdrawn => return Err(Stop::Refused(Refusal::Withdrawn)),
        Standing::Declined => return Err(Stop::Refused(Refusal::Declined)),
        Standing::Awaiting | Standing::Broken => return Err(Stop::Refused(Refusal::NoApproval)),
    }
    // Named in the draft with this label: the label the reporter approved.
    let label = subject
        .recipients
        .iter()
        .find(|r| r.public_key == recipient.public_key)
        .map(|r| r.label.clone())
        .unwrap_or_else(|| recipient.label.clone());
    let today = state.client.reports().await?.today;
    let advisor = state
        .enrolled
        .name_of(&state.public_key)
        .map(str::to_owned)
        .or_else(|| {
            config
                .advisors
                .iter()
                .find(|(k, _)| k.public_key == state.public_key)
                .map(|(_, name)| name.clone())
        })
        .unwrap_or_default();
    let register_number = thread.lifecycle.register_number;
    let tenant = state.client.tenant().clone();
    let to = recipient.public_key;
    let report_item = header.report_id;
    let names: Vec<(String, String)> = subject
        .attachments
        .iter()
        .map(|a| (a.name.clone(), a.content_type.clone()))
        .collect();
    // Seal the attachments anew, to the recipient only.
    let sealed_attachments = state
        .with_key(move |key| -> Result<Vec<SealedAttachment>, Error> {
            let mut rng = os_rng();
            opened
                .iter()
                .map(|a| {
                    let id = ItemId::random(&mut rng);
                    let sealed = seal_item(
                        &SealParams {
                            kind: ItemKind::Attachment,
                            tenant: &tenant,
                            item_id: id,
                            report_id: report_item,
                            sender: key,
                            recipients: &[to],
                        },
                        &a.content,
                        &mut rng,
                    )?;
                    Ok(SealedAttachment {
                        id,
                        sealed,
                        size: a.content.len() as u64,
                        sha256: a.sha256,
                    })
                })
                .collect()
        })
        .await??;
    let mut listed = Vec::new();
    let mut uploaded = Vec::new();
    for (
        SealedAttachment {
            id: new_id,
            sealed,
            size,
            sha256,
        },
        (name, content_type),
    ) in sealed_attachments.into_iter().zip(names)
    {
        let stored = state
            .client
            .post_forward_attachment(report_id, sealed)
            .await?;
        if !stored.eq_ignore_ascii_case(&new_id.to_hex()) {
            return Err(Error::Protocol("the server stored another attachment id").into());
        }
        listed.push(json!({
            "id": new_id.to_hex(),
            "name": name,
            "type": content_type,
            "size": size,
            "sha256": hex::encode(sha256),
        }));
        uploaded.push(new_id.to_hex());
    }
    let content = json!({
        "format": FORWARD_FORMAT,
        "draft_id": request.request.draft_id.to_ascii_lowercase(),
        "version": version,
        "subject_hash": hex::encode(hash),
        "text": subject.text,
        "attachments": listed,
        "register_number": register_number,
        "forwarded_day": today,
        "advisor": advisor,
        "recipient": { "public_key": to.to_hex(), "label": label },
    })
    .to_string();
    let tenant = state.client.tenant().clone();
    let sealed = state
        .with_key(move |key| -> Result<Vec<u8>, Error> {
            let mut rng = os_rng();
            Ok(seal_item(
                &SealParams {
                    kind: ItemKind::Message,
                    tenant: &tenant,
                    item_id: forward_item_id(&hash),
                    report_id: report_item,
                    sender: key,
                    recipients: &[to],
                },
                content.as_bytes(),
                &mut rng,
            )?)
        })
        .await??;
    match state
        .client
        .post_forward(report_id, sealed, &uploaded)
        .await
    {
        Ok(_) => Ok(()),
        // The same approval's forward exists already (its id is derived
        // from the approval): the server refuses the duplicate.
        Err(Error::Server { status: 409, code }) if code == "conflict" => {
            Err(Stop::Refused(Refusal::AlreadyUsed))
        }
        Err(error) => Err(error.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> PublicKey {
        PublicKey::from_bytes([byte; 32])
    }

    fn message(sender: PublicKey, content: Value) -> OpenedMessage {
        OpenedMessage {
            id: "00".repeat(16),
            day: "2026-11-30".into(),
            sender,
            content: content.to_string(),
        }
    }

    fn subject() -> ApprovalSubject {
        ApprovalSubject {
            kind: SubjectKind::Forward,
            tenant: TenantId::new("acme").expect("valid"),
            report_id: ItemId([1; 16]),
            draft_id: [2; 16],
            version: 1,
            text: "Graag naar HR.".into(),
            attachments: vec![SubjectAttachment {
                item_id: ItemId([3; 16]),
                sha256: [4; 32],
                size: 5,
                name: "a.pdf".into(),
                content_type: "application/pdf".into(),
            }],
            recipients: vec![SubjectRecipient {
                public_key: key(7),
                label: "HR".into(),
            }],
        }
    }

    fn answer(hash: &[u8; 32], decision: &str) -> Value {
        json!({"format": APPROVAL_FORMAT, "subject": "forward", "draft_id": hex::encode([2u8; 16]),
               "version": 1, "subject_hash": hex::encode(hash), "decision": decision})
    }

    #[test]
    fn a_request_round_trips_and_only_the_right_senders_count() {
        let subject = subject();
        let hash = subject.hash().expect("hash");
        let request = request_json(&subject).expect("json");
        let (mailbox, advisor, stranger) = (key(10), key(11), key(12));
        let tenant = subject.tenant.clone();
        let messages = vec![
            message(advisor, request.clone()),
            // A request sealed by a key that is no trusted advisor's.
            message(stranger, request.clone()),
            // An "approval" sealed by an advisor key, not the mailbox.
            message(advisor, answer(&hash, "approve")),
            message(
                mailbox,
                json!({"format": WISH_FORMAT, "text": "naar HR aub"}),
            ),
        ];
        let found = classify(
            &messages,
            Some(&mailbox),
            &[advisor],
            &tenant,
            subject.report_id,
            SubjectKind::Forward,
        );
        assert_eq!(found.requests.len(), 1);
        assert_eq!(found.requests[0].hash, Some(hash));
        assert_eq!(found.wishes.len(), 1);
        assert!(found.answers.is_empty());
        assert_eq!(found.standing(Some(&hash), &[]), Standing::Awaiting);
    }

    #[test]
    fn standing_follows_the_mailbox_answers_wherever_the_server_puts_them() {
        let subject = subject();
        let hash = subject.hash().expect("hash");
        let mut other = subject.clone();
        other.version = 2;
        let other_hash = other.hash().expect("hash");
        let (mailbox, advisor) = (key(10), key(11));
        let tenant = subject.tenant.clone();
        let standing = |answers: Vec<Value>, forwards: &[Forward]| {
            let mut messages = vec![message(advisor, request_json(&subject).expect("json"))];
            messages.extend(answers.into_iter().map(|a| message(mailbox, a)));
            classify(
                &messages,
                Some(&mailbox),
                &[advisor],
                &tenant,
                subject.report_id,
                SubjectKind::Forward,
            )
            .standing(Some(&hash), forwards)
        };
        assert_eq!(
            standing(vec![answer(&hash, "approve")], &[]),
            Standing::Approved
        );
        // An approval of another version is no approval of this one.
        assert_eq!(
            standing(vec![answer(&other_hash, "approve")], &[]),
            Standing::Awaiting
        );
        // A withdrawal counts even where a server moved it before the approval.
        assert_eq!(
            standing(
                vec![answer(&hash, "withdraw"), answer(&hash, "approve")],
                &[]
            ),
            Standing::Withdrawn
        );
        assert_eq!(
            standing(
                vec![answer(&hash, "approve"), answer(&hash, "decline")],
                &[]
            ),
            Standing::Declined
        );
        let used = Forward {
            item_id: forward_item_id(&hash).to_hex(),
            day: "2026-12-01".into(),
            recipient_label: "HR".into(),
            recipient_public_key: key(7).to_hex(),
        };
        assert_eq!(
            standing(vec![answer(&hash, "approve")], &[used]),
            Standing::Forwarded
        );
        // The forward id is the approval's, and differs per draft version.
        assert_ne!(forward_item_id(&hash), forward_item_id(&other_hash));
    }
}
