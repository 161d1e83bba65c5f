//! Vectors for the approval subject hash (`vectors/approval-v1.json`).
//!
//! Each subject is written as the JSON content formats carry it
//! (`web-client/REPORT-CONTENT.md`: lowercase hex, `type` for the media
//! type). Its encoding is built here a second time from `FORMAT.md`'s
//! formula alone, byte by byte, and recorded with its SHA-256; the crate's
//! `ApprovalSubject::hash` must give the same. Refused subjects break one
//! limit each and must be an error, not a hash.
//!
//! `MELDKLUIS_WRITE_VECTORS=1 cargo test -p meldkluis-crypto-core --test it
//! approval_vectors` rewrites the file; version 1 is frozen, so a rewrite
//! that changes a byte means the format changed.

use meldkluis_crypto_core::approval::{
    MAX_ATTACHMENTS, MAX_NAME_LEN, MAX_RECIPIENTS, MAX_TEXT_LEN,
};
use meldkluis_crypto_core::primitives::hpke::derive_key_pair;
use meldkluis_crypto_core::{
    ApprovalSubject, Error, ItemId, PublicKey, StaticKey, SubjectAttachment, SubjectKind,
    SubjectRecipient, TenantId,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/vectors/approval-v1.json");

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct File {
    description: String,
    limits: Limits,
    positive: Vec<Positive>,
    refused: Vec<RefusedSubject>,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Limits {
    text_bytes: usize,
    attachments: usize,
    recipients: usize,
    name_type_label_bytes: usize,
}

#[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
struct Subject {
    /// `forward` (kind byte 1) or `minutes` (2).
    subject: String,
    tenant: String,
    report_id: String,
    draft_id: String,
    version: u32,
    text: String,
    attachments: Vec<Attachment>,
    recipients: Vec<Recipient>,
}

#[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
struct Attachment {
    id: String,
    name: String,
    #[serde(rename = "type")]
    content_type: String,
    size: u64,
    sha256: String,
}

#[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
struct Recipient {
    public_key: String,
    label: String,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Positive {
    name: String,
    subject: Subject,
    /// The bytes that are hashed.
    encoding: String,
    hash: String,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct RefusedSubject {
    name: String,
    subject: Subject,
}

/// The encoding as FORMAT.md spells it.
fn encode(s: &Subject) -> Vec<u8> {
    let mut out = b"meldkluis approval subject v1".to_vec();
    out.push(match s.subject.as_str() {
        "forward" => 1,
        "minutes" => 2,
        other => panic!("subject {other}"),
    });
    out.push(s.tenant.len() as u8);
    out.extend_from_slice(s.tenant.as_bytes());
    out.extend_from_slice(&hex::decode(&s.report_id).unwrap());
    out.extend_from_slice(&hex::decode(&s.draft_id).unwrap());
    out.extend_from_slice(&s.version.to_be_bytes());
    let put = |out: &mut Vec<u8>, bytes: &[u8]| {
        out.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
        out.extend_from_slice(bytes);
    };
    put(&mut out, s.text.as_bytes());
    out.extend_from_slice(&(s.attachments.len() as u32).to_be_bytes());
    for a in &s.attachments {
        out.extend_from_slice(&hex::decode(&a.id).unwrap());
        out.extend_from_slice(&hex::decode(&a.sha256).unwrap());
        out.extend_from_slice(&a.size.to_be_bytes());
        put(&mut out, a.name.as_bytes());
        put(&mut out, a.content_type.as_bytes());
    }
    out.extend_from_slice(&(s.recipients.len() as u32).to_be_bytes());
    for r in &s.recipients {
        out.extend_from_slice(&hex::decode(&r.public_key).unwrap());
        put(&mut out, r.label.as_bytes());
    }
    out
}

/// The crate's type from the JSON fields.
fn subject(s: &Subject) -> ApprovalSubject {
    let fixed = |text: &str| -> [u8; 16] { hex::decode(text).unwrap().try_into().unwrap() };
    ApprovalSubject {
        kind: SubjectKind::from_name(&s.subject).unwrap(),
        tenant: TenantId::new(&s.tenant).unwrap(),
        report_id: ItemId(fixed(&s.report_id)),
        draft_id: fixed(&s.draft_id),
        version: s.version,
        text: s.text.clone(),
        attachments: s
            .attachments
            .iter()
            .map(|a| SubjectAttachment {
                item_id: ItemId(fixed(&a.id)),
                sha256: hex::decode(&a.sha256).unwrap().try_into().unwrap(),
                size: a.size,
                name: a.name.clone(),
                content_type: a.content_type.clone(),
            })
            .collect(),
        recipients: s
            .recipients
            .iter()
            .map(|r| SubjectRecipient {
                public_key: PublicKey::from_hex(&r.public_key).unwrap(),
                label: r.label.clone(),
            })
            .collect(),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn forward() -> Subject {
    let hr = derive_key_pair(b"meldkluis test forward recipient HR").public_key();
    let committee = derive_key_pair(b"meldkluis test forward recipient committee").public_key();
    Subject {
        subject: "forward".into(),
        tenant: "acme".into(),
        report_id: "6d8f0c1e2a3b4c5d6e7f8091a2b3c4d5".into(),
        draft_id: "0f1e2d3c4b5a69788796a5b4c3d2e1f0".into(),
        version: 1,
        text: "Geachte HR,\n\nDe melder vraagt u deze zaak te onderzoeken: ongewenst gedrag door een leidinggevende (sinds maart). ✓\n".into(),
        attachments: vec![
            Attachment {
                id: "a1a2a3a4a5a6a7a8a9aaabacadaeafb0".into(),
                name: "verslag gesprek.pdf".into(),
                content_type: "application/pdf".into(),
                size: 48_213,
                sha256: sha256_hex(b"%PDF-1.7 the first attachment's file bytes"),
            },
            Attachment {
                id: "b1b2b3b4b5b6b7b8b9babbbcbdbebfc0".into(),
                name: "foto — gang.jpg".into(),
                content_type: "image/jpeg".into(),
                size: 5_000_000_000,
                sha256: sha256_hex(b"the second attachment's file bytes"),
            },
        ],
        recipients: vec![
            Recipient {
                public_key: hr.to_hex(),
                label: "HR — P. de Boer".into(),
            },
            Recipient {
                public_key: committee.to_hex(),
                label: "Klachtencommissie".into(),
            },
        ],
    }
}

fn build() -> File {
    let base = forward();
    let positive = |name: &str, subject: Subject| {
        let encoding = encode(&subject);
        Positive {
            name: name.into(),
            hash: sha256_hex(&encoding),
            encoding: hex::encode(&encoding),
            subject,
        }
    };
    let positive = vec![
        positive("a forward draft: two attachments, two recipients", base.clone()),
        positive("the same draft, version 2 (a corrected draft)", Subject {
            version: 2,
            ..base.clone()
        }),
        positive("the same draft with its attachments in the other order", Subject {
            attachments: base.attachments.iter().rev().cloned().collect(),
            ..base.clone()
        }),
        positive("the same draft with one recipient fewer", Subject {
            recipients: base.recipients[..1].to_vec(),
            ..base.clone()
        }),
        positive("the same draft with one byte of the text changed", Subject {
            text: base.text.replace("maart", "Maart"),
            ..base.clone()
        }),
        positive("the same draft with an attachment's content changed", Subject {
            attachments: vec![
                Attachment {
                    sha256: sha256_hex(b"%PDF-1.7 the first attachment's file bytes, changed"),
                    ..base.attachments[0].clone()
                },
                base.attachments[1].clone(),
            ],
            ..base.clone()
        }),
        positive("the same draft at another tenant", Subject {
            tenant: "acme-nl".into(),
            ..base.clone()
        }),
        positive("minutes: no attachments, no recipients", Subject {
            subject: "minutes".into(),
            text: "Verslag van het gesprek op 2026-11-30.\nAanwezig: de melder en de vertrouwenspersoon.".into(),
            attachments: vec![],
            recipients: vec![],
            ..base.clone()
        }),
        positive("empty text and the largest names the limits allow", Subject {
            text: String::new(),
            attachments: vec![Attachment {
                name: "n".repeat(MAX_NAME_LEN),
                content_type: "t".repeat(MAX_NAME_LEN),
                ..base.attachments[0].clone()
            }],
            recipients: vec![Recipient {
                label: "l".repeat(MAX_NAME_LEN),
                ..base.recipients[0].clone()
            }],
            ..base.clone()
        }),
    ];
    let refused = |name: &str, subject: Subject| RefusedSubject {
        name: name.into(),
        subject,
    };
    let refused = vec![
        refused(
            "version 0",
            Subject {
                version: 0,
                ..base.clone()
            },
        ),
        refused(
            "65 attachments",
            Subject {
                attachments: vec![base.attachments[0].clone(); MAX_ATTACHMENTS + 1],
                ..base.clone()
            },
        ),
        refused(
            "17 recipients",
            Subject {
                recipients: vec![base.recipients[0].clone(); MAX_RECIPIENTS + 1],
                ..base.clone()
            },
        ),
        refused(
            "an attachment name of 1 025 bytes",
            Subject {
                attachments: vec![Attachment {
                    name: "n".repeat(MAX_NAME_LEN + 1),
                    ..base.attachments[0].clone()
                }],
                ..base.clone()
            },
        ),
        refused(
            "an attachment type of 1 025 bytes",
            Subject {
                attachments: vec![Attachment {
                    content_type: "t".repeat(MAX_NAME_LEN + 1),
                    ..base.attachments[0].clone()
                }],
                ..base.clone()
            },
        ),
        refused(
            "a recipient label of 1 026 bytes in 342 characters",
            Subject {
                recipients: vec![Recipient {
                    label: "—".repeat(342),
                    ..base.recipients[0].clone()
                }],
                ..base.clone()
            },
        ),
    ];
    File {
        description: "meldkluis approval subject v1 vectors: subjects as the JSON content formats carry them (web-client/REPORT-CONTENT.md), the bytes hashed, and the SHA-256; subjects over a limit that must be refused (a text over 1 MiB is in the unit tests, not here); see crypto-core/FORMAT.md, \"Approval subject hash\"".into(),
        limits: Limits {
            text_bytes: MAX_TEXT_LEN,
            attachments: MAX_ATTACHMENTS,
            recipients: MAX_RECIPIENTS,
            name_type_label_bytes: MAX_NAME_LEN,
        },
        positive,
        refused,
    }
}

#[test]
fn approval_vectors() {
    let built = build();
    if std::env::var_os("MELDKLUIS_WRITE_VECTORS").is_some() {
        std::fs::write(PATH, serde_json::to_string_pretty(&built).unwrap() + "\n").unwrap();
    }
    let file: File = serde_json::from_str(&std::fs::read_to_string(PATH).unwrap()).unwrap();
    assert_eq!(file, built, "the vectors reproduce");
    assert_eq!(file.limits.text_bytes, 1_048_576);
    assert_eq!(file.limits.name_type_label_bytes, 1024);
    let mut hashes = std::collections::HashSet::new();
    for v in &file.positive {
        let encoding = hex::decode(&v.encoding).unwrap();
        assert_eq!(encoding, encode(&v.subject), "{}", v.name);
        assert_eq!(sha256_hex(&encoding), v.hash, "{}", v.name);
        assert_eq!(
            hex::encode(subject(&v.subject).hash().unwrap()),
            v.hash,
            "{}",
            v.name
        );
        assert!(hashes.insert(v.hash.clone()), "{}: a distinct hash", v.name);
    }
    for v in &file.refused {
        assert!(
            matches!(subject(&v.subject).hash(), Err(Error::InvalidInput(_))),
            "{}",
            v.name
        );
    }
}
