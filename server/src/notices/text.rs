//! The words of each mail, in the recipient's language (the `email-*`
//! messages of `web-client/i18n/locales/*/email.ftl`).

use meldkluis_i18n::{t, tf, Arg, Lang};

use crate::clock::Day;
use crate::deadlines::{DeadlineKind, DigestItem};

/// A mail's subject and plain-text body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Text {
    pub subject: String,
    pub body: String,
}

/// The notice to a reporter: the tenant's name, that a message is waiting,
/// the tenant's mailbox address. Nothing else can be put in: these three
/// are its only inputs.
pub(crate) fn reporter_notice(lang: Lang, tenant_name: &str, mailbox_url: &str) -> Text {
    Text {
        subject: t(lang, "email-notice-subject"),
        body: tf(
            lang,
            "email-notice-body",
            &[
                ("tenant", Arg::Str(tenant_name)),
                ("url", Arg::Str(mailbox_url)),
            ],
        ),
    }
}

/// A report whose content is deleted soon, as the digest lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DigestDeletion {
    /// The report's short id (the first 8 hex digits of its id).
    pub short_id: String,
    /// The day its content is deleted.
    pub day: Day,
}

/// Encodes a coming deletion for the outbox: `deletion short_id day`.
pub(crate) fn encode_deletion(deletion: &DigestDeletion) -> String {
    format!("deletion {} {}", deletion.short_id, deletion.day)
}

/// Decodes what [`encode_deletion`] wrote; `None` for anything else.
pub(crate) fn decode_deletion(text: &str) -> Option<DigestDeletion> {
    let mut parts = text.split(' ');
    if parts.next()? != "deletion" {
        return None;
    }
    let short_id = parts.next()?.to_owned();
    let day = Day::parse(parts.next()?)?;
    if parts.next().is_some() || short_id.len() != 8 {
        return None;
    }
    Some(DigestDeletion { short_id, day })
}

/// The last notice to a reporter, when their report is closed: like
/// [`reporter_notice`] (the same three inputs, nothing of the report), and
/// that their address is now deleted, so no further mail will come.
pub(crate) fn reporter_closure_notice(lang: Lang, tenant_name: &str, mailbox_url: &str) -> Text {
    Text {
        subject: t(lang, "email-notice-subject"),
        body: tf(
            lang,
            "email-closure-notice-body",
            &[
                ("tenant", Arg::Str(tenant_name)),
                ("url", Arg::Str(mailbox_url)),
            ],
        ),
    }
}

/// An advisor's digest: each report by short id and deadline, and the
/// reports whose content is deleted within the next days.
pub(crate) fn advisor_digest(
    lang: Lang,
    tenant_name: &str,
    today: Day,
    items: &[DigestItem],
    deletions: &[DigestDeletion],
) -> Text {
    let day = today.to_string();
    let line = |item: &DigestItem| {
        let due = item.due.to_string();
        let what = tf(
            lang,
            &format!("email-digest-{}", item.kind.code()),
            &[("id", Arg::Str(&item.short_id)), ("due", Arg::Str(&due))],
        );
        let left = today.days_until(item.due);
        let when = if left < 0 {
            tf(lang, "email-digest-late", &[("days", Arg::Num(-left))])
        } else {
            tf(lang, "email-digest-left", &[("days", Arg::Num(left))])
        };
        format!("- {what} ({when})\n")
    };
    let mut body = tf(
        lang,
        "email-digest-intro",
        &[("day", Arg::Str(&day)), ("tenant", Arg::Str(tenant_name))],
    );
    body.push_str("\n\n");
    let (overdue, upcoming): (Vec<&DigestItem>, Vec<&DigestItem>) =
        items.iter().partition(|i| i.overdue(today));
    for (heading, group) in [
        ("email-digest-overdue", overdue),
        ("email-digest-upcoming", upcoming),
    ] {
        if group.is_empty() {
            continue;
        }
        body.push_str(&t(lang, heading));
        body.push('\n');
        for item in group {
            body.push_str(&line(item));
        }
        body.push('\n');
    }
    if !deletions.is_empty() {
        body.push_str(&t(lang, "email-digest-deletions"));
        body.push('\n');
        for deletion in deletions {
            let day = deletion.day.to_string();
            let what = tf(
                lang,
                "email-digest-deletion",
                &[
                    ("id", Arg::Str(&deletion.short_id)),
                    ("due", Arg::Str(&day)),
                ],
            );
            let left = tf(
                lang,
                "email-digest-left",
                &[("days", Arg::Num(today.days_until(deletion.day).max(0)))],
            );
            body.push_str(&format!("- {what} ({left})\n"));
        }
        body.push('\n');
    }
    body.push_str(&t(lang, "email-digest-footer"));
    body.push('\n');
    Text {
        subject: tf(
            lang,
            "email-digest-subject",
            &[("tenant", Arg::Str(tenant_name)), ("day", Arg::Str(&day))],
        ),
        body,
    }
}

/// Encodes a digest item for the outbox: `kind short_id due`.
pub(crate) fn encode_item(item: &DigestItem) -> String {
    format!("{} {} {}", item.kind.code(), item.short_id, item.due)
}

/// Decodes what [`encode_item`] wrote.
pub(crate) fn decode_item(text: &str) -> Option<DigestItem> {
    let mut parts = text.split(' ');
    let kind = DeadlineKind::from_code(parts.next()?)?;
    let short_id = parts.next()?.to_owned();
    let due = Day::parse(parts.next()?)?;
    if parts.next().is_some() || short_id.len() != 8 {
        return None;
    }
    Some(DigestItem {
        due,
        kind,
        short_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lang(tag: &str) -> Lang {
        meldkluis_i18n::catalog().lang(tag).expect("known language")
    }

    #[test]
    fn the_reporter_notice_holds_its_three_inputs_and_nothing_else() {
        let url = "https://meldkluis.example/t/acme/mailbox";
        let nl = reporter_notice(lang("nl"), "Acme BV", url);
        assert!(nl.body.contains("Acme BV") && nl.body.contains(url));
        assert!(nl.body.contains("nieuw bericht"), "{}", nl.body);
        let en = reporter_notice(lang("en"), "Acme BV", url);
        assert!(en.body.contains("A new message is waiting"), "{}", en.body);
        assert_ne!(nl.subject, en.subject);
        // The only link is the mailbox address.
        for text in [&nl.body, &en.body] {
            assert_eq!(text.matches("://").count(), 1);
        }
    }

    #[test]
    fn the_closure_notice_says_the_address_is_deleted_and_nothing_else_new() {
        let url = "https://meldkluis.example/t/acme/mailbox";
        let en = reporter_closure_notice(lang("en"), "Acme BV", url);
        assert!(en.body.contains("Acme BV") && en.body.contains(url));
        assert!(en.body.contains("address has been deleted"), "{}", en.body);
        let nl = reporter_closure_notice(lang("nl"), "Acme BV", url);
        assert!(nl.body.contains("verwijderd"), "{}", nl.body);
        for text in [&nl.body, &en.body] {
            assert_eq!(text.matches("://").count(), 1);
        }
        assert_eq!(
            en.subject,
            reporter_notice(lang("en"), "Acme BV", url).subject
        );
    }

    #[test]
    fn a_digest_lists_the_reports_deleted_within_days() {
        let today = Day::parse("2027-03-01").expect("valid");
        let deletion = DigestDeletion {
            short_id: "0a0b0c0d".into(),
            day: today.add_days(10),
        };
        let en = advisor_digest(
            lang("en"),
            "Acme",
            today,
            &[],
            std::slice::from_ref(&deletion),
        );
        assert!(
            en.body
                .contains("Deleted soon (end of the retention period):\n- report 0a0b0c0d: content deleted on 2027-03-11 (10 days left)"),
            "{}",
            en.body
        );
        let nl = advisor_digest(
            lang("nl"),
            "Acme",
            today,
            &[],
            std::slice::from_ref(&deletion),
        );
        assert!(
            nl.body.contains("0a0b0c0d") && nl.body.contains("2027-03-11"),
            "{}",
            nl.body
        );
        assert_ne!(nl.body, en.body);
        assert_eq!(decode_deletion(&encode_deletion(&deletion)), Some(deletion));
        assert!(decode_deletion("deletion 0a0b 2027-03-11").is_none());
        assert!(decode_deletion("feedback 0a0b0c0d 2027-03-11").is_none());
        assert!(decode_item("deletion 0a0b0c0d 2027-03-11").is_none());
    }

    #[test]
    fn a_digest_groups_passed_and_coming_deadlines() {
        let today = Day::parse("2026-11-24").expect("valid");
        let items = [
            DigestItem {
                due: today.add_days(-2),
                kind: DeadlineKind::Feedback,
                short_id: "05050505".into(),
            },
            DigestItem {
                due: today.add_days(1),
                kind: DeadlineKind::Acknowledgement,
                short_id: "01010101".into(),
            },
        ];
        let text = advisor_digest(lang("en"), "Acme", today, &items, &[]);
        assert_eq!(text.subject, "Report deadlines at Acme on 2026-11-24");
        let passed = text.body.find("Passed:").expect("passed");
        let coming = text.body.find("Coming up:").expect("coming");
        assert!(passed < coming);
        assert!(text
            .body
            .contains("- report 05050505: feedback due 2026-11-22 (2 days late)"));
        assert!(text
            .body
            .contains("- report 01010101: acknowledgement of receipt due 2026-11-25 (1 day left)"));
        for item in &items {
            assert_eq!(decode_item(&encode_item(item)).as_ref(), Some(item));
        }
        assert!(!text.body.contains("Deleted soon"));
        assert!(decode_item("feedback 0505 2026-11-22").is_none());
        assert!(decode_item("nonsense 05050505 2026-11-22").is_none());
    }
}
