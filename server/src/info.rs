//! The tenant's information page: what the operator stores for it and the
//! maintained list of external reporting channels.
//!
//! The page itself ([`crate::pages`], `/t/{tenant}/info`) shows the
//! tenant's real settings (its terms and retention) beside what is stored
//! here: an introduction and a privacy statement per language, the
//! organisation's procedure (*meldregeling*) as text or as a PDF, the
//! tenant's own external channels, and advisors' photos and short bios.
//! The operator stores them with `meldkluis-server tenant info`; everything
//! is checked before anything is written, and written in one transaction.
//!
//! Texts are plain text (paragraphs separated by a blank line), never
//! HTML: the page escapes every character of them. Nothing here is about a
//! report or a reporter.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use meldkluis_i18n::Lang;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

/// The maintained default list of external channels (see the file's head
/// for how it is reviewed).
pub const DEFAULT_CHANNELS_TOML: &str = include_str!("../info/external-channels.toml");

/// Largest introduction or privacy statement, in characters.
pub const MAX_TEXT_CHARS: usize = 20_000;
/// Largest procedure text, in characters.
pub const MAX_PROCEDURE_CHARS: usize = 100_000;
/// Largest advisor bio, in characters.
pub const MAX_BIO_CHARS: usize = 1_000;
/// Largest advisor photo, in bytes.
pub const MAX_PHOTO_BYTES: usize = 2 * 1024 * 1024;
/// Largest procedure PDF, in bytes.
pub const MAX_PDF_BYTES: usize = 10 * 1024 * 1024;
/// Most channels a tenant may add.
pub const MAX_TENANT_CHANNELS: usize = 30;
/// Largest channels file, in bytes.
const MAX_CHANNELS_FILE_BYTES: usize = 256 * 1024;

/// Why something cannot go on the information page (shown to the
/// operator; names the part and what is wrong, never echoes file content).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InfoError(String);

fn invalid(message: impl Into<String>) -> InfoError {
    InfoError(message.into())
}

/// A part of the page the operator stores texts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TextPart {
    /// What the channel is for.
    Intro,
    /// The privacy statement.
    Privacy,
    /// The organisation's procedure (meldregeling) as text.
    Procedure,
}

impl TextPart {
    /// The part's name in the database and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Intro => "intro",
            Self::Privacy => "privacy",
            Self::Procedure => "procedure",
        }
    }

    fn max_chars(self) -> usize {
        match self {
            Self::Intro | Self::Privacy => MAX_TEXT_CHARS,
            Self::Procedure => MAX_PROCEDURE_CHARS,
        }
    }
}

/// What `tenant info --clear` removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClearPart {
    /// The introduction (in `--lang`, or every language).
    Intro,
    /// The privacy statement (in `--lang`, or every language).
    Privacy,
    /// The procedure: its text (in `--lang`, or every language) and its PDF.
    Meldregeling,
    /// The tenant's own external channels.
    Channels,
    /// An advisor's photo.
    AdvisorPhoto(i64),
    /// An advisor's bio (in `--lang`, or every language).
    AdvisorBio(i64),
}

impl std::str::FromStr for ClearPart {
    type Err = InfoError;

    fn from_str(text: &str) -> Result<Self, InfoError> {
        let advisor = |id: &str| {
            id.parse::<i64>()
                .ok()
                .filter(|id| *id > 0)
                .ok_or_else(|| invalid(format!("--clear {text}: advisor id must be a number")))
        };
        match text.split_once('=') {
            None => match text {
                "intro" => Ok(Self::Intro),
                "privacy" => Ok(Self::Privacy),
                "meldregeling" => Ok(Self::Meldregeling),
                "channels" => Ok(Self::Channels),
                _ => Err(invalid(format!(
                    "--clear {text}: expected intro, privacy, meldregeling, channels, \
                     advisor-photo=ID or advisor-bio=ID"
                ))),
            },
            Some(("advisor-photo", id)) => Ok(Self::AdvisorPhoto(advisor(id)?)),
            Some(("advisor-bio", id)) => Ok(Self::AdvisorBio(advisor(id)?)),
            Some(_) => Err(invalid(format!(
                "--clear {text}: expected advisor-photo=ID or advisor-bio=ID"
            ))),
        }
    }
}

/// The procedure as uploaded: a file name (for its kind) and its bytes.
#[derive(Debug, Clone)]
pub struct ProcedureUpload {
    /// The file's name: `.txt` or `.md` (plain text), or `.pdf`.
    pub file_name: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

/// A change of a tenant's information page (`tenant info`): files as
/// read, not yet checked. [`InfoChange::check`] checks everything.
#[derive(Debug, Clone, Default)]
pub struct InfoChange {
    /// The language of the texts given (default: the tenant's first
    /// language); with `clear`, the one language to clear (default: all).
    pub lang: Option<Lang>,
    /// A new introduction.
    pub intro: Option<Vec<u8>>,
    /// A new privacy statement.
    pub privacy: Option<Vec<u8>>,
    /// A new procedure (text or PDF).
    pub procedure: Option<ProcedureUpload>,
    /// The tenant's own external channels (TOML, as the default file).
    pub channels: Option<Vec<u8>>,
    /// Advisor photos: (advisor id, JPEG or PNG bytes).
    pub advisor_photos: Vec<(i64, Vec<u8>)>,
    /// Advisor bios: (advisor id, plain text).
    pub advisor_bios: Vec<(i64, Vec<u8>)>,
    /// Parts to remove.
    pub clear: Vec<ClearPart>,
}

/// A photo's content type from its first bytes: JPEG or PNG only.
pub fn photo_content_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"\xff\xd8\xff") {
        Some("image/jpeg")
    } else {
        None
    }
}

/// True if `bytes` start like a PDF document.
pub fn is_pdf(bytes: &[u8]) -> bool {
    bytes.starts_with(b"%PDF-")
}

/// True if the text holds something that looks like an HTML tag
/// (`<p>`, `</a>`, `<!-- -->`, `<br/>`): the operator probably uploaded
/// HTML, which the page would show as literal characters.
fn looks_like_html(text: &str) -> bool {
    text.match_indices('<').any(|(at, _)| {
        let rest = &text[at + 1..];
        let starts_tag = rest
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '!');
        let end = rest.find(['<', '\n']).unwrap_or(rest.len());
        starts_tag && rest[..end].contains('>')
    })
}

/// Checks a plain text: UTF-8, no control characters but line ends and
/// tabs, not HTML, 1 to `max_chars` characters. Returns it with a byte
/// order mark removed, line ends made `\n`, and trimmed.
pub fn check_text(what: &str, bytes: &[u8], max_chars: usize) -> Result<String, InfoError> {
    let text =
        std::str::from_utf8(bytes).map_err(|_| invalid(format!("{what}: not UTF-8 text")))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let text = text.trim();
    if text.is_empty() {
        return Err(invalid(format!("{what}: the file is empty")));
    }
    let chars = text.chars().count();
    if chars > max_chars {
        return Err(invalid(format!(
            "{what}: {chars} characters; at most {max_chars}"
        )));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(invalid(format!("{what}: contains control characters")));
    }
    if looks_like_html(text) {
        return Err(invalid(format!(
            "{what}: looks like HTML; texts are plain text (paragraphs separated by a blank line)"
        )));
    }
    Ok(text.to_owned())
}

/// The paragraphs of a plain text (separated by blank lines), each as its
/// lines.
pub fn paragraphs(text: &str) -> Vec<Vec<&str>> {
    let mut out: Vec<Vec<&str>> = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in text.lines() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
        } else {
            current.push(line);
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// One external reporting channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Channel {
    /// A short id (a-z, 0-9, '-').
    pub id: String,
    /// Its name per language.
    pub name: BTreeMap<String, String>,
    /// What it is for, per language.
    pub domain: BTreeMap<String, String>,
    /// Its website (https).
    pub website: String,
    /// Its phone number as it writes it, if public.
    #[serde(default)]
    pub phone: Option<String>,
    /// A competent authority under the Wet bescherming klokkenluiders.
    #[serde(default)]
    pub designated: bool,
    /// Where the data was checked.
    #[serde(default)]
    pub source: Option<String>,
}

/// A text per language: `lang`, else Dutch, else the first given. Returns
/// the text and its language tag.
pub fn localized(map: &BTreeMap<String, String>, lang: Lang) -> (&str, &str) {
    map.get_key_value(lang.tag())
        .or_else(|| map.get_key_value(meldkluis_i18n::DEFAULT_LANGUAGE))
        .or_else(|| map.iter().next())
        .map_or(("", ""), |(tag, text)| (text.as_str(), tag.as_str()))
}

impl Channel {
    /// The phone number for a `tel:` link (digits and a leading '+').
    pub fn tel(&self) -> Option<String> {
        self.phone.as_ref().map(|phone| {
            phone
                .replace("(0)", "")
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == '+')
                .collect()
        })
    }

    /// The website, if it is an http(s) address to link to (always, for a
    /// channel that passed the checks).
    pub fn link(&self) -> Option<&str> {
        website_ok(&self.website).then_some(self.website.as_str())
    }

    fn check(&self) -> Result<(), InfoError> {
        let what = format!("channel {:?}", self.id);
        if self.id.is_empty()
            || self.id.len() > 63
            || !self
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(invalid(format!(
                "{what}: id must be 1 to 63 of a-z, 0-9 and '-'"
            )));
        }
        for (field, map, max) in [("name", &self.name, 200), ("domain", &self.domain, 1000)] {
            if map.is_empty() {
                return Err(invalid(format!("{what}: {field} in no language")));
            }
            for (tag, text) in map {
                if meldkluis_i18n::catalog().lang(tag).map(Lang::tag) != Some(tag.as_str()) {
                    return Err(invalid(format!(
                        "{what}: {field}: unknown language {tag:?}"
                    )));
                }
                let checked =
                    check_text(&format!("{what}: {field} ({tag})"), text.as_bytes(), max)?;
                if checked.contains('\n') {
                    return Err(invalid(format!("{what}: {field} ({tag}): one line only")));
                }
            }
        }
        if !website_ok(&self.website) {
            return Err(invalid(format!(
                "{what}: website must be an http(s) address without spaces"
            )));
        }
        if let Some(source) = &self.source {
            check_text(&format!("{what}: source"), source.as_bytes(), 500)?;
        }
        if let Some(phone) = &self.phone {
            let digits = phone.chars().filter(char::is_ascii_digit).count();
            if phone.len() > 40
                || digits < 3
                || !phone
                    .chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')'))
            {
                return Err(invalid(format!(
                    "{what}: phone must be digits, spaces, '+', '-', '(' and ')'"
                )));
            }
        }
        Ok(())
    }
}

/// An http(s) address without spaces or quotes, at most 300 characters.
fn website_ok(url: &str) -> bool {
    url.len() <= 300
        && (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() > "https://".len()
        && url
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '"' | '<' | '>' | '\\' | '`'))
}

/// A channels file: the default one (with `reviewed` and `sources`) or a
/// tenant's (channels only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelsFile {
    /// The day the list was last checked against its sources.
    #[serde(default)]
    pub reviewed: Option<String>,
    /// Where the list comes from.
    #[serde(default)]
    pub sources: Vec<String>,
    /// The channels, in the order shown.
    #[serde(default)]
    pub channel: Vec<Channel>,
}

impl ChannelsFile {
    /// Parses and checks a channels file (TOML).
    pub fn parse(text: &str) -> Result<Self, InfoError> {
        let file: Self =
            toml::from_str(text).map_err(|e| invalid(format!("channels file: {}", e.message())))?;
        if let Some(day) = &file.reviewed {
            if crate::dates::Day::parse(day).is_none() {
                return Err(invalid("channels file: reviewed must be a day YYYY-MM-DD"));
            }
        }
        let mut ids = std::collections::HashSet::new();
        for channel in &file.channel {
            channel.check()?;
            if !ids.insert(channel.id.as_str()) {
                return Err(invalid(format!(
                    "channels file: channel {:?} twice",
                    channel.id
                )));
            }
        }
        Ok(file)
    }
}

/// The default external channels, parsed once. The file is checked by a
/// test; should it ever not read, the page shows no default channels and
/// the error is logged.
pub fn default_channels() -> &'static ChannelsFile {
    static DEFAULT: OnceLock<ChannelsFile> = OnceLock::new();
    DEFAULT.get_or_init(|| {
        ChannelsFile::parse(DEFAULT_CHANNELS_TOML).unwrap_or_else(|e| {
            tracing::error!(error = %e, "the default external channels do not read");
            ChannelsFile {
                reviewed: None,
                sources: Vec::new(),
                channel: Vec::new(),
            }
        })
    })
}

/// An [`InfoChange`] with everything checked.
#[derive(Debug)]
struct Checked {
    texts: Vec<(TextPart, String)>,
    pdf: Option<Vec<u8>>,
    channels: Option<Vec<Channel>>,
    photos: Vec<(i64, Vec<u8>, &'static str)>,
    bios: Vec<(i64, String)>,
}

impl InfoChange {
    /// True if the change names nothing.
    pub fn is_empty(&self) -> bool {
        self.intro.is_none()
            && self.privacy.is_none()
            && self.procedure.is_none()
            && self.channels.is_none()
            && self.advisor_photos.is_empty()
            && self.advisor_bios.is_empty()
            && self.clear.is_empty()
    }

    fn check(&self) -> Result<Checked, InfoError> {
        if self.is_empty() {
            return Err(invalid(
                "nothing to change: name a file to store or a part to --clear",
            ));
        }
        let mut texts = Vec::new();
        for (part, bytes) in [
            (TextPart::Intro, &self.intro),
            (TextPart::Privacy, &self.privacy),
        ] {
            if let Some(bytes) = bytes {
                texts.push((part, check_text(part.name(), bytes, part.max_chars())?));
            }
        }
        let mut pdf = None;
        if let Some(upload) = &self.procedure {
            let extension = std::path::Path::new(&upload.file_name)
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase);
            match extension.as_deref() {
                Some("txt" | "md") => texts.push((
                    TextPart::Procedure,
                    check_text("meldregeling", &upload.bytes, MAX_PROCEDURE_CHARS)?,
                )),
                Some("pdf") => {
                    if upload.bytes.len() > MAX_PDF_BYTES {
                        return Err(invalid(format!(
                            "meldregeling: {} bytes; a PDF may be at most 10 MB ({MAX_PDF_BYTES} bytes)",
                            upload.bytes.len()
                        )));
                    }
                    if !is_pdf(&upload.bytes) {
                        return Err(invalid(
                            "meldregeling: not a PDF document (it does not start with %PDF-)",
                        ));
                    }
                    pdf = Some(upload.bytes.clone());
                }
                _ => {
                    return Err(invalid(
                        "meldregeling: the file must end in .txt or .md (plain text) or .pdf",
                    ))
                }
            }
        }
        let channels = match &self.channels {
            None => None,
            Some(bytes) => {
                if bytes.len() > MAX_CHANNELS_FILE_BYTES {
                    return Err(invalid("channels file: larger than 256 KiB"));
                }
                let text = std::str::from_utf8(bytes)
                    .map_err(|_| invalid("channels file: not UTF-8 text"))?;
                let file = ChannelsFile::parse(text)?;
                if file.channel.is_empty() {
                    return Err(invalid(
                        "channels file: no [[channel]]; use --clear channels to remove them",
                    ));
                }
                if file.channel.len() > MAX_TENANT_CHANNELS {
                    return Err(invalid(format!(
                        "channels file: at most {MAX_TENANT_CHANNELS} channels"
                    )));
                }
                Some(file.channel)
            }
        };
        let mut photos = Vec::new();
        for (id, bytes) in &self.advisor_photos {
            if bytes.len() > MAX_PHOTO_BYTES {
                return Err(invalid(format!(
                    "photo of advisor {id}: {} bytes; at most 2 MB ({MAX_PHOTO_BYTES} bytes)",
                    bytes.len()
                )));
            }
            let content_type = photo_content_type(bytes).ok_or_else(|| {
                invalid(format!("photo of advisor {id}: not a JPEG or PNG image"))
            })?;
            if photos.iter().any(|(other, _, _)| other == id) {
                return Err(invalid(format!("photo of advisor {id}: given twice")));
            }
            photos.push((*id, bytes.clone(), content_type));
        }
        let mut bios = Vec::new();
        for (id, bytes) in &self.advisor_bios {
            if bios.iter().any(|(other, _)| other == id) {
                return Err(invalid(format!("bio of advisor {id}: given twice")));
            }
            bios.push((
                *id,
                check_text(&format!("bio of advisor {id}"), bytes, MAX_BIO_CHARS)?,
            ));
        }
        // A part both stored and cleared is a mistake in the command.
        for clear in &self.clear {
            let both = match clear {
                ClearPart::Intro => self.intro.is_some(),
                ClearPart::Privacy => self.privacy.is_some(),
                ClearPart::Meldregeling => self.procedure.is_some(),
                ClearPart::Channels => self.channels.is_some(),
                ClearPart::AdvisorPhoto(id) => photos.iter().any(|(p, _, _)| p == id),
                ClearPart::AdvisorBio(id) => bios.iter().any(|(b, _)| b == id),
            };
            if both {
                return Err(invalid(format!(
                    "--clear {clear:?}: the same part is also given a file"
                )));
            }
        }
        Ok(Checked {
            texts,
            pdf,
            channels,
            photos,
            bios,
        })
    }

    /// Checks the whole change, then stores it in one transaction: a
    /// refused change stores nothing. Texts go in `lang` (default: the
    /// tenant's first language).
    pub fn apply(&self, conn: &mut Connection) -> Result<(), ApplyError> {
        let checked = self.check()?;
        let tx = conn.transaction()?;
        let lang = match self.lang {
            Some(lang) => lang,
            None => crate::store::languages(&tx)?
                .first()
                .copied()
                .unwrap_or_else(|| meldkluis_i18n::catalog().default_lang()),
        };
        let advisor_ids: Vec<i64> = crate::store::advisors(&tx, false)?
            .iter()
            .map(|a| a.id)
            .collect();
        let named = checked
            .photos
            .iter()
            .map(|(id, _, _)| *id)
            .chain(checked.bios.iter().map(|(id, _)| *id))
            .chain(self.clear.iter().filter_map(|c| match c {
                ClearPart::AdvisorPhoto(id) | ClearPart::AdvisorBio(id) => Some(*id),
                _ => None,
            }));
        for id in named {
            if !advisor_ids.contains(&id) {
                return Err(invalid(format!(
                    "no advisor {id} in this tenant (see `meldkluis-server advisor list`)"
                ))
                .into());
            }
        }
        let only_lang = self.lang.map(Lang::tag);
        for clear in &self.clear {
            match clear {
                ClearPart::Intro => delete_texts(&tx, TextPart::Intro, only_lang)?,
                ClearPart::Privacy => delete_texts(&tx, TextPart::Privacy, only_lang)?,
                ClearPart::Meldregeling => {
                    delete_texts(&tx, TextPart::Procedure, only_lang)?;
                    tx.execute("DELETE FROM info_files WHERE name = 'procedure_pdf'", [])?;
                }
                ClearPart::Channels => {
                    tx.execute("DELETE FROM info_files WHERE name = 'channels'", [])?;
                }
                ClearPart::AdvisorPhoto(id) => {
                    tx.execute("DELETE FROM advisor_photos WHERE advisor_id = ?1", [id])?;
                }
                ClearPart::AdvisorBio(id) => match only_lang {
                    Some(tag) => {
                        tx.execute(
                            "DELETE FROM advisor_bios WHERE advisor_id = ?1 AND lang = ?2",
                            params![id, tag],
                        )?;
                    }
                    None => {
                        tx.execute("DELETE FROM advisor_bios WHERE advisor_id = ?1", [id])?;
                    }
                },
            }
        }
        for (part, text) in &checked.texts {
            if *part == TextPart::Procedure {
                // Text or PDF, never both: the page shows one.
                tx.execute("DELETE FROM info_files WHERE name = 'procedure_pdf'", [])?;
            }
            tx.execute(
                "INSERT INTO info_texts (part, lang, text) VALUES (?1, ?2, ?3)
                 ON CONFLICT (part, lang) DO UPDATE SET text = excluded.text",
                params![part.name(), lang.tag(), text],
            )?;
        }
        if let Some(pdf) = &checked.pdf {
            delete_texts(&tx, TextPart::Procedure, None)?;
            put_file(&tx, "procedure_pdf", pdf)?;
        }
        if let Some(channels) = &checked.channels {
            put_file(
                &tx,
                "channels",
                &serde_json::to_vec(channels).unwrap_or_default(),
            )?;
        }
        for (id, photo, content_type) in &checked.photos {
            tx.execute(
                "INSERT INTO advisor_photos (advisor_id, content_type, photo) VALUES (?1, ?2, ?3)
                 ON CONFLICT (advisor_id) DO UPDATE SET content_type = excluded.content_type, photo = excluded.photo",
                params![id, content_type, photo],
            )?;
        }
        for (id, bio) in &checked.bios {
            tx.execute(
                "INSERT INTO advisor_bios (advisor_id, lang, text) VALUES (?1, ?2, ?3)
                 ON CONFLICT (advisor_id, lang) DO UPDATE SET text = excluded.text",
                params![id, lang.tag(), bio],
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}

/// Why `tenant info` stored nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApplyError {
    /// Something given is not acceptable.
    #[error(transparent)]
    Invalid(#[from] InfoError),
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] rusqlite::Error),
}

fn delete_texts(conn: &Connection, part: TextPart, lang: Option<&str>) -> rusqlite::Result<()> {
    match lang {
        Some(tag) => conn.execute(
            "DELETE FROM info_texts WHERE part = ?1 AND lang = ?2",
            params![part.name(), tag],
        )?,
        None => conn.execute("DELETE FROM info_texts WHERE part = ?1", [part.name()])?,
    };
    Ok(())
}

fn put_file(conn: &Connection, name: &str, body: &[u8]) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO info_files (name, body) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET body = excluded.body",
        params![name, body],
    )?;
    Ok(())
}

/// A stored text with the language it is in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Text {
    /// Its language tag.
    pub lang: String,
    /// The plain text.
    pub text: String,
}

/// A stored text of `part` in `lang`, else in another language (Dutch
/// first); `None` if the operator stored none.
pub fn text(conn: &Connection, part: TextPart, lang: Lang) -> rusqlite::Result<Option<Text>> {
    conn.prepare_cached(
        "SELECT lang, text FROM info_texts WHERE part = ?1
         ORDER BY lang = ?2 DESC, lang = ?3 DESC, lang LIMIT 1",
    )?
    .query_row(
        params![part.name(), lang.tag(), meldkluis_i18n::DEFAULT_LANGUAGE],
        |r| {
            Ok(Text {
                lang: r.get(0)?,
                text: r.get(1)?,
            })
        },
    )
    .optional()
}

/// The size of the procedure PDF, if one is stored.
pub fn procedure_pdf_len(conn: &Connection) -> rusqlite::Result<Option<u64>> {
    conn.prepare_cached("SELECT length(body) FROM info_files WHERE name = 'procedure_pdf'")?
        .query_row([], |r| r.get::<_, i64>(0))
        .optional()
        .map(|len| len.and_then(|l| u64::try_from(l).ok()))
}

/// The procedure PDF, if one is stored.
pub fn procedure_pdf(conn: &Connection) -> rusqlite::Result<Option<Vec<u8>>> {
    conn.prepare_cached("SELECT body FROM info_files WHERE name = 'procedure_pdf'")?
        .query_row([], |r| r.get(0))
        .optional()
}

/// The tenant's own external channels (none if none are stored, or if
/// the stored ones no longer read, which [`InfoChange::apply`] prevents).
pub fn tenant_channels(conn: &Connection) -> rusqlite::Result<Vec<Channel>> {
    Ok(conn
        .prepare_cached("SELECT body FROM info_files WHERE name = 'channels'")?
        .query_row([], |r| r.get::<_, Vec<u8>>(0))
        .optional()?
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default())
}

/// An advisor's photo and its content type, if one is stored for an
/// *active* advisor.
pub fn advisor_photo(
    conn: &Connection,
    advisor_id: i64,
) -> rusqlite::Result<Option<(Vec<u8>, &'static str)>> {
    Ok(conn
        .prepare_cached(
            "SELECT p.photo FROM advisor_photos p JOIN advisors a ON a.id = p.advisor_id
             WHERE p.advisor_id = ?1 AND a.active = 1",
        )?
        .query_row([advisor_id], |r| r.get::<_, Vec<u8>>(0))
        .optional()?
        .and_then(|bytes| photo_content_type(&bytes).map(|ct| (bytes, ct))))
}

/// Gives the advisor `new_id` (a replacement key of the same person,
/// `advisor replace`) the photo and bios of the advisor with key `old`,
/// where it has none of its own. Run inside the replacement's transaction.
pub fn inherit_profile(
    conn: &Connection,
    old: &meldkluis_crypto_core::PublicKey,
    new_id: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT OR IGNORE INTO advisor_photos (advisor_id, content_type, photo)
         SELECT ?2, content_type, photo FROM advisor_photos
         WHERE advisor_id = (SELECT id FROM advisors WHERE public_key = ?1)",
        params![old.as_bytes(), new_id],
    )?;
    conn.execute(
        "INSERT OR IGNORE INTO advisor_bios (advisor_id, lang, text)
         SELECT ?2, lang, text FROM advisor_bios
         WHERE advisor_id = (SELECT id FROM advisors WHERE public_key = ?1)",
        params![old.as_bytes(), new_id],
    )?;
    Ok(())
}

/// What the page shows of an advisor beside the name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AdvisorProfile {
    /// A photo is stored.
    pub photo: bool,
    /// The short bio in the page's language (or another).
    pub bio: Option<Text>,
}

/// The profile of an advisor, for a page in `lang`.
pub fn advisor_profile(
    conn: &Connection,
    advisor_id: i64,
    lang: Lang,
) -> rusqlite::Result<AdvisorProfile> {
    let photo = conn
        .prepare_cached("SELECT 1 FROM advisor_photos WHERE advisor_id = ?1")?
        .query_row([advisor_id], |_| Ok(()))
        .optional()?
        .is_some();
    let bio = conn
        .prepare_cached(
            "SELECT lang, text FROM advisor_bios WHERE advisor_id = ?1
             ORDER BY lang = ?2 DESC, lang = ?3 DESC, lang LIMIT 1",
        )?
        .query_row(
            params![advisor_id, lang.tag(), meldkluis_i18n::DEFAULT_LANGUAGE],
            |r| {
                Ok(Text {
                    lang: r.get(0)?,
                    text: r.get(1)?,
                })
            },
        )
        .optional()?;
    Ok(AdvisorProfile { photo, bio })
}

/// What `tenant info-show` prints.
#[derive(Debug, Serialize)]
pub struct InfoSummary {
    /// Stored texts: part → language → text.
    pub texts: BTreeMap<String, BTreeMap<String, String>>,
    /// The procedure PDF's size in bytes, if one is stored.
    pub meldregeling_pdf_bytes: Option<u64>,
    /// The tenant's own external channels.
    pub channels: Vec<Channel>,
    /// Advisors with a photo or bio.
    pub advisors: Vec<AdvisorSummary>,
    /// The day the default external channels were last reviewed.
    pub default_channels_reviewed: Option<String>,
    /// How many default external channels the page shows.
    pub default_channels: usize,
}

/// An advisor's stored profile, for `tenant info-show`.
#[derive(Debug, Serialize)]
pub struct AdvisorSummary {
    /// The advisor's id.
    pub id: i64,
    /// The name shown.
    pub display_name: String,
    /// Active (shown on the page).
    pub active: bool,
    /// The photo's content type and size, if any.
    pub photo: Option<(String, u64)>,
    /// Bios per language.
    pub bios: BTreeMap<String, String>,
}

/// Everything stored for a tenant's information page.
pub fn summary(conn: &Connection) -> rusqlite::Result<InfoSummary> {
    let mut texts: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut stmt = conn.prepare("SELECT part, lang, text FROM info_texts ORDER BY part, lang")?;
    for row in stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })? {
        let (part, lang, text) = row?;
        texts.entry(part).or_default().insert(lang, text);
    }
    let mut advisors = Vec::new();
    for advisor in crate::store::advisors(conn, false)? {
        let photo = conn
            .prepare_cached(
                "SELECT content_type, length(photo) FROM advisor_photos WHERE advisor_id = ?1",
            )?
            .query_row([advisor.id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                ))
            })
            .optional()?;
        let bios: BTreeMap<String, String> = conn
            .prepare_cached(
                "SELECT lang, text FROM advisor_bios WHERE advisor_id = ?1 ORDER BY lang",
            )?
            .query_map([advisor.id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        if photo.is_some() || !bios.is_empty() {
            advisors.push(AdvisorSummary {
                id: advisor.id,
                display_name: advisor.display_name,
                active: advisor.active,
                photo,
                bios,
            });
        }
    }
    let default = default_channels();
    Ok(InfoSummary {
        texts,
        meldregeling_pdf_bytes: procedure_pdf_len(conn)?,
        channels: tenant_channels(conn)?,
        advisors,
        default_channels_reviewed: default.reviewed.clone(),
        default_channels: default.channel.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_channels_read_and_name_every_authority() {
        let file = ChannelsFile::parse(DEFAULT_CHANNELS_TOML).expect("the default file reads");
        assert!(file.reviewed.is_some(), "a reviewed day");
        assert!(!file.sources.is_empty(), "sources named");
        let ids: Vec<&str> = file.channel.iter().map(|c| c.id.as_str()).collect();
        for id in [
            "huis-voor-klokkenluiders",
            "afm",
            "dnb",
            "acm",
            "ap",
            "nza",
            "igj",
            "ilt",
            "nvwa",
            "nla",
            "anvs",
            "inspectie-onderwijs",
        ] {
            assert!(ids.contains(&id), "{id} in the default channels");
        }
        for channel in &file.channel {
            for tag in ["nl", "en"] {
                assert!(channel.name.contains_key(tag), "{} name {tag}", channel.id);
                assert!(
                    channel.domain.contains_key(tag),
                    "{} domain {tag}",
                    channel.id
                );
            }
            assert!(channel.website.starts_with("https://"), "{}", channel.id);
            assert!(channel.source.is_some(), "{} names its source", channel.id);
        }
        assert_eq!(default_channels(), &file);
    }

    #[test]
    fn texts_are_plain_text() {
        assert_eq!(
            check_text("intro", b"\xef\xbb\xbfEen.\r\n\r\nTwee <3 en a<b>c", 100),
            Err(invalid(
                "intro: looks like HTML; texts are plain text (paragraphs separated by a blank line)"
            ))
        );
        assert_eq!(
            check_text(
                "intro",
                b"\xef\xbb\xbfEen.\r\n\r\nTwee <3, x < y > z\n",
                100
            )
            .as_deref(),
            Ok("Een.\n\nTwee <3, x < y > z")
        );
        for html in [
            "<p>Hallo</p>",
            "Zie </a>",
            "<!-- x -->",
            "a<br/>b",
            "<script>x</script>",
        ] {
            assert!(check_text("t", html.as_bytes(), 100).is_err(), "{html}");
        }
        assert!(check_text("t", b"\xff\xfe", 100).is_err());
        assert!(check_text("t", b"  \n ", 100).is_err());
        assert!(check_text("t", b"a\x07b", 100).is_err());
        assert!(check_text("t", "é".repeat(101).as_bytes(), 100).is_err());
        assert_eq!(
            paragraphs("Een\ntwee\n\n \n\nDrie\n"),
            vec![vec!["Een", "twee"], vec!["Drie"]]
        );
    }

    #[test]
    fn clear_parts_parse() {
        assert_eq!("intro".parse(), Ok(ClearPart::Intro));
        assert_eq!("advisor-photo=3".parse(), Ok(ClearPart::AdvisorPhoto(3)));
        assert_eq!("advisor-bio=12".parse(), Ok(ClearPart::AdvisorBio(12)));
        assert!("advisor-photo=x".parse::<ClearPart>().is_err());
        assert!("advisor-photo=-1".parse::<ClearPart>().is_err());
        assert!("everything".parse::<ClearPart>().is_err());
    }

    #[test]
    fn channels_are_checked() {
        let good = "[[channel]]\nid = \"x\"\nname = { nl = \"X\" }\ndomain = { nl = \"Y\" }\nwebsite = \"https://x.example\"\n";
        assert!(ChannelsFile::parse(good).is_ok());
        for (bad, why) in [
            (
                good.replace("https://x.example", "javascript:alert(1)"),
                "website",
            ),
            (good.replace("id = \"x\"", "id = \"X Y\""), "id"),
            (good.replace("nl = \"X\"", "de = \"X\""), "language"),
            (good.replace("nl = \"X\"", "nl = \"<b>X</b>\""), "HTML"),
            (format!("{good}phone = \"call me\"\n"), "phone"),
            (format!("{good}colour = \"red\"\n"), "unknown field"),
            (format!("{good}{good}"), "twice"),
        ] {
            assert!(ChannelsFile::parse(&bad).is_err(), "{why}: {bad}");
        }
        let file = ChannelsFile::parse(&format!("{good}phone = \"+31 (0)88 133 10 00\"\n"))
            .expect("with phone");
        assert_eq!(file.channel[0].tel().as_deref(), Some("+31881331000"));
    }
}
