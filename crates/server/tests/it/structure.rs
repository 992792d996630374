//! The dependency rules of the server's layout (ARCHITECTURE.md), read
//! from the source: pages, features and the kernel import nothing from the
//! API handlers; features never import each other; the kernel never
//! imports a feature; the platform and the UI components import nothing
//! domain-specific (only the feature registry, for the navigation).

use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push((path.clone(), std::fs::read_to_string(&path).unwrap()));
        }
    }
}

fn files_under(part: &str) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    sources(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(part), &mut out);
    assert!(!out.is_empty(), "no sources under src/{part}");
    out
}

/// Lines that use a path, comments and unit tests left out.
fn uses<'a>(text: &'a str, prefix: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
    code.lines().filter(move |l| !l.trim_start().starts_with("//") && l.contains(prefix))
}

#[test]
fn pages_features_and_kernel_import_nothing_from_the_api_handlers() {
    let mut found = Vec::new();
    for part in ["web", "features", "kernel"] {
        for (path, text) in files_under(part) {
            for line in uses(&text, "crate::api::") {
                found.push(format!("{}: {}", path.display(), line.trim()));
            }
        }
    }
    assert!(found.is_empty(), "imports from api/: {found:#?}");
}

#[test]
fn features_do_not_import_each_other_and_the_kernel_imports_no_feature() {
    let mut found = Vec::new();
    for (path, text) in files_under("features") {
        let rel = path.to_string_lossy().replace('\\', "/");
        let Some(own) = rel.split("/features/").nth(1).and_then(|r| r.split('/').next()) else { continue };
        if own == "mod.rs" {
            continue;
        }
        for line in uses(&text, "crate::features::") {
            let other = line.split("crate::features::").nth(1).and_then(|r| r.split("::").next()).unwrap_or("");
            if other != own {
                found.push(format!("{rel}: {}", line.trim()));
            }
        }
    }
    for (path, text) in files_under("kernel") {
        for line in uses(&text, "crate::features::") {
            found.push(format!("{}: {}", path.display(), line.trim()));
        }
    }
    assert!(found.is_empty(), "forbidden imports: {found:#?}");
}

#[test]
fn the_platform_and_the_ui_import_nothing_domain_specific() {
    let mut found = Vec::new();
    for part in ["platform", "ui"] {
        for (path, text) in files_under(part) {
            for prefix in ["crate::kernel::", "crate::features::", "crate::web::", "crate::api::"] {
                for line in uses(&text, prefix) {
                    // The registry of features (what the navigation lists) is wiring, not a feature.
                    if line.contains("crate::features::ALL") && line.matches("crate::").count() == 1 {
                        continue;
                    }
                    found.push(format!("{}: {}", path.display(), line.trim()));
                }
            }
        }
    }
    assert!(found.is_empty(), "domain imports in platform/ or ui/: {found:#?}");
}

/// Every page is framed by `ui::layout::shell` (one HTML head), and the
/// templates style through the stylesheets, never inline. The invitation
/// email is the exception: mail clients ignore stylesheets.
#[test]
fn pages_have_one_shell_and_no_inline_styles() {
    let mut heads = Vec::new();
    let mut inline = Vec::new();
    for part in ["web", "features", "kernel", "ui"] {
        for (path, text) in files_under(part) {
            let rel = path.to_string_lossy().replace('\\', "/");
            for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
                if line.contains("(DOCTYPE)") && !rel.ends_with("ui/layout.rs") {
                    heads.push(format!("{rel}: {}", line.trim()));
                }
                if line.contains("style=\"") || line.contains(" style=(") {
                    inline.push(format!("{rel}: {}", line.trim()));
                }
            }
        }
    }
    let layout = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ui/layout.rs")).unwrap();
    assert_eq!(layout.matches("(DOCTYPE)").count(), 1, "one document frame in ui/layout.rs");
    assert!(heads.is_empty(), "pages framed outside ui::layout::shell: {heads:#?}");
    assert!(inline.is_empty(), "inline styles (use a class in assets/app.css): {inline:#?}");
}
