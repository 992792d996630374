//! The live schema of a database, read from the database itself, in a form
//! that compares across backends: what `migrate-data` copies and what the
//! contract suite proves equal on SQLite and PostgreSQL.

/// A column's type, as both backends store it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ColumnType {
    /// 64-bit integer (SQLite `INTEGER`/`BIGINT`, PostgreSQL `bigint`).
    Int,
    /// Double (SQLite `REAL`, PostgreSQL `double precision`).
    Real,
    Text,
}

impl ColumnType {
    /// Reads a declared type name of either backend. A 32-bit PostgreSQL
    /// `integer` is refused: SQLite's integers are 64-bit, so a value would
    /// fit one side and not the other.
    pub fn parse(declared: &str) -> Result<ColumnType, String> {
        match declared.trim().to_ascii_lowercase().as_str() {
            "bigint" => Ok(ColumnType::Int),
            // SQLite: any INTEGER is 64-bit.
            "integer" | "int8" => Ok(ColumnType::Int),
            "real" | "double precision" | "float8" => Ok(ColumnType::Real),
            "text" => Ok(ColumnType::Text),
            other => {
                Err(format!("column type {other:?} is not one both backends share (TEXT, BIGINT, DOUBLE PRECISION)"))
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Column {
    pub name: String,
    pub ty: ColumnType,
    pub nullable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSchema {
    pub name: String,
    /// In declaration order.
    pub columns: Vec<Column>,
    /// The primary key's columns, in key order.
    pub primary_key: Vec<String>,
}

impl TableSchema {
    pub fn column_names(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }
}

/// An index other than the primary key's (unique constraints included).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Index {
    pub table: String,
    pub columns: Vec<String>,
    pub unique: bool,
}

/// Every table (but the migration log) and index, sorted by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    pub tables: Vec<TableSchema>,
    pub indexes: Vec<Index>,
}

impl Schema {
    /// Sorts, and makes a primary key's columns non-null (SQLite reports a
    /// `TEXT PRIMARY KEY` as nullable; neither backend lets one be null in
    /// cxloop's tables, and PostgreSQL says so).
    pub fn normalised(mut tables: Vec<TableSchema>, mut indexes: Vec<Index>) -> Schema {
        for t in &mut tables {
            for c in &mut t.columns {
                if t.primary_key.contains(&c.name) {
                    c.nullable = false;
                }
            }
        }
        tables.sort_by(|a, b| a.name.cmp(&b.name));
        indexes.sort();
        indexes.dedup();
        Schema { tables, indexes }
    }

    pub fn table(&self, name: &str) -> Option<&TableSchema> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// The differences to `other`, one line each (empty when equal). Column
    /// order is not compared: every query names its columns (SQLite's
    /// migration 0009 had to add `users.role` anew, so it sits last there).
    pub fn differences(&self, other: &Schema) -> Vec<String> {
        let mut out = Vec::new();
        for t in &self.tables {
            match other.table(&t.name) {
                None => out.push(format!("table {} only on the first", t.name)),
                Some(o) if o.primary_key != t.primary_key || !same_columns(t, o) => {
                    if o.primary_key != t.primary_key {
                        out.push(format!("{}: primary key {:?} vs {:?}", t.name, t.primary_key, o.primary_key));
                    }
                    let mut a = t.columns.clone();
                    let mut b = o.columns.clone();
                    a.sort();
                    b.sort();
                    for c in a.iter().filter(|c| !b.contains(c)) {
                        out.push(format!(
                            "{}.{}: {:?} on the first, {:?} on the second",
                            t.name,
                            c.name,
                            c,
                            b.iter().find(|x| x.name == c.name)
                        ));
                    }
                    for c in b.iter().filter(|c| !a.iter().any(|x| x.name == c.name)) {
                        out.push(format!("{}.{} only on the second", t.name, c.name));
                    }
                }
                Some(_) => {}
            }
        }
        for t in other.tables.iter().filter(|t| self.table(&t.name).is_none()) {
            out.push(format!("table {} only on the second", t.name));
        }
        for i in self.indexes.iter().filter(|i| !other.indexes.contains(i)) {
            out.push(format!("index {i:?} only on the first"));
        }
        for i in other.indexes.iter().filter(|i| !self.indexes.contains(i)) {
            out.push(format!("index {i:?} only on the second"));
        }
        out
    }
}

fn same_columns(a: &TableSchema, b: &TableSchema) -> bool {
    let mut x = a.columns.clone();
    let mut y = b.columns.clone();
    x.sort();
    y.sort();
    x == y
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_type_names_read_alike_and_integer_alone_is_refused_on_postgres_terms() {
        assert_eq!(ColumnType::parse("BIGINT"), Ok(ColumnType::Int));
        assert_eq!(ColumnType::parse("INTEGER"), Ok(ColumnType::Int));
        assert_eq!(ColumnType::parse("double precision"), Ok(ColumnType::Real));
        assert_eq!(ColumnType::parse("REAL"), Ok(ColumnType::Real));
        assert_eq!(ColumnType::parse("text"), Ok(ColumnType::Text));
        assert!(ColumnType::parse("jsonb").is_err());
        assert!(ColumnType::parse("boolean").is_err());
    }

    #[test]
    fn differences_name_what_differs() {
        let col = |name: &str, ty, nullable| Column { name: name.into(), ty, nullable };
        let t = |cols: Vec<Column>| TableSchema { name: "t".into(), columns: cols, primary_key: vec!["id".into()] };
        let a = Schema::normalised(
            vec![t(vec![col("id", ColumnType::Text, true), col("n", ColumnType::Int, false)])],
            vec![],
        );
        let same = Schema::normalised(
            vec![t(vec![col("id", ColumnType::Text, false), col("n", ColumnType::Int, false)])],
            vec![],
        );
        assert!(a.differences(&same).is_empty(), "a primary key is not null on either side");
        let b = Schema::normalised(
            vec![t(vec![col("id", ColumnType::Text, false), col("n", ColumnType::Text, false)])],
            vec![],
        );
        assert_eq!(a.differences(&b).len(), 1);
        let c = Schema::normalised(
            vec![t(vec![col("id", ColumnType::Text, false), col("n", ColumnType::Int, false)])],
            vec![Index { table: "t".into(), columns: vec!["n".into()], unique: false }],
        );
        assert_eq!(
            a.differences(&c),
            vec!["index Index { table: \"t\", columns: [\"n\"], unique: false } only on the second"]
        );
    }
}
