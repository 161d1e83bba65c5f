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

/// An advisor's digest: each report by short id and deadline.
pub(crate) fn advisor_digest(
    lang: Lang,
    tenant_name: &str,
    today: Day,
    items: &[DigestItem],
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
        let text = advisor_digest(lang("en"), "Acme", today, &items);
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
        assert!(decode_item("feedback 0505 2026-11-22").is_none());
        assert!(decode_item("nonsense 05050505 2026-11-22").is_none());
    }
}
