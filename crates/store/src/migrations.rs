//! The one list of schema migrations, for both backends.
//!
//! A migration is one file of portable SQL, `migrations/NNNN_name.sql`,
//! written in the subset both databases read alike: `TEXT`, `BIGINT` (SQLite
//! gives it integer affinity; it is 64-bit on both), `DOUBLE PRECISION`,
//! `NOT NULL`, `DEFAULT`, `CHECK`, `PRIMARY KEY`, `REFERENCES … ON DELETE`,
//! `CREATE [UNIQUE] INDEX`, `ALTER TABLE … ADD COLUMN`. Only where the
//! dialects truly differ (changing a constraint, say) does a migration
//! have two files, `NNNN_name.sqlite.sql` and `NNNN_name.postgres.sql`.
//! Whatever the files, the contract suite proves the two resulting schemas
//! equal (tables, columns, types, nullability, keys, indexes).
//!
//! To add a migration: write the file, add one `portable!` (or `dialects!`)
//! line at the end of [`MIGRATIONS`], and, if it adds a table, add the table
//! to `transfer::ORDER` after the tables it references.

/// One schema change, applied once, in version order, in its own transaction.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

/// The same SQL for both backends.
macro_rules! portable {
    ($version:literal, $name:literal, $file:literal) => {
        Migration { version: $version, name: $name, sqlite: include_str!($file), postgres: include_str!($file) }
    };
}

/// A file per backend, where the dialects differ.
macro_rules! dialects {
    ($version:literal, $name:literal, $sqlite:literal, $postgres:literal) => {
        Migration { version: $version, name: $name, sqlite: include_str!($sqlite), postgres: include_str!($postgres) }
    };
}

/// Every migration, in order. Versions are 1, 2, 3 … without gaps.
pub const MIGRATIONS: &[Migration] = &[
    portable!(1, "foundation", "../migrations/0001_foundation.sql"),
    portable!(2, "jobs", "../migrations/0002_jobs.sql"),
    dialects!(3, "text", "../migrations/0003_text.sqlite.sql", "../migrations/0003_text.postgres.sql"),
    portable!(4, "customers", "../migrations/0004_customers.sql"),
    portable!(5, "audit", "../migrations/0005_audit.sql"),
    portable!(6, "personas", "../migrations/0006_personas.sql"),
    portable!(7, "persona_pictures", "../migrations/0007_persona_pictures.sql"),
    portable!(8, "channels", "../migrations/0008_channels.sql"),
    dialects!(9, "roles", "../migrations/0009_roles.sqlite.sql", "../migrations/0009_roles.postgres.sql"),
    dialects!(10, "statuses", "../migrations/0010_statuses.sqlite.sql", "../migrations/0010_statuses.postgres.sql"),
    portable!(11, "text_queue", "../migrations/0011_text_queue.sql"),
    portable!(12, "customer_facts", "../migrations/0012_customer_facts.sql"),
    portable!(13, "segment_members", "../migrations/0013_segment_members.sql"),
    portable!(14, "theme_daily", "../migrations/0014_theme_daily.sql"),
    portable!(15, "segment_daily", "../migrations/0015_segment_daily.sql"),
    portable!(16, "theme_examples", "../migrations/0016_theme_examples.sql"),
    portable!(17, "segment_themes", "../migrations/0017_segment_themes.sql"),
    portable!(18, "channel_daily", "../migrations/0018_channel_daily.sql"),
    portable!(19, "scores_by_customer", "../migrations/0019_scores_by_customer.sql"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_consecutive_and_names_are_unique() {
        let versions: Vec<i64> = MIGRATIONS.iter().map(|m| m.version).collect();
        assert_eq!(versions, (1..=MIGRATIONS.len() as i64).collect::<Vec<_>>(), "versions are 1, 2, 3 …");
        let mut names: Vec<&str> = MIGRATIONS.iter().map(|m| m.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), MIGRATIONS.len(), "names are unique");
    }

    /// Every file in `migrations/` is in the list, under its own version and
    /// name, so a file cannot be written and forgotten.
    #[test]
    fn every_file_is_listed() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut files: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        files.sort();
        let mut listed: Vec<String> = Vec::new();
        for m in MIGRATIONS {
            let stem = format!("{:04}_{}", m.version, m.name);
            if m.sqlite == m.postgres {
                listed.push(format!("{stem}.sql"));
            } else {
                listed.push(format!("{stem}.postgres.sql"));
                listed.push(format!("{stem}.sqlite.sql"));
            }
        }
        listed.sort();
        assert_eq!(files, listed);
    }
}
