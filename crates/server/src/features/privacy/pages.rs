//! Privacy requests on pages (the `privacy` permission): a customer's data
//! export and erasure, asked for on their page and confirmed first, and the
//! audit log that records both. The same services as the API do the work.

use super::service::erase;
use crate::kernel::customers::customer_or_404;
use crate::platform::auth::{Staff, can};
use crate::platform::error::PageError;
use crate::platform::form::StaffForm;
use crate::state::AppState;
use crate::ui::layout::{Confirm, Confirmation, page};
use crate::ui::paths;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

pub async fn privacy_page(
    State(state): State<AppState>,
    Staff(user, _): Staff<can::ManagePrivacy>,
    Path(external_id): Path<String>,
) -> Result<Markup, PageError> {
    let c = customer_or_404(state.store.as_ref(), &external_id).await?;
    let events = state.store.customer_events(c.id).await?.len();
    let responses = state.store.customer_response_count(c.id).await?;
    let title = c.name.clone().unwrap_or_else(|| c.external_id.clone());
    Ok(page(
        "Privacy request",
        &user,
        "/customers",
        html! {
            h1 { "Privacy request: " (title) }
            p { a href=(paths::customer(&c.external_id)) { "Back to the customer" } " · " a href=(paths::AUDIT_PAGE) { "Audit log" } }
            p { "cxloop holds for this customer: their record (id " code { (c.external_id) } ", name, email, "
                (c.attributes.len()) " attributes), " (events) " lifecycle events and " (responses) " responses." }
            h2 { "Export (right of access)" }
            p { "Everything above as one JSON file. The export is recorded in the audit log under your name." }
            p { a.btn href=(paths::customer_export(&c.external_id)) download=(format!("customer-{}.json", c.id)) { "Download everything (JSON)" } }
            h2 { "Erase (right to erasure)" }
            p { "Removes their name, email, attributes and the text of every comment they wrote. Scores stay, without the person, so that KPIs over past periods do not change." }
            form method="post" action=(paths::customer_erase(&c.external_id)) {
                input type="hidden" name="_csrf" value=(user.csrf);
                button.btn.danger type="submit" { "Erase this customer…" }
            }
        },
    ))
}

pub async fn erase_customer(
    State(state): State<AppState>,
    Path(external_id): Path<String>,
    StaffForm(user, form, _): StaffForm<can::ManagePrivacy, Confirmation>,
) -> Result<Response, PageError> {
    let c = customer_or_404(state.store.as_ref(), &external_id).await?;
    if !form.confirmed() {
        let responses = state.store.customer_response_count(c.id).await?;
        let consequence = html! {
            p { "Their identity and the text of their comments across " (responses) " responses are erased for good. This cannot be undone; export first if they asked for a copy." }
        };
        let question = format!("Erase {}?", c.name.as_deref().unwrap_or(&c.external_id));
        let action = paths::customer_erase(&c.external_id);
        let back = paths::customer_privacy(&c.external_id);
        let ask = Confirm { question: &question, consequence, action: &action, fields: &[] };
        return Ok(ask.page(&user, "/customers", "Erase for good", &back).into_response());
    }
    let comments = erase(state.store.as_ref(), &user.user.email, &external_id).await?;
    Ok(page(
        "Customer erased",
        &user,
        "/customers",
        html! {
            h1 { "Customer erased" }
            p role="status" { "Their identity is gone and " (comments) " comments were erased. The audit log records it." }
            p { a href=(paths::CUSTOMER_DIRECTORY) { "Customers" } " · " a href=(paths::AUDIT_PAGE) { "Audit log" } }
        },
    )
    .into_response())
}

pub async fn audit_page(
    State(state): State<AppState>,
    Staff(user, _): Staff<can::ManagePrivacy>,
) -> Result<Markup, PageError> {
    let entries = state.store.audit_log(500).await?;
    Ok(page(
        "Audit log",
        &user,
        "/customers",
        html! {
            h1 { "Audit log" }
            p.muted { "Who did what: privacy exports and erasures, changes to staff accounts and API tokens; newest first (the last 500)." }
            table {
                thead { tr { th { "When (UTC)" } th { "Who" } th { "What" } th { "Subject" } th { "Detail" } } }
                tbody {
                    @for e in &entries {
                        tr {
                            td.mono { (e.at) }
                            td { (e.actor) }
                            td { code { (e.action) } }
                            td.mono { (e.subject) }
                            td.mono { (e.detail.to_string()) }
                        }
                    }
                    @if entries.is_empty() { tr { td colspan="5" { "Nothing recorded yet." } } }
                }
            }
        },
    ))
}
