//! A tenant's reporting form, as its operator configures it: the
//! questionnaire (categories and questions), the tips shown after a report,
//! the promised response times, and the tenant's look (colour, logo).
//!
//! The form is a JSON (or TOML) document the operator loads with the CLI; it
//! is checked here once, when loaded, so a page never meets a form it cannot
//! render. Texts are given per language (`{"nl": "...", "en": "..."}`); a
//! missing language falls back to Dutch, then to any language given.
//!
//! None of this is secret: the form is public (the reporter's browser needs
//! it), and the answers never pass through the server unsealed.

use std::collections::{BTreeMap, HashSet};

use meldkluis_i18n::Lang;
use serde::{Deserialize, Serialize};

/// Why a form or branding cannot be used (shown to the operator).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ProfileError(String);

fn invalid(message: impl Into<String>) -> ProfileError {
    ProfileError(message.into())
}

/// A text in several languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Localized(BTreeMap<String, String>);

impl Localized {
    /// The text in `lang`, else Dutch, else the first language given.
    pub fn get(&self, lang: Lang) -> &str {
        self.0
            .get(lang.tag())
            .or_else(|| self.0.get(meldkluis_i18n::DEFAULT_LANGUAGE))
            .or_else(|| self.0.values().next())
            .map_or("", String::as_str)
    }

    fn check(&self, what: &str, max_chars: usize) -> Result<(), ProfileError> {
        if self.0.is_empty() {
            return Err(invalid(format!("{what}: no text in any language")));
        }
        for (tag, text) in &self.0 {
            if meldkluis_i18n::catalog().lang(tag).map(Lang::tag) != Some(tag.as_str()) {
                return Err(invalid(format!("{what}: unknown language {tag:?}")));
            }
            if text.trim().is_empty() || text.chars().count() > max_chars {
                return Err(invalid(format!(
                    "{what} ({tag}): must be 1 to {max_chars} characters"
                )));
            }
            if text.chars().any(|c| c.is_control() && c != '\n') {
                return Err(invalid(format!("{what} ({tag}): control characters")));
            }
        }
        Ok(())
    }
}

/// The kinds of question a form can ask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// One line of text.
    Text,
    /// Several paragraphs of text.
    LongText,
    /// One of a list of options.
    Choice,
    /// Any number of a list of options.
    MultipleChoice,
    /// A calendar date.
    Date,
    /// Yes or no.
    YesNo,
}

/// An option of a (multiple) choice question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// Stable id (`[a-z0-9_-]`).
    pub id: String,
    /// What the reporter reads.
    pub label: Localized,
}

/// A question of the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Stable id (`[a-z0-9_-]`), unique in the form.
    pub id: String,
    /// What kind of answer it takes.
    #[serde(rename = "type")]
    pub kind: QuestionKind,
    /// The question.
    pub label: Localized,
    /// An optional explanation under the question.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<Localized>,
    /// Whether the report can be sent without an answer.
    #[serde(default)]
    pub required: bool,
    /// The options of a choice or multiple-choice question.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<Choice>,
}

/// A kind of behaviour the reporter can pick (and advisors disclose for
/// aggregate figures).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    /// Stable id (`[a-z0-9_-]`).
    pub id: String,
    /// What the reporter reads.
    pub label: Localized,
}

/// A tenant's reporting form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Questionnaire {
    /// Format version of this document: 1.
    pub version: u32,
    /// Kinds of behaviour, offered as the form's first question.
    #[serde(default)]
    pub categories: Vec<Category>,
    /// The questions, in order.
    pub questions: Vec<Question>,
    /// Tips shown after a report is sent; empty: the built-in tips.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tips: Vec<Localized>,
    /// Days within which receipt is acknowledged (the law: at most 7).
    #[serde(default = "default_acknowledgement_days")]
    pub acknowledgement_days: u32,
    /// Months within which the reporter hears what is done (the law: at
    /// most 3, counted from the acknowledgement).
    #[serde(default = "default_feedback_months")]
    pub feedback_months: u32,
}

fn default_acknowledgement_days() -> u32 {
    7
}

fn default_feedback_months() -> u32 {
    3
}

/// Most questions, categories and options in a form.
const MAX_ENTRIES: usize = 100;

fn check_id(id: &str, what: &str, seen: &mut HashSet<String>) -> Result<(), ProfileError> {
    let valid = (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if !valid {
        return Err(invalid(format!(
            "{what} id {id:?}: 1 to 64 of a-z, 0-9, '_' and '-'"
        )));
    }
    if !seen.insert(id.to_owned()) {
        return Err(invalid(format!("{what} id {id:?} appears twice")));
    }
    Ok(())
}

impl Questionnaire {
    /// Parses and checks a form document.
    pub fn from_json(value: serde_json::Value) -> Result<Self, ProfileError> {
        let form: Self = serde_json::from_value(value).map_err(|e| invalid(e.to_string()))?;
        form.check()?;
        Ok(form)
    }

    /// Checks every rule of the document.
    pub fn check(&self) -> Result<(), ProfileError> {
        if self.version != 1 {
            return Err(invalid("version: must be 1"));
        }
        if !(1..=7).contains(&self.acknowledgement_days) {
            return Err(invalid(
                "acknowledgement_days: 1 to 7 (the law allows at most 7)",
            ));
        }
        if !(1..=3).contains(&self.feedback_months) {
            return Err(invalid(
                "feedback_months: 1 to 3 (the law allows at most 3)",
            ));
        }
        if self.questions.is_empty() || self.questions.len() > MAX_ENTRIES {
            return Err(invalid(format!("questions: 1 to {MAX_ENTRIES}")));
        }
        if self.categories.len() > MAX_ENTRIES || self.tips.len() > 20 {
            return Err(invalid(format!(
                "at most {MAX_ENTRIES} categories and 20 tips"
            )));
        }
        let mut seen = HashSet::new();
        for category in &self.categories {
            check_id(&category.id, "category", &mut seen)?;
            category
                .label
                .check(&format!("category {}", category.id), 200)?;
        }
        let mut seen = HashSet::new();
        for question in &self.questions {
            check_id(&question.id, "question", &mut seen)?;
            let what = format!("question {}", question.id);
            question.label.check(&what, 500)?;
            if let Some(help) = &question.help {
                help.check(&format!("{what} help"), 1000)?;
            }
            let wants_options = matches!(
                question.kind,
                QuestionKind::Choice | QuestionKind::MultipleChoice
            );
            let has_options = !question.options.is_empty();
            if wants_options != has_options {
                return Err(invalid(format!(
                    "{what}: options belong to (multiple) choice questions, which need at least one"
                )));
            }
            if question.options.len() > MAX_ENTRIES {
                return Err(invalid(format!("{what}: at most {MAX_ENTRIES} options")));
            }
            let mut options = HashSet::new();
            for option in &question.options {
                check_id(&option.id, &format!("{what} option"), &mut options)?;
                option
                    .label
                    .check(&format!("{what} option {}", option.id), 200)?;
            }
        }
        for (i, tip) in self.tips.iter().enumerate() {
            tip.check(&format!("tip {}", i + 1), 1000)?;
        }
        Ok(())
    }

    /// The category ids (for checking an advisor's classification).
    pub fn category_ids(&self) -> impl Iterator<Item = &str> {
        self.categories.iter().map(|c| c.id.as_str())
    }
}

/// The form a new tenant starts with: the categories of domain.md and the
/// questions a confidential advisor usually asks first.
pub fn default_questionnaire() -> Questionnaire {
    let form: serde_json::Value = serde_json::from_str(DEFAULT_QUESTIONNAIRE)
        .expect("the built-in form is valid JSON (checked by a test)");
    Questionnaire::from_json(form).expect("the built-in form is valid (checked by a test)")
}

/// The built-in form, as a document an operator can copy and change.
pub const DEFAULT_QUESTIONNAIRE: &str = r#"{
  "version": 1,
  "categories": [
    { "id": "intimidatie", "label": { "nl": "Intimidatie", "en": "Intimidation" } },
    { "id": "pesten", "label": { "nl": "Pesten", "en": "Bullying" } },
    { "id": "discriminatie", "label": { "nl": "Discriminatie", "en": "Discrimination" } },
    { "id": "seksuele-intimidatie", "label": { "nl": "Seksuele intimidatie", "en": "Sexual harassment" } },
    { "id": "agressie-geweld", "label": { "nl": "Agressie of geweld", "en": "Aggression or violence" } },
    { "id": "integriteit", "label": { "nl": "Integriteitsschending (fraude, diefstal, corruptie)", "en": "Integrity breach (fraud, theft, corruption)" } },
    { "id": "overig", "label": { "nl": "Iets anders", "en": "Something else" } }
  ],
  "questions": [
    { "id": "what", "type": "long_text", "required": true,
      "label": { "nl": "Wat is er gebeurd?", "en": "What happened?" },
      "help": { "nl": "Beschrijf het in uw eigen woorden. Namen van anderen mag u noemen als dat nodig is om het te begrijpen.", "en": "Describe it in your own words. You may name others where that is needed to understand what happened." } },
    { "id": "when", "type": "date",
      "label": { "nl": "Wanneer gebeurde het (voor het laatst)?", "en": "When did it (last) happen?" } },
    { "id": "ongoing", "type": "yes_no",
      "label": { "nl": "Gebeurt het nog steeds?", "en": "Is it still happening?" } },
    { "id": "where", "type": "text",
      "label": { "nl": "Waar gebeurde het?", "en": "Where did it happen?" } },
    { "id": "witnesses", "type": "choice",
      "label": { "nl": "Waren er anderen bij?", "en": "Was anyone else there?" },
      "options": [
        { "id": "yes", "label": { "nl": "Ja", "en": "Yes" } },
        { "id": "no", "label": { "nl": "Nee", "en": "No" } },
        { "id": "unknown", "label": { "nl": "Weet ik niet", "en": "I don't know" } }
      ] },
    { "id": "wishes", "type": "multiple_choice",
      "label": { "nl": "Wat zou u willen?", "en": "What would you like?" },
      "options": [
        { "id": "listen", "label": { "nl": "Een luisterend oor", "en": "Someone to listen" } },
        { "id": "advice", "label": { "nl": "Advies over wat ik kan doen", "en": "Advice on what I can do" } },
        { "id": "meeting", "label": { "nl": "Een gesprek met de vertrouwenspersoon", "en": "A meeting with the confidential advisor" } },
        { "id": "investigate", "label": { "nl": "Dat het onderzocht wordt", "en": "That it is investigated" } }
      ] }
  ],
  "acknowledgement_days": 7,
  "feedback_months": 3
}"#;

/// A tenant's look: a colour for headings and buttons, and a logo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Branding {
    /// `#rrggbb`, dark enough for white text on it and for text on white
    /// (contrast at least 4.5:1, WCAG 2.1 AA).
    pub colour: String,
    /// Whether a logo is stored (served at `/t/{tenant}/logo`).
    #[serde(default)]
    pub has_logo: bool,
}

impl Default for Branding {
    fn default() -> Self {
        Self {
            colour: DEFAULT_COLOUR.to_owned(),
            has_logo: false,
        }
    }
}

/// A tenant's voice messages (issue 13): whether reporters may record
/// one, and whether the recording must be disguised or the reporter may
/// choose. Served in the public configuration as `voice`; the recording
/// and its disguise happen in the reporter's browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Voice {
    /// Reporters may record voice messages.
    pub enabled: bool,
    /// Whether the voice must be disguised.
    pub disguise: Disguise,
}

impl Default for Voice {
    fn default() -> Self {
        Self {
            enabled: true,
            disguise: Disguise::Required,
        }
    }
}

/// Whether a voice message must be disguised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disguise {
    /// Always disguised; the reporter cannot turn it off.
    Required,
    /// Disguised unless the reporter turns it off.
    Optional,
}

impl Disguise {
    /// Reads `required` or `optional`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "required" => Some(Self::Required),
            "optional" => Some(Self::Optional),
            _ => None,
        }
    }
}

/// meldkluis's own colour: a calm dark blue, 8.6:1 against white.
pub const DEFAULT_COLOUR: &str = "#1f3a68";

/// Largest logo accepted, in bytes.
pub const MAX_LOGO_BYTES: usize = 256 * 1024;

/// The kinds of logo file accepted, by their first bytes.
pub fn logo_content_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"\xff\xd8\xff") {
        Some("image/jpeg")
    } else if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        Some("image/webp")
    } else {
        // SVG is refused on purpose: it is a document that can carry script.
        None
    }
}

/// WCAG 2.1 relative luminance of `#rrggbb`.
fn luminance(colour: &str) -> Option<f64> {
    let hex = colour.strip_prefix('#').filter(|h| h.len() == 6)?;
    let channel = |i: usize| -> Option<f64> {
        let value = f64::from(u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()?) / 255.0;
        Some(if value <= 0.039_28 {
            value / 12.92
        } else {
            ((value + 0.055) / 1.055).powf(2.4)
        })
    };
    Some(0.2126 * channel(0)? + 0.7152 * channel(2)? + 0.0722 * channel(4)?)
}

/// The WCAG contrast ratio between `colour` and white.
pub fn contrast_with_white(colour: &str) -> Option<f64> {
    luminance(colour).map(|l| 1.05 / (l + 0.05))
}

impl Branding {
    /// Checks the colour: `#rrggbb` with at least 4.5:1 contrast to white.
    pub fn check(&self) -> Result<(), ProfileError> {
        let ratio =
            contrast_with_white(&self.colour).ok_or_else(|| invalid("colour: must be #rrggbb"))?;
        if ratio < 4.5 {
            return Err(invalid(format!(
                "colour {}: contrast with white is {ratio:.1}:1; WCAG 2.1 AA needs 4.5:1 (choose a darker colour)",
                self.colour
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_form_is_valid() {
        let form = default_questionnaire();
        assert_eq!(form.acknowledgement_days, 7);
        assert!(form.category_ids().any(|id| id == "pesten"));
        let kinds: HashSet<_> = form.questions.iter().map(|q| q.kind).collect();
        assert_eq!(kinds.len(), 6, "the demo form shows every kind of question");
    }

    #[test]
    fn bad_forms_are_refused_with_a_reason() {
        let base: serde_json::Value =
            serde_json::from_str(DEFAULT_QUESTIONNAIRE).expect("built-in form");
        type Change = Box<dyn Fn(&mut serde_json::Value)>;
        let cases: Vec<(&str, Change)> = vec![
            ("version", Box::new(|f| f["version"] = 2.into())),
            (
                "acknowledgement_days",
                Box::new(|f| f["acknowledgement_days"] = 8.into()),
            ),
            (
                "feedback_months",
                Box::new(|f| f["feedback_months"] = 4.into()),
            ),
            (
                "questions",
                Box::new(|f| f["questions"] = serde_json::json!([])),
            ),
            (
                "appears twice",
                Box::new(|f| f["questions"][1]["id"] = "what".into()),
            ),
            (
                "question id",
                Box::new(|f| f["questions"][0]["id"] = "../x".into()),
            ),
            (
                "options",
                Box::new(|f| f["questions"][4]["options"] = serde_json::json!([])),
            ),
            (
                "unknown language",
                Box::new(|f| f["questions"][0]["label"]["xx"] = "?".into()),
            ),
            (
                "no text",
                Box::new(|f| f["questions"][0]["label"] = serde_json::json!({})),
            ),
            (
                "unknown field",
                Box::new(|f| f["questions"][0]["colour"] = "red".into()),
            ),
            (
                "unknown variant",
                Box::new(|f| f["questions"][0]["type"] = "file".into()),
            ),
        ];
        for (expected, change) in cases {
            let mut form = base.clone();
            change(&mut form);
            let error = Questionnaire::from_json(form).expect_err(expected);
            assert!(
                error.to_string().contains(expected),
                "{expected}: got {error}"
            );
        }
    }

    #[test]
    fn texts_fall_back_to_dutch() {
        let catalog = meldkluis_i18n::catalog();
        let (nl, en) = (
            catalog.lang("nl").expect("nl"),
            catalog.lang("en").expect("en"),
        );
        let only_dutch = Localized([("nl".to_owned(), "Hallo".to_owned())].into());
        assert_eq!(only_dutch.get(en), "Hallo");
        let both = Localized(
            [
                ("nl".to_owned(), "Hallo".to_owned()),
                ("en".to_owned(), "Hello".to_owned()),
            ]
            .into(),
        );
        assert_eq!(both.get(en), "Hello");
        assert_eq!(both.get(nl), "Hallo");
    }

    #[test]
    fn colours_need_enough_contrast() {
        assert!(Branding::default().check().is_ok());
        for ok in ["#000000", "#1d4ed8", "#b91c1c"] {
            let branding = Branding {
                colour: ok.into(),
                has_logo: false,
            };
            assert!(branding.check().is_ok(), "{ok}");
        }
        for bad in ["#ffff00", "#60a5fa", "red", "#12345", "#gggggg"] {
            let branding = Branding {
                colour: bad.into(),
                has_logo: false,
            };
            assert!(branding.check().is_err(), "{bad}");
        }
        let ratio = contrast_with_white("#767676").expect("a colour");
        assert!(
            (ratio - 4.54).abs() < 0.01,
            "the WCAG reference grey: {ratio}"
        );
    }

    #[test]
    fn only_raster_logos_are_accepted() {
        assert_eq!(
            logo_content_type(b"\x89PNG\r\n\x1a\n...."),
            Some("image/png")
        );
        assert_eq!(logo_content_type(b"<svg onload=alert(1)>"), None);
        assert_eq!(logo_content_type(b""), None);
    }
}
