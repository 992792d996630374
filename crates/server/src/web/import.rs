//! Customer CSV import in the browser: upload a file, see how its columns
//! map (and change the mapping), every problem by line and column and the
//! first rows, then import — all rows or none, or only the valid ones.

use crate::kernel::customer_import::{Plan, plan};
use crate::platform::auth::{Staff, WebUser, can};
use crate::platform::error::PageError;
use crate::platform::form::StaffForm;
use crate::state::AppState;
use crate::ui::components::{column_mapping, error_summary, import_actions, row_problems};
use crate::ui::layout::page;
use crate::ui::paths;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cxloop_core::customer::AttributeDef;
use maud::{Markup, html};
use std::collections::HashMap;

/// Largest file accepted here; bigger files go through `cxloop import customers`.
const MAX_FILE: usize = 200 * 1024;

fn upload_form(user: &WebUser, error: Option<&str>) -> Markup {
    html! {
        @if let Some(e) = error { (error_summary(e)) }
        form.stack method="post" action=(paths::CUSTOMER_IMPORT) enctype="multipart/form-data" {
            input type="hidden" name="_csrf" value=(user.csrf);
            div {
                label for="file" { "CSV file with a header row (up to 200 KB here; use cxloop import customers for bigger files)" }
                input #file type="file" name="file" accept=".csv,text/csv" required;
            }
            button.btn type="submit" { "Preview" }
        }
    }
}

pub async fn import_page(Staff(user, _): Staff<can::ManageCustomers>) -> Markup {
    page("Import customers", &user, "/customers", html! { h1 { "Import customers" } (upload_form(&user, None)) })
}

fn preview(user: &WebUser, csv: &str, p: &Plan, defs: &[AttributeDef], done: Option<String>) -> Markup {
    let mut targets = vec!["external_id".to_string(), "name".into(), "email".into()];
    targets.extend(defs.iter().map(|d| d.key.clone()));
    targets.push("ignore".into());
    html! {
        h1 { "Import customers" }
        @if let Some(d) = done { p.note role="status" { (d) } }
        p { (p.rows) " rows: " strong { (p.customers.len()) } " valid, " strong { (p.errors.len()) } " with problems." }
        (row_problems(&p.errors))
        form.stack method="post" action=(paths::CUSTOMER_IMPORT_CONFIRM) {
            input type="hidden" name="_csrf" value=(user.csrf);
            textarea name="csv" hidden { (csv) }
            (column_mapping(&p.mapping, &targets))
            @if !p.customers.is_empty() {
                h2 { "First rows" }
                table {
                    thead { tr { th { "Line" } th { "External id" } th { "Name" } th { "Email" } th { "Attributes" } } }
                    tbody {
                        @for (line, c) in p.customers.iter().take(10) {
                            tr { td { (line) } td.mono { (c.external_id) } td { (c.name.as_deref().unwrap_or("")) } td { (c.email.as_deref().unwrap_or("")) } td.mono { (serde_json::Value::Object(c.attributes.clone()).to_string()) } }
                        }
                    }
                }
            }
            (import_actions())
        }
    }
}

pub async fn upload(
    State(state): State<AppState>,
    Staff(user, _): Staff<can::ManageCustomers>,
    form: Multipart,
) -> Result<Response, PageError> {
    let up = crate::platform::form::read_upload(&user, form, "file").await?;
    let file = up.file.map(|(_, b)| b);
    let render_error = |msg: &str| {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            page(
                "Import customers",
                &user,
                "/customers",
                html! { h1 { "Import customers" } (upload_form(&user, Some(msg))) },
            ),
        )
            .into_response()
    };
    let Some(bytes) = file.filter(|b| !b.is_empty()) else { return Ok(render_error("choose a CSV file")) };
    if bytes.len() > MAX_FILE {
        return Ok(render_error("the file is larger than 200 KB; use cxloop import customers"));
    }
    let defs = state.store.attribute_defs().await?;
    match plan(&bytes, &defs, &HashMap::new()) {
        Ok(p) => {
            let csv = String::from_utf8_lossy(&bytes).into_owned();
            Ok(page("Import customers", &user, "/customers", preview(&user, &csv, &p, &defs, None)).into_response())
        }
        Err(e) => Ok(render_error(&e.0)),
    }
}

pub async fn confirm(
    State(state): State<AppState>,
    // Untyped: the column mapping is fields `h{i}`/`t{i}`, one pair per column of the file.
    StaffForm(user, form, _): StaffForm<can::ManageCustomers>,
) -> Result<Response, PageError> {
    let csv = form.get("csv").to_string();
    let mut explicit = HashMap::new();
    for i in 0..200 {
        let h = form.get(&format!("h{i}"));
        if h.is_empty() {
            break;
        }
        explicit.insert(h.to_string(), form.get(&format!("t{i}")).to_string());
    }
    let defs = state.store.attribute_defs().await?;
    let p = match plan(csv.as_bytes(), &defs, &explicit) {
        Ok(p) => p,
        Err(e) => {
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                page(
                    "Import customers",
                    &user,
                    "/customers",
                    html! { h1 { "Import customers" } (upload_form(&user, Some(&e.0))) },
                ),
            )
                .into_response());
        }
    };
    if form.get("action") != "import" {
        return Ok(page("Import customers", &user, "/customers", preview(&user, &csv, &p, &defs, None)).into_response());
    }
    let all_or_nothing = form.has("all_or_nothing");
    if all_or_nothing && !p.errors.is_empty() {
        let msg = format!("Nothing was imported: {} rows have problems (all or nothing).", p.errors.len());
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            page("Import customers", &user, "/customers", preview(&user, &csv, &p, &defs, Some(msg))),
        )
            .into_response());
    }
    let refs: Vec<cxloop_store::CustomerRef> = p.customers.iter().map(|(_, c)| c.clone()).collect();
    state.store.upsert_customers(&refs).await?;
    let msg = format!("Imported {} customers; {} rows with problems were skipped.", refs.len(), p.errors.len());
    Ok(page(
        "Import customers",
        &user,
        "/customers",
        html! {
            h1 { "Import customers" }
            p.note role="status" { (msg) }
            p { a href=(paths::CUSTOMER_DIRECTORY) { "Back to customers" } }
        },
    )
    .into_response())
}
