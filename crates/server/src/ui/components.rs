//! Page parts several pages share, each written once: the error summary a
//! refused form shows, and the preview step of a file import (its row
//! problems, its column mapping, its all-or-nothing choice and buttons).
//! Everything shown goes through maud's escaping.

use maud::{Markup, Render, html};

/// How many row problems an import preview lists; the rest are counted.
pub const PROBLEMS_SHOWN: usize = 200;

/// The summary at the top of a refused form: announced to screen readers
/// (`role="alert"`), one message.
pub fn error_summary(message: impl Render) -> Markup {
    html! { div.error-summary role="alert" { p.field-error { (message) } } }
}

/// Every problem an import found, each naming its line (and column): the
/// first [`PROBLEMS_SHOWN`], then how many more there are. Nothing when
/// there is none.
pub fn row_problems<E: std::fmt::Display>(errors: &[E]) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.error-summary role="alert" {
                p.field-error { "Problems" }
                ul { @for e in errors.iter().take(PROBLEMS_SHOWN) { li { (e.to_string()) } } }
                @if errors.len() > PROBLEMS_SHOWN {
                    p { "… and " (errors.len() - PROBLEMS_SHOWN) " more; fix these and preview again." }
                }
            }
        }
    }
}

/// The column mapping of an import preview: each column of the file with a
/// choice of what it is imported as (fields `h0`, `t0`, `h1`, `t1`, …).
pub fn column_mapping<T: AsRef<str>>(mapping: &[(String, String)], targets: &[T]) -> Markup {
    html! {
        h2 { "Columns" }
        table {
            thead { tr { th { "Column in the file" } th { "Imported as" } } }
            tbody {
                @for (i, (h, t)) in mapping.iter().enumerate() {
                    tr {
                        td { (h) input type="hidden" name=(format!("h{i}")) value=(h); }
                        td {
                            select name=(format!("t{i}")) aria-label=(format!("Target of {h}")) {
                                @for x in targets { option value=(x.as_ref()) selected[x.as_ref() == t] { (x.as_ref()) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The end of an import preview: all or nothing (on by default), preview
/// again with the chosen mapping, or import.
pub fn import_actions() -> Markup {
    html! {
        label { input type="checkbox" name="all_or_nothing" checked; " All or nothing: import no row if any row has a problem" }
        div.actions {
            button.btn.secondary type="submit" name="action" value="preview" { "Preview again with this mapping" }
            button.btn type="submit" name="action" value="import" { "Import" }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_text_is_escaped_everywhere() {
        let evil = "<script>x</script>";
        for html in [
            error_summary(evil).into_string(),
            row_problems(&[evil]).into_string(),
            column_mapping(&[(evil.to_string(), "ignore".to_string())], &["ignore", evil]).into_string(),
        ] {
            assert!(!html.contains("<script>"), "{html}");
            assert!(html.contains("&lt;script&gt;"), "{html}");
        }
    }

    #[test]
    fn problems_beyond_the_shown_are_counted() {
        let errors: Vec<String> = (1..=205).map(|n| format!("line {n}: bad")).collect();
        let html = row_problems(&errors).into_string();
        assert_eq!(html.matches("<li>").count(), PROBLEMS_SHOWN);
        assert!(html.contains("… and 5 more"), "{html}");
        assert!(row_problems::<String>(&[]).into_string().is_empty());
    }

    #[test]
    fn the_mapping_selects_each_columns_target() {
        let mapping = [("Company".to_string(), "name".to_string()), ("Plan".to_string(), "plan".to_string())];
        let html = column_mapping(&mapping, &["name", "plan", "ignore"]).into_string();
        assert!(html.contains(r#"name="h1" value="Plan""#), "{html}");
        assert!(html.contains(r#"<option value="plan" selected>plan</option>"#), "{html}");
        assert_eq!(html.matches("selected").count(), 2, "{html}");
    }
}
