//! `zhiku serve`: builds the site, serves it on 127.0.0.1 and rebuilds on
//! every change to content, configuration, templates or static files. Pages
//! reload by themselves; a failed build shows its diagnostics over the page
//! while the last good output stays served.

use std::net::{IpAddr, SocketAddr};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use notify::{RecursiveMode, Watcher};
use tokio::sync::watch;

use crate::build::{self, BuildOptions, BuildReport};
use crate::html::escape_attr;
use crate::rebuild::{Outcome, Session};
use crate::search::{self, Analyzer, Layers, OperatorIndex, SearchError, SearchRequest};

pub struct ServeOptions {
    pub build: BuildOptions,
    pub interface: IpAddr,
    pub port: u16,
    /// Print phase timings after each build.
    pub timings: bool,
    /// Access token for `/api` (internal data); required off loopback.
    pub token: Option<String>,
}

/// Environment variable holding the access token.
pub const TOKEN_ENV: &str = "ZHIKU_TOKEN";

/// The analyzer and operator index behind `/api/search`, reloaded after
/// every build.
type SearchState = Arc<RwLock<Option<(Analyzer, OperatorIndex)>>>;

fn load_search(root: &Path) -> Option<(Analyzer, OperatorIndex)> {
    let analyzer = Analyzer::load(&search::index_dir(root), Layers::ALL).ok()?;
    let index = OperatorIndex::open(&search::index_dir(root).join(search::OPERATOR_DIR)).ok()?;
    Some((analyzer, index))
}

/// The outcome of the latest build, published to waiting browsers.
#[derive(Clone, Debug, Default)]
struct BuildState {
    version: u64,
    /// Diagnostics of the latest build when it failed.
    error: Option<String>,
}

#[derive(Clone)]
struct AppState {
    out_dir: Arc<PathBuf>,
    builds: watch::Receiver<BuildState>,
    search: SearchState,
    token: Option<Arc<str>>,
}

fn run_build(options: &BuildOptions, timings: bool) -> (BuildReport, Option<String>, Option<Session>) {
    let (report, kept) = build::build_keeping(options);
    eprint!("{}", report.diagnostics.to_pretty(&options.root, false));
    if timings {
        eprint!("{}", report.timings());
    }
    eprintln!("{}", report.summary_line());
    let error = (!report.written).then(|| {
        let mut text = report.diagnostics.to_plain();
        if text.is_empty() {
            text = report.summary_line();
        }
        text
    });
    (report, error, kept.map(|kept| Session::new(options.clone(), kept)))
}

/// Applies an edit incrementally when it can; `None` when only a full
/// build will do. On success the error is `None`.
fn run_incremental(
    session: &mut Option<Session>,
    paths: &[PathBuf],
    root: &Path,
    timings: bool,
) -> Option<Option<String>> {
    let current = session.take()?;
    let (outcome, next) = if current.only_theme(paths) { current.apply_theme() } else { current.apply(paths) };
    *session = next;
    match outcome {
        Outcome::Applied(applied) => {
            eprint!("{}", applied.warnings.to_pretty(root, false));
            eprintln!(
                "增量更新：{} 个文件重新解析，{} 个文件重新生成，写入 {} 个，{} 个警告，用时 {:.0} 毫秒",
                applied.documents,
                applied.made,
                applied.written,
                applied.warnings.warning_count(),
                applied.elapsed.as_secs_f64() * 1000.0
            );
            if timings {
                for (name, took) in &applied.phases {
                    eprintln!("  {name:<22} {:>8.3} s", took.as_secs_f64());
                }
            }
            Some(None)
        }
        Outcome::Failed(diagnostics) => {
            eprint!("{}", diagnostics.to_pretty(root, false));
            Some(Some(diagnostics.to_plain()))
        }
        Outcome::NeedsFullBuild => None,
    }
}

pub fn serve(mut options: ServeOptions) -> Result<(), String> {
    // The environment wins over config.toml, so a token need not be
    // committed with the site.
    options.token = options.token.filter(|t| !t.is_empty()).or_else(|| {
        crate::config::Config::load(&options.build.root).ok().map(|c| c.serve.token).filter(|t| !t.is_empty())
    });
    if !options.interface.is_loopback() && options.token.is_none() {
        return Err(format!(
            "refusing to serve internal data (/console, /api) on {} without an access token: set {TOKEN_ENV} or [serve] token in config.toml, or keep the default 127.0.0.1",
            options.interface
        ));
    }
    let (_, error, session) = run_build(&options.build, options.timings);
    let search_state: SearchState = Arc::new(RwLock::new(load_search(&options.build.root)));
    let (sender, receiver) = watch::channel(BuildState { version: 1, error });
    let out_dir = options.build.output_dir();

    let watched_root = options.build.root.clone();
    let rebuild_options = options.build.clone();
    let timings = options.timings;
    let (events_tx, events_rx) = std::sync::mpsc::channel::<notify::Result<notify::Event>>();
    let mut watcher = notify::recommended_watcher(events_tx).map_err(|e| format!("cannot watch files: {e}"))?;
    for name in ["content", "templates", "themes", "static", "config.toml"] {
        let path = watched_root.join(name);
        if path.exists() {
            watcher
                .watch(&path, RecursiveMode::Recursive)
                .map_err(|e| format!("cannot watch {}: {e}", path.display()))?;
        }
    }
    let output_for_filter = out_dir.clone();
    let index_for_filter = search::index_dir(&options.build.root).join(search::OPERATOR_DIR);
    let search_for_rebuild = search_state.clone();
    std::thread::spawn(move || {
        let relevant = |event: &notify::Event| {
            !event.kind.is_access()
                && event
                    .paths
                    .iter()
                    .any(|p| !p.starts_with(&output_for_filter) && !p.starts_with(&index_for_filter) && !is_hidden(p))
        };
        let mut session = session;
        while let Ok(first) = events_rx.recv() {
            let mut paths: Vec<PathBuf> = Vec::new();
            let mut note = |event: notify::Result<notify::Event>| {
                if let Ok(event) = event
                    && relevant(&event)
                {
                    paths.extend(event.paths);
                }
            };
            note(first);
            // Editors save in bursts; let the burst settle before rebuilding.
            // Short, as it is part of what an editor waits for.
            while let Ok(more) = events_rx.recv_timeout(Duration::from_millis(30)) {
                note(more);
            }
            paths.sort();
            paths.dedup();
            if !paths.is_empty() {
                let incremental = run_incremental(&mut session, &paths, &rebuild_options.root, timings);
                let (error, full) = match incremental {
                    Some(error) => (error, false),
                    None => {
                        let (_, error, kept) = run_build(&rebuild_options, timings);
                        session = kept;
                        (error, true)
                    }
                };
                if error.is_none()
                    && let Ok(mut slot) = search_for_rebuild.write()
                {
                    // After an edit the open index sees the new commit and
                    // bigram edits; should that fail, or after a full build,
                    // the index is opened again from disk.
                    let reloaded = !full && slot.as_ref().is_some_and(|(_, index)| index.reload().is_ok());
                    if !reloaded {
                        *slot = load_search(&rebuild_options.root);
                    }
                }
                sender.send_modify(|state| {
                    state.version += 1;
                    state.error = error;
                });
            }
        }
    });

    let state = AppState {
        out_dir: Arc::new(out_dir),
        builds: receiver,
        search: search_state,
        token: options.token.filter(|t| !t.is_empty()).map(Arc::from),
    };
    let app = Router::new()
        .route("/__zhiku/wait", get(wait_for_build))
        .route("/api/search", get(api_search))
        .route("/console", get(console_page))
        .route("/console/{asset}", get(console_asset))
        .fallback(get(serve_file))
        .with_state(state);
    let address = SocketAddr::new(options.interface, options.port);
    let runtime = tokio::runtime::Runtime::new().map_err(|e| format!("cannot start the server runtime: {e}"))?;
    runtime.block_on(async move {
        let listener =
            tokio::net::TcpListener::bind(address).await.map_err(|e| format!("cannot listen on {address}: {e}"))?;
        eprintln!("预览地址：http://{address}/ （按 Ctrl+C 停止）");
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(|e| format!("server error: {e}"))
    })?;
    drop(watcher);
    Ok(())
}

fn is_hidden(path: &Path) -> bool {
    path.components().any(|c| matches!(c, Component::Normal(n) if n.to_string_lossy().starts_with('.')))
}

#[derive(serde::Deserialize)]
struct WaitQuery {
    v: u64,
}

/// Long poll: answers as soon as a build newer than `v` finished (or after
/// 25 s), with the new version and, if it failed, its diagnostics.
async fn wait_for_build(State(state): State<AppState>, Query(query): Query<WaitQuery>) -> Response {
    let mut builds = state.builds.clone();
    let _ = tokio::time::timeout(Duration::from_secs(25), builds.wait_for(|b| b.version > query.v)).await;
    let current = builds.borrow().clone();
    let body = serde_json::json!({ "version": current.version, "error": current.error });
    ([(header::CACHE_CONTROL, "no-store")], axum::Json(body)).into_response()
}

/// Cookie that carries the access token for the console in a browser.
const TOKEN_COOKIE: &str = "zhiku_token";

/// The token a request presents: `Authorization: Bearer TOKEN`, or the
/// console's cookie.
fn presented_token(headers: &HeaderMap) -> Option<&str> {
    let bearer =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    bearer.or_else(|| {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .find_map(|pair| pair.trim().strip_prefix(TOKEN_COOKIE)?.strip_prefix('='))
    })
}

/// Whether the request may read internal data: it carries the access token
/// when one is set; without a token the server is on loopback, and the Host
/// header must name loopback too, so a web page cannot reach the API
/// through DNS rebinding.
fn authorised(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(token) = &state.token else {
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
        return is_loopback_host(host);
    };
    presented_token(headers).is_some_and(|g| constant_time_eq(g.as_bytes(), token.as_bytes()))
}

#[derive(serde::Deserialize)]
struct ConsoleQuery {
    token: Option<String>,
}

fn unauthorised_page() -> Response {
    let body = "<!DOCTYPE html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>需要访问令牌</title>\
                <h1>需要访问令牌</h1><p>坐席答复台含内部口径，请使用管理员提供的地址（/console?token=…）打开。</p></html>";
    (
        StatusCode::UNAUTHORIZED,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")],
        body,
    )
        .into_response()
}

/// `GET /console`: the operator console. `?token=` is exchanged for an
/// HttpOnly cookie and dropped from the address bar, so the token is not
/// left in history or shown on screen.
async fn console_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<ConsoleQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    if let (Some(token), Ok(Query(ConsoleQuery { token: Some(given) }))) = (&state.token, &query) {
        if !constant_time_eq(given.as_bytes(), token.as_bytes()) {
            return unauthorised_page();
        }
        let cookie = format!("{TOKEN_COOKIE}={given}; Path=/; HttpOnly; SameSite=Strict");
        return (StatusCode::SEE_OTHER, [(header::LOCATION, "/console".to_string()), (header::SET_COOKIE, cookie)])
            .into_response();
    }
    if !authorised(&state, &headers) {
        return unauthorised_page();
    }
    console_file("text/html; charset=utf-8", include_str!("console/console.html"))
}

async fn console_asset(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Path(asset): axum::extract::Path<String>,
) -> Response {
    if !authorised(&state, &headers) {
        return unauthorised_page();
    }
    match asset.as_str() {
        "console.js" => console_file("text/javascript; charset=utf-8", include_str!("console/console.js")),
        "console.css" => console_file("text/css; charset=utf-8", include_str!("console/console.css")),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

fn console_file(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-store"),
            (header::HeaderName::from_static("x-frame-options"), "DENY"),
        ],
        body,
    )
        .into_response()
}

fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost") || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn json_error(status: StatusCode, message: &str) -> Response {
    (status, [(header::CACHE_CONTROL, "no-store")], axum::Json(serde_json::json!({ "error": message }))).into_response()
}

/// `GET /api/search?q=&kind=&region=&status=&category=&department=&topic=&issuer=&year=&limit=`:
/// the same JSON as `zhiku search --json`.
async fn api_search(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<SearchRequest>, axum::extract::rejection::QueryRejection>,
) -> Response {
    if !authorised(&state, &headers) {
        return json_error(StatusCode::UNAUTHORIZED, "需要访问令牌（Authorization: Bearer …）");
    }
    let Ok(Query(request)) = query else {
        return json_error(StatusCode::BAD_REQUEST, "查询参数无效：q 为查询词，limit 为 1 到 100 的整数");
    };
    let search = state.search.clone();
    let result = tokio::task::spawn_blocking(move || {
        let guard = search.read().map_err(|_| SearchError::BadRequest("检索服务暂不可用".into()))?;
        match guard.as_ref() {
            Some((analyzer, index)) => index.search(analyzer, &request).map(Some),
            None => Ok(None),
        }
    })
    .await;
    match result {
        Ok(Ok(Some(response))) => ([(header::CACHE_CONTROL, "no-store")], axum::Json(response)).into_response(),
        Ok(Ok(None)) => json_error(StatusCode::SERVICE_UNAVAILABLE, "检索索引尚未建立：请先修复构建错误"),
        Ok(Err(SearchError::BadRequest(message))) => json_error(StatusCode::BAD_REQUEST, &message),
        Ok(Err(e)) => json_error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
        Err(_) => json_error(StatusCode::INTERNAL_SERVER_ERROR, "检索失败"),
    }
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "xml" => "application/xml; charset=utf-8",
        "atom" => "application/atom+xml; charset=utf-8",
        "rss" => "application/rss+xml; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}

/// Maps a request path to a file under the output folder, refusing anything
/// that would leave it.
fn resolve(out_dir: &Path, uri_path: &str) -> Option<PathBuf> {
    let decoded = percent_encoding::percent_decode_str(uri_path).decode_utf8().ok()?;
    let mut path = out_dir.to_path_buf();
    for component in Path::new(decoded.trim_start_matches('/')).components() {
        match component {
            Component::Normal(part) => path.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    if path.is_dir() {
        path.push("index.html");
    }
    Some(path)
}

async fn serve_file(State(state): State<AppState>, uri: Uri) -> Response {
    let build = state.builds.borrow().clone();
    let found = resolve(&state.out_dir, uri.path()).filter(|p| p.is_file());
    let (status, path) = match found {
        Some(path) => (StatusCode::OK, path),
        None => (StatusCode::NOT_FOUND, state.out_dir.join("404.html")),
    };
    let Ok(bytes) = tokio::fs::read(&path).await else {
        let html = inject(
            String::from(
                "<!DOCTYPE html><html lang=\"zh-CN\"><title>未找到</title><body><h1>未找到</h1></body></html>",
            ),
            &build,
        );
        return (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    };
    let kind = content_type(&path);
    let body = if kind.starts_with("text/html") {
        inject(String::from_utf8_lossy(&bytes).into_owned(), &build).into_bytes()
    } else {
        bytes
    };
    let mut response = (status, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Adds the live-reload client, and the error overlay when the latest build
/// failed. Only `serve` does this; built files never contain it.
fn inject(mut html: String, build: &BuildState) -> String {
    let overlay = build.error.as_ref().map_or(String::new(), |error| {
        format!(
            "<div id=\"zhiku-error\" role=\"alert\" style=\"position:fixed;inset:0;z-index:99999;overflow:auto;background:rgba(20,0,0,.92);color:#fff;padding:2rem;font:14px/1.6 monospace;white-space:pre-wrap\"><h2 style=\"color:#ffb4b4\">构建失败（显示的是上一次成功的构建）</h2>{}</div>",
            escape_attr(error)
        )
    });
    let script = format!(
        "<script>(function(){{var v={};function poll(){{fetch('/__zhiku/wait?v='+v).then(function(r){{return r.json()}}).then(function(b){{if(b.version>v){{location.reload();}}else{{poll();}}}}).catch(function(){{setTimeout(poll,1000)}});}}poll();}})();</script>",
        build.version
    );
    let addition = format!("{overlay}{script}");
    match html.rfind("</body>") {
        Some(i) => html.insert_str(i, &addition),
        None => html.push_str(&addition),
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_paths_outside_the_output() {
        let root = Path::new("/srv/public");
        assert!(resolve(root, "/../etc/passwd").is_none());
        assert!(resolve(root, "/%2e%2e/etc/passwd").is_none());
        assert_eq!(resolve(root, "/a/b.css"), Some(PathBuf::from("/srv/public/a/b.css")));
    }

    #[test]
    fn refuses_non_loopback_without_token() {
        let options = ServeOptions {
            build: BuildOptions::new("/nonexistent", "2026-01-01".parse().unwrap()),
            interface: "0.0.0.0".parse().unwrap(),
            port: 0,
            timings: false,
            token: None,
        };
        let error = serve(options).unwrap_err();
        assert!(error.contains("without an access token"), "{error}");
    }

    #[test]
    fn only_loopback_hosts_without_token() {
        for host in ["127.0.0.1:1111", "localhost:1111", "[::1]:1111", "127.0.0.1"] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in ["evil.example:1111", "192.168.1.2:1111", "", "localhost.evil.example"] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn token_comparison() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret2"));
    }

    #[test]
    fn error_overlay_is_escaped() {
        let html = inject("<body></body>".into(), &BuildState { version: 2, error: Some("<script>x</script>".into()) });
        assert!(html.contains("&lt;script&gt;x&lt;/script&gt;"));
        assert!(!html.contains("<script>x</script>"));
    }
}
