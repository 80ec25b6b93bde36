//! The web app's files as the service serves them: every ES module the app imports, from
//! `app.js` down the nested folders of `web/js/`, answers 200 with a JavaScript media type
//! in UTF-8 (a browser refuses to run a module served otherwise), and paths outside the app do
//! not.

mod common;

use std::collections::{BTreeSet, VecDeque};

use common::{assert_refused, spawn_app};
use reqwest::StatusCode;

/// The relative module specifiers a module imports (`import ... from './x.js'`, `import './x.js'`,
/// `export ... from './x.js'`).
fn imports(source: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in source.lines() {
        let line = line.trim_start();
        if !(line.starts_with("import ") || line.starts_with("export ") || line.starts_with("} from ")) {
            continue;
        }
        if let Some(spec) = line.split('\'').nth(1).filter(|s| s.starts_with('.')) {
            found.push(spec.to_owned());
        }
    }
    found
}

/// `spec` relative to the module at `base` (a path like `js/core/router.js`).
fn resolve(base: &str, spec: &str) -> String {
    let mut parts: Vec<&str> = base.split('/').collect();
    parts.pop();
    for seg in spec.split('/') {
        match seg {
            "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

#[tokio::test]
async fn every_module_of_the_web_app_is_served_as_javascript_from_nested_paths() {
    let app = spawn_app().await;
    let http = reqwest::Client::new();
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from(["app.js".to_owned()]);
    while let Some(path) = queue.pop_front() {
        if !seen.insert(path.clone()) {
            continue;
        }
        let resp = http.get(format!("{}/{path}", app.base)).send().await.expect("request");
        assert_eq!(resp.status(), StatusCode::OK, "/{path}");
        let kind = resp.headers()["content-type"]
            .to_str()
            .expect("content type")
            .to_owned();
        assert_eq!(kind, "text/javascript; charset=utf-8", "/{path}");
        let source = resp.text().await.expect("module text");
        for spec in imports(&source) {
            queue.push_back(resolve(&path, &spec));
        }
    }
    for module in [
        "js/core/api.js",
        "js/core/i18n.js",
        "js/core/router.js",
        "js/core/nav.js",
        "js/core/forms.js",
        "js/core/roles.js",
        "js/routes.js",
        "js/screens/generator/register.js",
        "js/screens/driver/trips.js",
        "js/screens/gate/gate.js",
    ] {
        assert!(seen.contains(module), "{module} is not reached from app.js: {seen:?}");
    }
    assert!(seen.len() >= 25, "{seen:?}");

    let css = http
        .get(format!("{}/style.css", app.base))
        .send()
        .await
        .expect("request");
    assert!(css.headers()["content-type"]
        .to_str()
        .expect("type")
        .starts_with("text/css"));
    let anon = app.anonymous();
    assert_refused(
        &anon.get("/js/core/no-such-module.js").await,
        StatusCode::NOT_FOUND,
        "no_route",
    );
    assert_refused(
        &anon.get("/js/../../Cargo.toml").await,
        StatusCode::NOT_FOUND,
        "no_route",
    );
}

/// A browser's own request for `/favicon.ico` (pages that name no icon, bookmarks) gets the
/// app's icon, not the JSON 404.
#[tokio::test]
async fn favicon_ico_is_the_apps_icon_not_a_404() {
    let app = spawn_app().await;
    let resp = reqwest::get(format!("{}/favicon.ico", app.base))
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::OK);
    let kind = resp.headers()["content-type"].to_str().expect("type").to_owned();
    assert_eq!(kind, "image/svg+xml");
    assert!(resp.text().await.expect("body").contains("<svg"));
}
