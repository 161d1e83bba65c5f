//! The reporter's approval of an exact draft: one mechanism for consent to
//! forward a case (a forward draft, to HR or a complaints committee) and for
//! approving the minutes of an oral report.
//!
//! The advisor's draft is described by an [`ApprovalSubject`]; its
//! [`hash`](ApprovalSubject::hash) binds every byte the reporter is shown:
//! tenant, report, draft id and version, the exact text, each attachment by
//! its item id and the SHA-256 of its content, and each recipient by public
//! key and label, all in the order shown. The reporter's approval is an item
//! sealed by the mailbox key that names this hash, so the server (which
//! cannot seal in the mailbox key's name) cannot forge consent, and an
//! approval of one draft is no approval of another. The encoding is in
//! `FORMAT.md`, "Approval subject hash"; every variable-length field has a
//! length prefix, so no two different subjects encode to the same bytes.
//!
//! Readers never trust a hash someone else computed: the mailbox recomputes
//! it from the fields it shows, the console from its own draft.

use core::fmt;

use sha2::{Digest, Sha256};

use crate::format::{ItemId, TenantId};
use crate::keys::PublicKey;
use crate::Error;

/// The label in front of every subject.
const LABEL: &[u8] = b"meldkluis approval subject v1";
/// Longest text, in bytes (UTF-8): 1 MiB.
pub const MAX_TEXT_LEN: usize = 1 << 20;
/// Most attachments in one subject.
pub const MAX_ATTACHMENTS: usize = 64;
/// Most recipients in one subject.
pub const MAX_RECIPIENTS: usize = 16;
/// Longest attachment name, attachment type or recipient label, in bytes
/// (UTF-8): 1 KiB.
pub const MAX_NAME_LEN: usize = 1024;
/// Length of a draft id.
pub const DRAFT_ID_LEN: usize = 16;

/// What is being approved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubjectKind {
    /// A forward draft: text and attachments to go to forward recipients.
    /// Content format name `"forward"`.
    Forward,
    /// The minutes of an oral report or meeting. Content format name
    /// `"minutes"`.
    Minutes,
}

impl SubjectKind {
    /// The byte in the hashed encoding: 1 forward draft, 2 minutes.
    pub const fn code(self) -> u8 {
        match self {
            Self::Forward => 1,
            Self::Minutes => 2,
        }
    }

    /// The kind of an encoding byte.
    pub fn from_code(code: u8) -> Result<Self, Error> {
        match code {
            1 => Ok(Self::Forward),
            2 => Ok(Self::Minutes),
            _ => Err(Error::Malformed("approval subject kind")),
        }
    }

    /// The name in the JSON content formats (`web-client/REPORT-CONTENT.md`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Forward => "forward",
            Self::Minutes => "minutes",
        }
    }

    /// The kind of a JSON name.
    pub fn from_name(name: &str) -> Result<Self, Error> {
        match name {
            "forward" => Ok(Self::Forward),
            "minutes" => Ok(Self::Minutes),
            _ => Err(Error::Malformed("approval subject kind")),
        }
    }
}

/// One attachment as the reporter is shown it.
#[derive(Clone, PartialEq, Eq)]
pub struct SubjectAttachment {
    /// The attachment item's id (an attachment of the same report).
    pub item_id: ItemId,
    /// SHA-256 of the attachment's content (the file bytes).
    pub sha256: [u8; 32],
    /// Size of the content in bytes.
    pub size: u64,
    /// File name (UTF-8), at most [`MAX_NAME_LEN`] bytes.
    pub name: String,
    /// Media type (UTF-8), at most [`MAX_NAME_LEN`] bytes.
    pub content_type: String,
}

/// One recipient as the reporter is shown it.
#[derive(Clone, PartialEq, Eq)]
pub struct SubjectRecipient {
    /// The recipient's X25519 public key.
    pub public_key: PublicKey,
    /// The label shown (UTF-8), at most [`MAX_NAME_LEN`] bytes.
    pub label: String,
}

/// Everything a reporter approves. `Debug` shows no text, names or labels.
#[derive(Clone, PartialEq, Eq)]
pub struct ApprovalSubject {
    /// Forward draft or minutes.
    pub kind: SubjectKind,
    /// The tenant.
    pub tenant: TenantId,
    /// The report.
    pub report_id: ItemId,
    /// Random, chosen by the advisor for a draft; kept across versions.
    pub draft_id: [u8; DRAFT_ID_LEN],
    /// 1, 2, …: a corrected draft or minutes is a new version.
    pub version: u32,
    /// The text exactly as shown (UTF-8), at most [`MAX_TEXT_LEN`] bytes.
    pub text: String,
    /// The attachments, in the order shown; at most [`MAX_ATTACHMENTS`].
    pub attachments: Vec<SubjectAttachment>,
    /// The recipients, in the order shown; at most [`MAX_RECIPIENTS`]
    /// (none for minutes).
    pub recipients: Vec<SubjectRecipient>,
}

impl fmt::Debug for SubjectAttachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubjectAttachment")
            .field("item_id", &self.item_id)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for SubjectRecipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubjectRecipient")
            .field("public_key", &self.public_key)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for ApprovalSubject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApprovalSubject")
            .field("kind", &self.kind)
            .field("tenant", &self.tenant)
            .field("report_id", &self.report_id)
            .field("draft_id", &hex::encode(self.draft_id))
            .field("version", &self.version)
            .field("text_len", &self.text.len())
            .field("attachments", &self.attachments)
            .field("recipients", &self.recipients)
            .finish()
    }
}

fn put_u64_len(hasher: &mut Sha256, bytes: &[u8]) {
    hasher.update((bytes.len() as u64).to_be_bytes());
    hasher.update(bytes);
}

impl ApprovalSubject {
    /// Whether the subject is within the limits: version at least 1, text at
    /// most [`MAX_TEXT_LEN`] bytes, at most [`MAX_ATTACHMENTS`] attachments
    /// and [`MAX_RECIPIENTS`] recipients, every name, type and label at most
    /// [`MAX_NAME_LEN`] bytes.
    pub fn check(&self) -> Result<(), Error> {
        if self.version == 0 {
            return Err(Error::InvalidInput(
                "approval subject version must be at least 1",
            ));
        }
        if self.text.len() > MAX_TEXT_LEN {
            return Err(Error::InvalidInput(
                "approval subject text longer than 1 MiB",
            ));
        }
        if self.attachments.len() > MAX_ATTACHMENTS {
            return Err(Error::InvalidInput(
                "approval subject has more than 64 attachments",
            ));
        }
        if self.recipients.len() > MAX_RECIPIENTS {
            return Err(Error::InvalidInput(
                "approval subject has more than 16 recipients",
            ));
        }
        for attachment in &self.attachments {
            if attachment.name.len() > MAX_NAME_LEN {
                return Err(Error::InvalidInput(
                    "approval subject attachment name longer than 1 KiB",
                ));
            }
            if attachment.content_type.len() > MAX_NAME_LEN {
                return Err(Error::InvalidInput(
                    "approval subject attachment type longer than 1 KiB",
                ));
            }
        }
        if self.recipients.iter().any(|r| r.label.len() > MAX_NAME_LEN) {
            return Err(Error::InvalidInput(
                "approval subject recipient label longer than 1 KiB",
            ));
        }
        Ok(())
    }

    /// The subject hash (`FORMAT.md`, "Approval subject hash"), or
    /// [`Error::InvalidInput`] if the subject breaks a limit of
    /// [`check`](Self::check).
    pub fn hash(&self) -> Result<[u8; 32], Error> {
        self.check()?;
        let tenant = self.tenant.as_str().as_bytes();
        let mut h = Sha256::new();
        h.update(LABEL);
        h.update([self.kind.code()]);
        // A tenant id is at most 63 bytes (`TenantId::new`).
        h.update([tenant.len() as u8]);
        h.update(tenant);
        h.update(self.report_id.0);
        h.update(self.draft_id);
        h.update(self.version.to_be_bytes());
        put_u64_len(&mut h, self.text.as_bytes());
        // Both counts are bounded by `check` (64 and 16).
        h.update((self.attachments.len() as u32).to_be_bytes());
        for a in &self.attachments {
            h.update(a.item_id.0);
            h.update(a.sha256);
            h.update(a.size.to_be_bytes());
            put_u64_len(&mut h, a.name.as_bytes());
            put_u64_len(&mut h, a.content_type.as_bytes());
        }
        h.update((self.recipients.len() as u32).to_be_bytes());
        for r in &self.recipients {
            h.update(r.public_key.as_bytes());
            put_u64_len(&mut h, r.label.as_bytes());
        }
        Ok(h.finalize().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> ApprovalSubject {
        ApprovalSubject {
            kind: SubjectKind::Forward,
            tenant: TenantId::new("acme").unwrap(),
            report_id: ItemId([0x11; 16]),
            draft_id: [0x22; 16],
            version: 1,
            text: "Melding over ongewenst gedrag.".into(),
            attachments: vec![SubjectAttachment {
                item_id: ItemId([0x33; 16]),
                sha256: [0x44; 32],
                size: 123,
                name: "a.pdf".into(),
                content_type: "application/pdf".into(),
            }],
            recipients: vec![SubjectRecipient {
                public_key: PublicKey::from_bytes([0x55; 32]),
                label: "HR — P. de Boer".into(),
            }],
        }
    }

    /// The encoding built by hand, byte by byte, and hashed.
    #[test]
    fn hash_is_sha256_of_the_hand_built_encoding() {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(b"meldkluis approval subject v1");
        bytes.push(1);
        bytes.push(4);
        bytes.extend_from_slice(b"acme");
        bytes.extend_from_slice(&[0x11; 16]);
        bytes.extend_from_slice(&[0x22; 16]);
        bytes.extend_from_slice(&[0, 0, 0, 1]);
        bytes.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 30]);
        bytes.extend_from_slice(b"Melding over ongewenst gedrag.");
        bytes.extend_from_slice(&[0, 0, 0, 1]);
        bytes.extend_from_slice(&[0x33; 16]);
        bytes.extend_from_slice(&[0x44; 32]);
        bytes.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 123]);
        bytes.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 5]);
        bytes.extend_from_slice(b"a.pdf");
        bytes.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 15]);
        bytes.extend_from_slice(b"application/pdf");
        bytes.extend_from_slice(&[0, 0, 0, 1]);
        bytes.extend_from_slice(&[0x55; 32]);
        // "HR — P. de Boer": the em dash is 3 bytes in UTF-8.
        bytes.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 17]);
        bytes.extend_from_slice("HR — P. de Boer".as_bytes());
        let expected: [u8; 32] = Sha256::digest(&bytes).into();
        assert_eq!(sample().hash().unwrap(), expected);
    }

    /// A known answer computed outside Rust (Python's hashlib over the
    /// encoding above), so a mistake shared by the code and the hand-built
    /// test would still show.
    #[test]
    fn hash_known_answer() {
        assert_eq!(
            hex::encode(sample().hash().unwrap()),
            "a1b767e42d0f1c8b8771c035fc93ab8775a52d2fac722510f67927ef3d2012e0"
        );
        let minutes = ApprovalSubject {
            kind: SubjectKind::Minutes,
            attachments: vec![],
            recipients: vec![],
            text: String::new(),
            ..sample()
        };
        assert_eq!(
            hex::encode(minutes.hash().unwrap()),
            "6faf7305ff999daa79220448a93edd53e0c5f7f4c65dff41129b710e4c54f5db"
        );
    }

    #[test]
    fn every_field_changes_the_hash() {
        let base = sample().hash().unwrap();
        let mut changed: Vec<ApprovalSubject> = Vec::new();
        let mut push = |f: &dyn Fn(&mut ApprovalSubject)| {
            let mut s = sample();
            f(&mut s);
            changed.push(s);
        };
        push(&|s| s.kind = SubjectKind::Minutes);
        push(&|s| s.tenant = TenantId::new("acmf").unwrap());
        push(&|s| s.report_id.0[15] ^= 1);
        push(&|s| s.draft_id[0] ^= 1);
        push(&|s| s.version = 2);
        push(&|s| s.text.push(' '));
        push(&|s| s.text = s.text.replace("ongewenst", "gewenst"));
        push(&|s| s.attachments.clear());
        push(&|s| s.attachments[0].item_id.0[0] ^= 1);
        push(&|s| s.attachments[0].sha256[31] ^= 1);
        push(&|s| s.attachments[0].size += 1);
        push(&|s| s.attachments[0].name = "b.pdf".into());
        push(&|s| s.attachments[0].content_type = "application/x-pdf".into());
        push(&|s| {
            let a = s.attachments[0].clone();
            s.attachments.push(a);
        });
        push(&|s| s.recipients.clear());
        push(&|s| s.recipients[0].public_key = PublicKey::from_bytes([0x56; 32]));
        push(&|s| s.recipients[0].label = "HR — P. de Boer ".into());
        push(&|s| {
            s.recipients.push(SubjectRecipient {
                public_key: PublicKey::from_bytes([0x57; 32]),
                label: "Klachtencommissie".into(),
            })
        });
        // Moving bytes between two length-prefixed fields.
        push(&|s| {
            s.attachments[0].name = "a.pdfapplication".into();
            s.attachments[0].content_type = "/pdf".into();
        });
        let mut seen = std::collections::HashSet::from([base]);
        for s in &changed {
            assert!(seen.insert(s.hash().unwrap()), "{s:?}");
        }
    }

    #[test]
    fn order_of_attachments_and_recipients_matters() {
        let mut s = sample();
        s.attachments.push(SubjectAttachment {
            item_id: ItemId([0x66; 16]),
            sha256: [0x77; 32],
            size: 1,
            name: "b.txt".into(),
            content_type: "text/plain".into(),
        });
        s.recipients.push(SubjectRecipient {
            public_key: PublicKey::from_bytes([0x88; 32]),
            label: "Klachtencommissie".into(),
        });
        let h = s.hash().unwrap();
        let mut t = s.clone();
        t.attachments.reverse();
        assert_ne!(t.hash().unwrap(), h);
        let mut t = s.clone();
        t.recipients.reverse();
        assert_ne!(t.hash().unwrap(), h);
    }

    #[test]
    fn limits_are_errors() {
        let ok = |s: &ApprovalSubject| s.hash().is_ok();
        let err = |s: &ApprovalSubject| matches!(s.hash(), Err(Error::InvalidInput(_)));

        let mut s = sample();
        s.text = "x".repeat(MAX_TEXT_LEN);
        assert!(ok(&s));
        s.text.push('x');
        assert!(err(&s));

        let mut s = sample();
        s.attachments = vec![sample().attachments[0].clone(); MAX_ATTACHMENTS];
        assert!(ok(&s));
        s.attachments.push(sample().attachments[0].clone());
        assert!(err(&s));

        let mut s = sample();
        s.recipients = vec![sample().recipients[0].clone(); MAX_RECIPIENTS];
        assert!(ok(&s));
        s.recipients.push(sample().recipients[0].clone());
        assert!(err(&s));

        let mut s = sample();
        s.attachments[0].name = "n".repeat(MAX_NAME_LEN);
        s.attachments[0].content_type = "t".repeat(MAX_NAME_LEN);
        s.recipients[0].label = "l".repeat(MAX_NAME_LEN);
        assert!(ok(&s));
        let mut t = s.clone();
        t.attachments[0].name.push('n');
        assert!(err(&t));
        let mut t = s.clone();
        t.attachments[0].content_type.push('t');
        assert!(err(&t));
        let mut t = s.clone();
        t.recipients[0].label.push('l');
        assert!(err(&t));
        // Bytes, not characters: 342 em dashes are 1 026 bytes.
        let mut t = s.clone();
        t.recipients[0].label = "—".repeat(342);
        assert!(err(&t));

        let mut s = sample();
        s.version = 0;
        assert!(err(&s));
    }

    #[test]
    fn kind_codes_and_names() {
        for kind in [SubjectKind::Forward, SubjectKind::Minutes] {
            assert_eq!(SubjectKind::from_code(kind.code()), Ok(kind));
            assert_eq!(SubjectKind::from_name(kind.name()), Ok(kind));
        }
        assert_eq!(SubjectKind::Forward.code(), 1);
        assert_eq!(SubjectKind::Minutes.code(), 2);
        assert!(SubjectKind::from_code(0).is_err());
        assert!(SubjectKind::from_code(3).is_err());
        assert!(SubjectKind::from_name("Forward").is_err());
    }

    #[test]
    fn debug_shows_no_text_names_or_labels() {
        let shown = format!("{:?}", sample());
        assert!(!shown.contains("Melding"));
        assert!(!shown.contains("a.pdf"));
        assert!(!shown.contains("Boer"));
    }
}
