//! One module per aggregate: its storage trait and the records it takes and
//! returns. Both backends implement each trait in the `shared` file of the
//! same name (`shared/<aggregate>.rs`). The crate root re-exports them all.

mod accounts;
mod audit;
mod channels;
mod credentials;
mod customer_reads;
mod customers;
mod invitations;
mod jobs;
mod personas;
mod responses;
mod segments;
mod suppressions;
mod surveys;
mod text;
mod theme_reports;

pub use accounts::*;
pub use audit::*;
pub use channels::*;
pub use credentials::*;
pub use customer_reads::*;
pub use customers::*;
pub use invitations::*;
pub use jobs::*;
pub use personas::*;
pub use responses::*;
pub use segments::*;
pub use suppressions::*;
pub use surveys::*;
pub use text::*;
pub use theme_reports::*;

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// The aggregate modules, read from the source.
    fn modules() -> Vec<(String, String)> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/aggregates");
        let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.file_name().is_some_and(|n| n != "mod.rs"))
            .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap()))
            .collect();
        out.sort();
        out
    }

    #[test]
    fn every_store_trait_stays_narrow() {
        let mut traits = 0;
        for (module, text) in modules() {
            for part in text.split("\npub trait ").skip(1) {
                let name = part.split(':').next().unwrap().trim().to_string();
                let body = part.split("\n}\n").next().unwrap();
                let methods = body.matches("\n    async fn ").count() + body.matches("\n    fn ").count();
                assert!(methods <= 15, "{module}: {name} has {methods} methods; split the aggregate");
                traits += 1;
            }
        }
        assert!(traits >= 14, "found {traits} traits");
    }

    #[test]
    fn every_aggregate_has_its_shared_sql_and_is_declared_by_both_backends() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let sqlite = std::fs::read_to_string(src.join("sqlite/mod.rs")).unwrap();
        let postgres = std::fs::read_to_string(src.join("postgres/mod.rs")).unwrap();
        for (module, _) in modules() {
            assert!(src.join(format!("shared/{module}.rs")).exists(), "no shared/{module}.rs");
            let decl = format!("#[path = \"../shared/{module}.rs\"]");
            assert!(sqlite.contains(&decl) && postgres.contains(&decl), "{module} is not a module of both backends");
        }
    }
}
