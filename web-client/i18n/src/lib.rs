//! Every text meldkluis shows to a person, in every language, with
//! [Project Fluent](https://projectfluent.org).
//!
//! The texts live in `locales/<language>/*.ftl` beside this crate and are
//! embedded at build time: adding a language is adding a folder of `.ftl`
//! files (the tests check it has every message the default language has).
//! Dutch (`nl`) is the default and the fallback for a missing message.
//!
//! The server uses this for the reporter's pages, its error answers and the
//! e-mail notices; the advisor console for its pages. Nothing here decides
//! anything about security; it only turns message ids into words.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

include!(concat!(env!("OUT_DIR"), "/locales.rs"));

/// The default language, and the fallback for a message a language lacks.
pub const DEFAULT_LANGUAGE: &str = "nl";

/// A language of the catalog (cheap to copy; compare with `==`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Lang(u8);

impl Lang {
    /// The language tag, e.g. `nl`.
    pub fn tag(self) -> &'static str {
        catalog().languages[usize::from(self.0)].tag
    }

    /// The language's name in itself, e.g. `Nederlands` (for a switcher).
    pub fn native_name(self) -> String {
        catalog().text(self, "language-name")
    }
}

impl Default for Lang {
    fn default() -> Self {
        catalog().default_lang()
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.tag())
    }
}

/// A value for a placeholder in a message.
#[derive(Debug, Clone, Copy)]
pub enum Arg<'a> {
    /// Text, inserted as is (escaping is the caller's business: maud
    /// escapes everything it renders).
    Str(&'a str),
    /// A number, formatted for the language (plural rules use it too).
    Num(i64),
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(value: &'a str) -> Self {
        Self::Str(value)
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(value: &'a String) -> Self {
        Self::Str(value)
    }
}

impl From<i64> for Arg<'_> {
    fn from(value: i64) -> Self {
        Self::Num(value)
    }
}

impl From<u64> for Arg<'_> {
    fn from(value: u64) -> Self {
        Self::Num(i64::try_from(value).unwrap_or(i64::MAX))
    }
}

impl From<usize> for Arg<'_> {
    fn from(value: usize) -> Self {
        Self::Num(i64::try_from(value).unwrap_or(i64::MAX))
    }
}

struct Language {
    tag: &'static str,
    bundle: FluentBundle<FluentResource>,
}

/// All languages and their messages.
pub struct Catalog {
    languages: Vec<Language>,
    default: Lang,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.languages.iter().map(|l| l.tag))
            .finish()
    }
}

/// Why the embedded texts could not be loaded (a test catches every case
/// before a build ships).
#[derive(Debug)]
pub struct LoadError(String);

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LoadError {}

impl Catalog {
    /// Parses the embedded `.ftl` files.
    pub fn load() -> Result<Self, LoadError> {
        let mut languages = Vec::new();
        for (tag, files) in LOCALES {
            let id: LanguageIdentifier = tag
                .parse()
                .map_err(|e| LoadError(format!("language folder {tag:?}: {e}")))?;
            let mut bundle = FluentBundle::new_concurrent(vec![id]);
            // No Unicode isolation marks around placeholders: the texts go
            // into HTML and plain-text e-mail in left-to-right languages,
            // where the invisible marks only get in the way. Revisit when a
            // right-to-left language is added.
            bundle.set_use_isolating(false);
            for (name, source) in *files {
                let resource = FluentResource::try_new((*source).to_owned())
                    .map_err(|(_, errors)| LoadError(format!("{tag}/{name}: {errors:?}")))?;
                bundle
                    .add_resource(resource)
                    .map_err(|errors| LoadError(format!("{tag}/{name}: {errors:?}")))?;
            }
            languages.push(Language { tag, bundle });
        }
        if languages.len() > usize::from(u8::MAX) {
            return Err(LoadError("too many languages".into()));
        }
        let default = languages
            .iter()
            .position(|l| l.tag == DEFAULT_LANGUAGE)
            .ok_or_else(|| LoadError(format!("no {DEFAULT_LANGUAGE} folder")))?;
        Ok(Self {
            languages,
            default: Lang(u8::try_from(default).unwrap_or(0)),
        })
    }

    /// The default language (Dutch).
    pub fn default_lang(&self) -> Lang {
        self.default
    }

    /// Every language, default first.
    pub fn languages(&self) -> Vec<Lang> {
        let mut all: Vec<Lang> = (0..self.languages.len())
            .filter_map(|i| u8::try_from(i).ok().map(Lang))
            .collect();
        all.sort_by_key(|l| *l != self.default);
        all
    }

    /// The language with this tag (`en`, `EN`, `en-GB` all find `en`).
    pub fn lang(&self, tag: &str) -> Option<Lang> {
        let primary = tag.split(['-', '_']).next()?.trim();
        self.languages
            .iter()
            .position(|l| l.tag.eq_ignore_ascii_case(primary))
            .and_then(|i| u8::try_from(i).ok())
            .map(Lang)
    }

    /// The language to use: `chosen` (the person's explicit choice, e.g.
    /// `?lang=en`) if offered, else the best offered one from the browser's
    /// `Accept-Language`, else the first offered (the tenant's default),
    /// else Dutch. `offered` limits the choice to a tenant's languages;
    /// `None` offers every language of the catalog.
    pub fn negotiate(
        &self,
        chosen: Option<&str>,
        accept_language: Option<&str>,
        offered: Option<&[Lang]>,
    ) -> Lang {
        let all = self.languages();
        let offered = offered.filter(|o| !o.is_empty()).unwrap_or(&all);
        if let Some(lang) = chosen.and_then(|tag| self.lang(tag)) {
            if offered.contains(&lang) {
                return lang;
            }
        }
        let mut best: Option<(f32, Lang)> = None;
        for entry in accept_language.unwrap_or("").split(',').take(16) {
            let mut parts = entry.split(';');
            let Some(lang) = parts.next().and_then(|tag| self.lang(tag.trim())) else {
                continue;
            };
            let quality = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if quality > 0.0 && offered.contains(&lang) && best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, lang));
            }
        }
        best.map_or(offered[0], |(_, lang)| lang)
    }

    /// The message `id` in `lang` (falling back to Dutch, then to the id).
    pub fn text(&self, lang: Lang, id: &str) -> String {
        self.format(lang, id, &[])
    }

    /// The message `id` in `lang` with its placeholders filled.
    pub fn format(&self, lang: Lang, id: &str, args: &[(&str, Arg<'_>)]) -> String {
        let fluent_args = (!args.is_empty()).then(|| {
            let mut fluent_args = FluentArgs::new();
            for (name, value) in args {
                match *value {
                    Arg::Str(s) => fluent_args.set(*name, FluentValue::from(s)),
                    Arg::Num(n) => fluent_args.set(*name, FluentValue::from(n)),
                }
            }
            fluent_args
        });
        for candidate in [lang, self.default] {
            let bundle = &self.languages[usize::from(candidate.0)].bundle;
            if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                let text = bundle.format_pattern(pattern, fluent_args.as_ref(), &mut errors);
                return text.into_owned();
            }
        }
        id.to_owned()
    }

    /// Each message id of a language with the placeholders (`$name`) its
    /// text uses, sorted by id (for completeness checks).
    pub fn messages(&self, lang: Lang) -> Vec<(String, Vec<String>)> {
        let mut messages: Vec<(String, Vec<String>)> = Vec::new();
        for (_, source) in LOCALES[usize::from(lang.0)].1 {
            for line in source.lines() {
                // A message starts at column 0 with `id =`; anything else
                // (indented lines, variants, comments) continues the last.
                let starts_message = line.starts_with(|c: char| c.is_ascii_alphabetic());
                if let Some((id, _)) = line.split_once('=').filter(|_| starts_message) {
                    messages.push((id.trim_end().to_owned(), Vec::new()));
                }
                if let Some((_, placeholders)) = messages.last_mut() {
                    placeholders.extend(line.split('$').skip(1).map(|rest| {
                        rest.chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                            .collect::<String>()
                    }));
                }
            }
        }
        for (_, placeholders) in &mut messages {
            placeholders.sort();
            placeholders.dedup();
        }
        messages.sort();
        messages
    }
}

/// The catalog of the embedded texts, loaded once.
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        Catalog::load().expect("the embedded .ftl files parse (checked by the i18n tests)")
    })
}

/// Shorthand for [`Catalog::text`] on the embedded catalog.
pub fn t(lang: Lang, id: &str) -> String {
    catalog().text(lang, id)
}

/// Shorthand for [`Catalog::format`] on the embedded catalog.
pub fn tf(lang: Lang, id: &str, args: &[(&str, Arg<'_>)]) -> String {
    catalog().format(lang, id, args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_parses_and_dutch_is_the_default() {
        let catalog = Catalog::load().expect("the embedded texts load");
        assert_eq!(catalog.default_lang().tag(), "nl");
        assert_eq!(catalog.languages()[0].tag(), "nl");
        assert!(catalog.lang("en").is_some(), "English is offered");
    }

    #[test]
    fn every_language_has_every_message_of_the_default() {
        let catalog = catalog();
        let reference = catalog.messages(catalog.default_lang());
        assert!(reference.len() > 10, "the default language has texts");
        for lang in catalog.languages() {
            let messages = catalog.messages(lang);
            let ids: Vec<&String> = messages.iter().map(|(id, _)| id).collect();
            let missing: Vec<_> = reference
                .iter()
                .filter(|(id, _)| !ids.contains(&id))
                .collect();
            assert!(missing.is_empty(), "{lang} lacks {missing:?}");
            assert_eq!(
                messages,
                reference,
                "{lang} has other messages or placeholders than {}",
                catalog.default_lang()
            );
            for (id, placeholders) in &messages {
                if placeholders.is_empty() {
                    let text = catalog.text(lang, id);
                    assert!(!text.trim().is_empty(), "{lang}/{id} is empty");
                }
            }
        }
    }

    #[test]
    fn negotiation_follows_choice_then_browser_then_tenant_default() {
        let c = catalog();
        let (nl, en) = (c.lang("nl").expect("nl"), c.lang("en").expect("en"));
        assert_eq!(c.negotiate(None, None, None), nl);
        assert_eq!(c.negotiate(Some("en"), Some("nl"), None), en);
        assert_eq!(c.negotiate(None, Some("en-GB,en;q=0.9"), None), en);
        assert_eq!(c.negotiate(None, Some("en;q=0.5, nl;q=0.8"), None), nl);
        assert_eq!(c.negotiate(None, Some("de, fr"), None), nl);
        assert_eq!(c.negotiate(Some("xx"), Some("EN"), None), en);
        // A tenant that offers only Dutch gets Dutch, whatever is asked.
        assert_eq!(c.negotiate(Some("en"), Some("en"), Some(&[nl])), nl);
        // A tenant whose first language is English defaults to it.
        assert_eq!(c.negotiate(None, Some("de"), Some(&[en, nl])), en);
        assert_eq!(c.negotiate(None, Some("nl;q=0"), Some(&[en, nl])), en);
    }

    #[test]
    fn placeholders_are_filled_and_missing_ids_fall_back() {
        let c = catalog();
        let en = c.lang("en").expect("en");
        assert_eq!(c.text(en, "language-name"), "English");
        assert_eq!(c.text(en, "no-such-message"), "no-such-message");
        let days = c.format(en, "days", &[("count", Arg::Num(1))]);
        assert_eq!(days, "1 day");
        let days = c.format(en, "days", &[("count", Arg::Num(7))]);
        assert_eq!(days, "7 days");
        let nl = c.lang("nl").expect("nl");
        assert_eq!(c.format(nl, "days", &[("count", 7_i64.into())]), "7 dagen");
    }
}
