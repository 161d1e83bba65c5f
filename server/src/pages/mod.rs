//! The reporter's pages, rendered on the server (maud) in the reporter's
//! language, with the tenant's name, colour and logo.
//!
//! A page carries no secret and receives none: every answer is read by the
//! page's script, sealed in the browser by the wasm build of crypto-core, and
//! only ciphertext goes to the API. So the forms here have no `name`
//! attributes on text fields and their submit buttons start disabled: without
//! the script nothing can be submitted, and `<noscript>` says why.
//!
//! Each page names its script and the wasm with their SHA-384 (Subresource
//! Integrity) under a Content-Security-Policy without inline script.

mod info;
mod mailbox;
mod management;
mod report;
mod voice;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use maud::{html, Markup, PreEscaped, DOCTYPE};
use meldkluis_i18n::{catalog, t, tf, Arg, Lang};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Tenant;
use crate::error::{AppError, ErrorCode};
use crate::profile::{Branding, Questionnaire};
use crate::store;
use crate::AppState;

/// The Content-Security-Policy of the pages: scripts only from this origin
/// and only with the integrity the page names; `wasm-unsafe-eval` to compile
/// the wasm (nothing else is evaluated); workers only from a `blob:` that the
/// page's own script made from a file whose integrity it checked (a `Worker`
/// cannot carry an `integrity` attribute); media only from a `blob:` the
/// page made, so a reporter can listen to a voice message recorded in this
/// browser before it is sealed (nothing is fetched from anywhere for it).
pub const PAGE_CONTENT_SECURITY_POLICY: &str = "default-src 'none'; \
     script-src 'self' 'wasm-unsafe-eval'; worker-src blob:; style-src 'self'; \
     img-src 'self'; media-src blob:; connect-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// The page routes. Pages are compressed on the way out (they carry no
/// secret, so compression leaks nothing); the bundle is compressed once at
/// start instead.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/t/{tenant}", get(start))
        .route("/t/{tenant}/", get(start))
        .route("/t/{tenant}/report", get(report::page))
        .route("/t/{tenant}/mailbox", get(mailbox::page))
        .route("/t/{tenant}/enrol", get(management::enrol_page))
        .route("/t/{tenant}/management", get(management::page))
        .route("/t/{tenant}/theme.css", get(theme))
        .route("/t/{tenant}/logo", get(logo))
        .route("/t/{tenant}/info", get(info::page))
        .route(
            "/t/{tenant}/info/meldregeling.pdf",
            get(info::procedure_pdf),
        )
        .route(
            "/t/{tenant}/info/advisors/{id}/photo",
            get(info::advisor_photo),
        )
        .layer(tower_http::compression::CompressionLayer::new().gzip(true))
        .route("/assets/{file}", get(asset))
}

/// The `?lang=` of a page.
#[derive(Debug, Deserialize)]
pub(crate) struct LangQuery {
    lang: Option<String>,
}

/// What every page of a tenant needs.
pub(crate) struct Context {
    lang: Lang,
    offered: Vec<Lang>,
    tenant_id: String,
    tenant_name: String,
    branding: Branding,
    questionnaire: Questionnaire,
    advisors: Vec<store::Advisor>,
    ready: bool,
    max_attachment_bytes: u64,
    /// The tenant's voice setting (the report and mailbox pages offer the
    /// recorder by it), read in the same database call as the rest.
    voice: crate::profile::Voice,
}

impl Context {
    async fn load(
        tenant: &Tenant,
        query: &LangQuery,
        headers: &HeaderMap,
    ) -> Result<Self, AppError> {
        Ok(Self::load_with(tenant, query, headers, |_, _, _| Ok(()))
            .await?
            .0)
    }

    /// [`Context::load`] and, in the same database call (one snapshot),
    /// what `more` reads in the page's language for the active advisors.
    async fn load_with<T, F>(
        tenant: &Tenant,
        query: &LangQuery,
        headers: &HeaderMap,
        more: F,
    ) -> Result<(Self, T), AppError>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Connection, Lang, &[store::Advisor]) -> Result<T, AppError>
            + Send
            + 'static,
    {
        let record = tenant.0.record.clone();
        let asked = query.lang.clone();
        let accept = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let (offered, lang, branding, questionnaire, advisors, recovery, voice, extra) = tenant
            .0
            .db
            .call(move |conn| {
                let offered = store::languages(conn)?;
                let lang = catalog().negotiate(asked.as_deref(), accept.as_deref(), Some(&offered));
                let advisors = store::advisors(conn, true)?;
                let extra = more(conn, lang, &advisors)?;
                Ok((
                    offered,
                    lang,
                    store::branding(conn)?,
                    store::questionnaire(conn)?,
                    advisors,
                    store::recovery_key(conn)?,
                    store::voice(conn)?,
                    extra,
                ))
            })
            .await?;
        let context = Self {
            lang,
            offered,
            tenant_id: record.id.as_str().to_owned(),
            tenant_name: record.name,
            branding,
            questionnaire,
            ready: recovery.is_some() && !advisors.is_empty(),
            advisors,
            max_attachment_bytes: record.max_attachment_bytes,
            voice,
        };
        Ok((context, extra))
    }

    fn t(&self, id: &str) -> String {
        t(self.lang, id)
    }

    fn tf(&self, id: &str, args: &[(&str, Arg<'_>)]) -> String {
        tf(self.lang, id, args)
    }

    fn base(&self) -> String {
        format!("/t/{}", self.tenant_id)
    }

    /// A link to a page of this tenant, keeping an explicit language choice.
    fn link(&self, page: &str) -> String {
        format!("{}/{page}?lang={}", self.base(), self.lang.tag())
    }

    fn days(&self, count: u32) -> String {
        self.tf("days", &[("count", Arg::Num(i64::from(count)))])
    }
}

/// A human size: "25 MB".
pub(crate) fn human_size(lang: Lang, bytes: u64) -> String {
    if bytes >= 1_000_000 {
        tf(
            lang,
            "js-size-mb",
            &[(
                "size",
                Arg::Num(i64::try_from(bytes / 1_000_000).unwrap_or(i64::MAX)),
            )],
        )
    } else if bytes >= 1_000 {
        tf(
            lang,
            "js-size-kb",
            &[(
                "size",
                Arg::Num(i64::try_from(bytes / 1_000).unwrap_or(i64::MAX)),
            )],
        )
    } else {
        tf(
            lang,
            "js-size-bytes",
            &[("size", Arg::Num(i64::try_from(bytes).unwrap_or(i64::MAX)))],
        )
    }
}

/// The stylesheet with the tenant's colour (served at `/t/{tenant}/theme.css`).
fn theme_css(branding: &Branding) -> String {
    format!(":root{{--brand:{}}}\n", branding.colour)
}

/// The JSON a page's script reads: ids, URLs, integrity values and the
/// texts it shows, in the page's language. Written into a non-executable
/// `<script type="application/json">`, with `<` escaped so no text can end it.
fn page_data(state: &AppState, ctx: &Context, texts: &[&str], extra: Value) -> Markup {
    let (wasm_url, wasm_integrity) = state.assets().reference("meldkluis.wasm");
    let (worker_url, worker_integrity) = state.assets().reference("derive-worker.js");
    let texts: serde_json::Map<String, Value> = texts
        .iter()
        .map(|id| ((*id).to_owned(), Value::String(ctx.t(id))))
        .collect();
    let mut data = json!({
        "tenant": ctx.tenant_id,
        "tenantName": ctx.tenant_name,
        "lang": ctx.lang.tag(),
        "api": format!("/api/v1/t/{}", ctx.tenant_id),
        "mailboxUrl": format!("{}/mailbox", ctx.base()),
        "wasm": { "url": wasm_url, "integrity": wasm_integrity },
        "worker": { "url": worker_url, "integrity": worker_integrity },
        "months": ctx.t("months").split_whitespace().collect::<Vec<_>>(),
        "texts": texts,
    });
    if let (Value::Object(data), Value::Object(extra)) = (&mut data, extra) {
        data.extend(extra);
    }
    let text = serde_json::to_string(&data)
        .unwrap_or_default()
        .replace('<', "\\u003c");
    html! { script type="application/json" id="mk-data" { (PreEscaped(text)) } }
}

/// The texts of a page's frame that depend on who reads the page.
pub(crate) struct Frame {
    /// What `<noscript>` says.
    noscript: &'static str,
    /// The footer's paragraphs.
    footer: &'static [&'static str],
    /// Whether the footer links to the tenant's information page (the
    /// reporter's pages do).
    info_link: bool,
}

/// The frame of the reporter's pages.
const REPORTER_FRAME: Frame = Frame {
    noscript: "page-noscript",
    footer: &["page-footer", "page-emergency"],
    info_link: true,
};

/// The frame of every reporter page.
fn layout(
    state: &AppState,
    ctx: &Context,
    path: &str,
    title: &str,
    script: Option<&str>,
    body: Markup,
) -> Response {
    framed(state, ctx, path, title, script, &REPORTER_FRAME, body)
}

/// The frame of every tenant page, with the texts of `frame`.
fn framed(
    state: &AppState,
    ctx: &Context,
    path: &str,
    title: &str,
    script: Option<&str>,
    frame: &Frame,
    body: Markup,
) -> Response {
    let (css_url, css_integrity) = state.assets().reference("meldkluis.css");
    let theme = theme_css(&ctx.branding);
    let page = html! {
        (DOCTYPE)
        html lang=(ctx.lang.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                meta name="robots" content="noindex, nofollow";
                title { (title) " – " (ctx.tenant_name) }
                link rel="stylesheet" href=(css_url) integrity=(css_integrity);
                link rel="stylesheet" href={ (ctx.base()) "/theme.css" }
                    integrity=(crate::assets::integrity(theme.as_bytes()));
                @if let Some(script) = script {
                    @let (url, integrity) = state.assets().reference(script);
                    script type="module" src=(url) integrity=(integrity) {}
                }
            }
            body {
                a.skip-link href="#main" { (ctx.t("page-skip")) }
                header.site-header {
                    div.site-header__inner {
                        a.site-header__home href=(format!("{}/?lang={}", ctx.base(), ctx.lang.tag())) {
                            @if ctx.branding.has_logo {
                                img.site-header__logo src={ (ctx.base()) "/logo" } alt="";
                            }
                            span.site-header__name { (ctx.tenant_name) }
                        }
                        @if ctx.offered.len() > 1 {
                            nav.language aria-label=(ctx.t("page-language")) {
                                ul {
                                    @for lang in &ctx.offered {
                                        li {
                                            @if *lang == ctx.lang {
                                                a href=(format!("{path}?lang={}", lang.tag())) lang=(lang.tag()) hreflang=(lang.tag()) aria-current="true" { (lang.native_name()) }
                                            } @else {
                                                a href=(format!("{path}?lang={}", lang.tag())) lang=(lang.tag()) hreflang=(lang.tag()) { (lang.native_name()) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                main #main tabindex="-1" {
                    @if script.is_some() {
                        noscript { p.notice.notice--warning { (ctx.t(frame.noscript)) } }
                    }
                    @if let Some(problem) = state.assets().problem().filter(|_| script.is_some()) {
                        p.notice.notice--warning role="alert" { (problem) }
                    }
                    (body)
                }
                footer.site-footer {
                    @if frame.info_link {
                        p.site-footer__info { a href=(ctx.link("info")) { (ctx.t("info-link")) } }
                    }
                    @for text in frame.footer { p { (ctx.t(text)) } }
                }
            }
        }
    };
    html_response(StatusCode::OK, page)
}

/// An HTML response with the pages' security policy.
fn html_response(status: StatusCode, page: Markup) -> Response {
    let mut response = (status, page).into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGE_CONTENT_SECURITY_POLICY),
    );
    response
}

/// The error page for a failed page request, in the reporter's language
/// (the API answers JSON instead; see [`crate::http`]).
pub(crate) fn error_page(code: ErrorCode, lang: Lang) -> String {
    let title = if code == ErrorCode::NotFound || code == ErrorCode::TenantNotFound {
        t(lang, "page-not-found-title")
    } else {
        t(lang, "page-error-title")
    };
    html! {
        (DOCTYPE)
        html lang=(lang.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex, nofollow";
                title { (title) }
            }
            body {
                main {
                    h1 { (title) }
                    p { (code.message(lang)) }
                }
            }
        }
    }
    .into_string()
}

/// `GET /`: meldkluis itself lists no tenants; each tenant links to its
/// own start page.
async fn home(Query(query): Query<LangQuery>, headers: HeaderMap) -> Response {
    let lang = catalog().negotiate(
        query.lang.as_deref(),
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
        None,
    );
    let page = html! {
        (DOCTYPE)
        html lang=(lang.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (t(lang, "product-name")) }
            }
            body { main { h1 { (t(lang, "product-name")) } p { (t(lang, "page-footer")) } } }
        }
    };
    html_response(StatusCode::OK, page)
}

/// `GET /t/{tenant}/`: what this is, who reads it, and the two ways in.
async fn start(
    State(state): State<AppState>,
    tenant: Tenant,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let ctx = Context::load(&tenant, &query, &headers).await?;
    let form = &ctx.questionnaire;
    let body = html! {
        h1 { (ctx.t("start-title")) }
        p.lead { (ctx.tf("start-intro", &[("tenant", Arg::Str(&ctx.tenant_name))])) }
        @if ctx.ready {
            p { (ctx.t("start-readers")) }
            ul.advisor-list {
                @for advisor in &ctx.advisors { li { (advisor.display_name) } }
            }
            div.actions {
                a.button.button--primary href=(ctx.link("report")) { (ctx.t("start-report")) }
                a.button href=(ctx.link("mailbox")) { (ctx.t("start-mailbox")) }
            }
            // Issue 13: a reporter who already spoke to an advisor makes
            // their own mailbox to follow it online.
            p #start-follow-up { a.button href={ (ctx.link("report")) "#follow-up" } { (ctx.t("oral-follow-up-option")) } }
        } @else {
            p.notice.notice--warning { (ctx.t("start-not-ready")) }
            div.actions { a.button href=(ctx.link("mailbox")) { (ctx.t("start-mailbox")) } }
        }
        h2 { (ctx.t("start-how-title")) }
        ol.steps {
            li { (ctx.t("start-how-1")) }
            li { (ctx.t("start-how-2")) }
            li { (ctx.t("start-how-3")) }
            li { (ctx.tf("start-how-4", &[
                ("ack_days", Arg::Str(&ctx.days(form.acknowledgement_days))),
                ("feedback_months", Arg::Num(i64::from(form.feedback_months))),
            ])) }
        }
    };
    let title = ctx.t("start-title");
    Ok(layout(&state, &ctx, &ctx.base(), &title, None, body))
}

/// `GET /t/{tenant}/theme.css`: the tenant's colour.
async fn theme(tenant: Tenant) -> Result<Response, AppError> {
    let branding = tenant.0.db.call(|conn| Ok(store::branding(conn)?)).await?;
    Ok((
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        theme_css(&branding),
    )
        .into_response())
}

/// `GET /t/{tenant}/logo`: the tenant's logo (a raster image only).
async fn logo(tenant: Tenant) -> Result<Response, AppError> {
    let logo = tenant.0.db.call(|conn| Ok(store::logo(conn)?)).await?;
    let (bytes, content_type) = logo
        .and_then(|bytes| crate::profile::logo_content_type(&bytes).map(|ct| (bytes, ct)))
        .ok_or_else(|| AppError::not_found("no logo"))?;
    Ok(([(header::CONTENT_TYPE, content_type)], bytes).into_response())
}

/// `GET /assets/{file}`: a file of the browser bundle, compressed when the
/// browser accepts gzip.
async fn asset(
    State(state): State<AppState>,
    axum::extract::Path(file): axum::extract::Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let asset = state
        .assets()
        .get(&file)
        .ok_or_else(|| AppError::not_found("no such asset"))?;
    let gzip = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")))
        && !asset.gzip.is_empty();
    let mut response = if gzip {
        let mut response = asset.gzip.clone().into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        response
    } else {
        asset.bytes.clone().into_response()
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    Ok(response)
}
