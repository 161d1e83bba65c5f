//! `GET /t/{tenant}/info`: the tenant's information page ("Over dit
//! meldpunt"): what the channel is for, who the advisors are, what stays
//! confidential, the tenant's real terms and retention, its privacy
//! statement, its procedure (*meldregeling*), and where else one may
//! report. With the advisors' photos and the procedure PDF beside it.
//!
//! The page has no script at all and sets no cookie: reading it leaves
//! nothing but the request itself, which is the same for everyone. Every
//! text on it is either from the catalogue or plain text the operator
//! stored ([`crate::info`]), escaped here; none of it is about a report.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use meldkluis_i18n::Arg;

use super::{human_size, layout, Context, LangQuery};
use crate::auth::Tenant;
use crate::dates::Day;
use crate::error::AppError;
use crate::info::{self, AdvisorProfile, Channel, Text, TextPart};
use crate::AppState;

/// Everything the page shows that is not in [`Context`].
struct PageFacts {
    terms: crate::deadlines::Terms,
    lifecycle: crate::retention::Lifecycle,
    intro: Option<Text>,
    privacy: Option<Text>,
    procedure: Option<Text>,
    procedure_pdf: Option<u64>,
    profiles: Vec<AdvisorProfile>,
    channels: Vec<Channel>,
}

/// A plain text as paragraphs (blank lines) and line breaks; marked with
/// its language when it is not the page's.
fn plain_text(ctx: &Context, text: &Text) -> Markup {
    let other = (text.lang != ctx.lang.tag()).then_some(text.lang.as_str());
    html! {
        div.info-text lang=[other] {
            @for paragraph in info::paragraphs(&text.text) {
                p {
                    @for (i, line) in paragraph.iter().enumerate() {
                        @if i > 0 { br; }
                        (line)
                    }
                }
            }
        }
    }
}

/// Paragraphs from the catalogue: `{prefix}-1`, `{prefix}-2`, ….
fn catalogue_paragraphs(ctx: &Context, prefix: &str, count: usize, tenant: bool) -> Markup {
    html! {
        div.info-text {
            @for i in 1..=count {
                @let id = format!("{prefix}-{i}");
                p { (if tenant { ctx.tf(&id, &[("tenant", Arg::Str(&ctx.tenant_name))]) } else { ctx.t(&id) }) }
            }
        }
    }
}

/// A section with its heading, labelled by it.
fn section(id: &str, title: &str, body: Markup) -> Markup {
    html! {
        section.info-section id=(id) aria-labelledby={ (id) "-title" } {
            h2 id={ (id) "-title" } { (title) }
            (body)
        }
    }
}

fn channel_item(ctx: &Context, channel: &Channel) -> Markup {
    let (name, name_lang) = info::localized(&channel.name, ctx.lang);
    let (domain, domain_lang) = info::localized(&channel.domain, ctx.lang);
    let name_lang = (name_lang != ctx.lang.tag()).then_some(name_lang);
    let domain_lang = (domain_lang != ctx.lang.tag()).then_some(domain_lang);
    html! {
        li.info-channel {
            h3 lang=[name_lang] { (name) }
            p lang=[domain_lang] { (domain) }
            @if channel.designated {
                p.info-channel__designated { (ctx.t("info-channel-designated")) }
            }
            dl.info-channel__contact {
                dt { (ctx.t("info-channel-website")) }
                dd {
                    @match channel.link() {
                        Some(url) => a href=(url) rel="noreferrer noopener" { (url) },
                        None => (channel.website),
                    }
                }
                @if let (Some(phone), Some(tel)) = (&channel.phone, channel.tel()) {
                    dt { (ctx.t("info-channel-phone")) }
                    dd { a href={ "tel:" (tel) } { (phone) } }
                }
            }
        }
    }
}

fn body(ctx: &Context, facts: &PageFacts) -> Markup {
    let lang = ctx.lang;
    let default_channels = info::default_channels();
    let reviewed = default_channels
        .reviewed
        .as_deref()
        .and_then(Day::parse)
        .map(|day| day.display(lang));
    let sections: [(&str, &str); 8] = [
        ("info-intro", "info-intro-title"),
        ("info-advisors", "info-advisors-title"),
        ("info-confidential", "info-confidential-title"),
        ("info-terms", "info-terms-title"),
        ("info-retention", "info-retention-title"),
        ("info-privacy", "info-privacy-title"),
        ("info-meldregeling", "info-meldregeling-title"),
        ("info-channels", "info-channels-title"),
    ];
    let months = |n: u32| ctx.tf("info-months", &[("count", Arg::Num(i64::from(n)))]);
    html! {
        h1 { (ctx.t("info-title")) }
        nav.info-toc aria-labelledby="info-toc-title" {
            h2 #info-toc-title { (ctx.t("info-toc")) }
            ul {
                @for (id, title) in sections {
                    li { a href={ "#" (id) } { (ctx.t(title)) } }
                }
            }
        }
        (section("info-intro", &ctx.t("info-intro-title"), html! {
            @match &facts.intro {
                Some(text) => (plain_text(ctx, text)),
                None => (catalogue_paragraphs(ctx, "info-intro-default", 2, true)),
            }
        }))
        (section("info-advisors", &ctx.t("info-advisors-title"), html! {
            @if ctx.advisors.is_empty() {
                p { (ctx.t("info-advisors-none")) }
            } @else {
                p { (ctx.t("info-advisors-intro")) }
                ul.info-advisors {
                    @for (advisor, profile) in ctx.advisors.iter().zip(&facts.profiles) {
                        li.info-advisor {
                            @if profile.photo {
                                img.info-advisor__photo
                                    src=(format!("{}/info/advisors/{}/photo", ctx.base(), advisor.id))
                                    alt=(advisor.display_name)
                                    width="120" height="120";
                            }
                            div {
                                h3 { (advisor.display_name) }
                                @if let Some(bio) = &profile.bio { (plain_text(ctx, bio)) }
                            }
                        }
                    }
                }
            }
        }))
        (section("info-confidential", &ctx.t("info-confidential-title"),
            catalogue_paragraphs(ctx, "info-confidential", 5, false)))
        (section("info-terms", &ctx.t("info-terms-title"), html! {
            ul {
                li { (ctx.tf("info-terms-acknowledgement", &[("days", Arg::Str(&ctx.days(u32::try_from(facts.terms.acknowledgement_days).unwrap_or(7))))])) }
                li { (ctx.tf("info-terms-feedback", &[("months", Arg::Str(&months(facts.terms.feedback_months)))])) }
            }
            p { (ctx.t("info-terms-mailbox")) }
        }))
        (section("info-retention", &ctx.t("info-retention-title"), html! {
            ul {
                li { (ctx.tf("info-retention-content", &[("months", Arg::Str(&months(facts.lifecycle.retention_months)))])) }
                li { (ctx.tf("info-retention-register", &[("months", Arg::Str(&months(facts.lifecycle.register_months)))])) }
                @if facts.lifecycle.silence_weeks > 0 {
                    li { (ctx.tf("info-retention-silence", &[("weeks", Arg::Num(i64::from(facts.lifecycle.silence_weeks)))])) }
                }
            }
            p { (ctx.t("info-retention-hold")) }
        }))
        (section("info-privacy", &ctx.t("info-privacy-title"), html! {
            @match &facts.privacy {
                Some(text) => (plain_text(ctx, text)),
                None => (catalogue_paragraphs(ctx, "info-privacy-default", 4, true)),
            }
        }))
        (section("info-meldregeling", &ctx.t("info-meldregeling-title"), html! {
            @if let Some(bytes) = facts.procedure_pdf {
                p {
                    a href=(format!("{}/info/meldregeling.pdf", ctx.base())) type="application/pdf" {
                        (ctx.tf("info-meldregeling-pdf", &[("size", Arg::Str(&human_size(lang, bytes)))]))
                    }
                }
            } @else if let Some(text) = &facts.procedure {
                (plain_text(ctx, text))
            } @else {
                p { (ctx.t("info-meldregeling-none")) }
            }
        }))
        (section("info-channels", &ctx.t("info-channels-title"), html! {
            p { (ctx.t("info-channels-intro")) }
            @if !facts.channels.is_empty() {
                h3 #info-channels-own { (ctx.t("info-channels-own")) }
                ul.info-channels aria-labelledby="info-channels-own" {
                    @for channel in &facts.channels { (channel_item(ctx, channel)) }
                }
            }
            ul.info-channels {
                @for channel in &default_channels.channel { (channel_item(ctx, channel)) }
            }
            @if let Some(reviewed) = reviewed {
                p.info-reviewed { (ctx.tf("info-channels-reviewed", &[("day", Arg::Str(&reviewed))])) }
            }
        }))
        div.actions.no-print {
            @if ctx.ready {
                a.button.button--primary href=(ctx.link("report")) { (ctx.t("start-report")) }
            }
            a.button href=(ctx.link("mailbox")) { (ctx.t("start-mailbox")) }
        }
    }
}

/// `GET /t/{tenant}/info`.
pub(super) async fn page(
    State(state): State<AppState>,
    tenant: Tenant,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let (ctx, facts) = Context::load_with(&tenant, &query, &headers, |conn, lang, advisors| {
        Ok(PageFacts {
            terms: crate::store::terms(conn)?,
            lifecycle: crate::retention::lifecycle(conn)?,
            intro: info::text(conn, TextPart::Intro, lang)?,
            privacy: info::text(conn, TextPart::Privacy, lang)?,
            procedure: info::text(conn, TextPart::Procedure, lang)?,
            procedure_pdf: info::procedure_pdf_len(conn)?,
            profiles: advisors
                .iter()
                .map(|a| info::advisor_profile(conn, a.id, lang))
                .collect::<rusqlite::Result<_>>()?,
            channels: info::tenant_channels(conn)?,
        })
    })
    .await?;
    let title = ctx.t("info-title");
    let path = format!("{}/info", ctx.base());
    Ok(layout(
        &state,
        &ctx,
        &path,
        &title,
        None,
        body(&ctx, &facts),
    ))
}

/// `GET /t/{tenant}/info/advisors/{id}/photo`: an active advisor's photo
/// (JPEG or PNG, checked again on the way out).
pub(super) async fn advisor_photo(
    tenant: Tenant,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id: i64 = id
        .parse()
        .map_err(|_| AppError::not_found("no such advisor photo"))?;
    let photo = tenant
        .0
        .db
        .call(move |conn| Ok(info::advisor_photo(conn, id)?))
        .await?;
    let (bytes, content_type) = photo.ok_or_else(|| AppError::not_found("no advisor photo"))?;
    Ok(([(header::CONTENT_TYPE, content_type)], bytes).into_response())
}

/// The Content-Security-Policy of the procedure PDF. The server-wide
/// `default-src 'none'` would keep the browser's own PDF viewer from
/// showing it: Chromium shows a PDF in a page it makes at the PDF's
/// address, which embeds the PDF (`object-src`, `frame-src`) and styles
/// itself inline (chromium issue 271452). Nothing else is allowed: no
/// script (the viewer's own runs in the browser, not in this page), no
/// other origin, framed only by this origin's own viewer page.
const PDF_CONTENT_SECURITY_POLICY: &str = "default-src 'none'; object-src 'self'; \
     frame-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'self'";

/// `GET /t/{tenant}/info/meldregeling.pdf`: the organisation's procedure,
/// shown in the browser (inline), as the PDF the operator stored.
pub(super) async fn procedure_pdf(tenant: Tenant) -> Result<Response, AppError> {
    let pdf = tenant
        .0
        .db
        .call(|conn| Ok(info::procedure_pdf(conn)?))
        .await?
        .filter(|bytes| info::is_pdf(bytes))
        .ok_or_else(|| AppError::not_found("no meldregeling PDF"))?;
    let mut response = pdf.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("inline; filename=\"meldregeling.pdf\""),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PDF_CONTENT_SECURITY_POLICY),
    );
    Ok(response)
}
