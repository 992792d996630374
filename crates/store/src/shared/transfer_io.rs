// Raw row access for `transfer` (migrate-data), shared by both backends.

use super::{Backend, Db};
use crate::Result;

impl Backend {
    /// A page of raw rows for `transfer`, in key order.
    pub(crate) async fn read_page(
        &self,
        t: &crate::transfer::Table,
        after: Option<&[crate::transfer::Cell]>,
        limit: u32,
    ) -> Result<Vec<Vec<crate::transfer::Cell>>> {
        use crate::schema::ColumnType;
        use crate::transfer::Cell;
        use sqlx::Row;
        let key = t.key();
        let mut qb = sqlx::QueryBuilder::<Db>::new(format!("SELECT {} FROM {}", t.column_list(), t.name));
        if let Some(after) = after {
            qb.push(format!(" WHERE ({key}) > ("));
            let mut sep = qb.separated(", ");
            for cell in after {
                match cell {
                    Cell::Int(i) => sep.push_bind(*i),
                    Cell::Real(bits) => sep.push_bind(f64::from_bits(*bits)),
                    Cell::Text(s) => sep.push_bind(s.clone()),
                    Cell::Null => sep.push_bind(None::<String>),
                };
            }
            qb.push(")");
        }
        qb.push(format!(" ORDER BY {key} LIMIT ")).push_bind(i64::from(limit));
        let rows = qb.build().fetch_all(&self.read).await?;
        rows.iter()
            .map(|row| {
                t.columns
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        Ok(match c.ty {
                            ColumnType::Int => row.try_get::<Option<i64>, _>(i)?.map_or(Cell::Null, Cell::Int),
                            ColumnType::Real => {
                                row.try_get::<Option<f64>, _>(i)?.map_or(Cell::Null, |f| Cell::Real(f.to_bits()))
                            }
                            ColumnType::Text => row.try_get::<Option<String>, _>(i)?.map_or(Cell::Null, Cell::Text),
                        })
                    })
                    .collect()
            })
            .collect()
    }

    /// Inserts raw rows for `transfer` in one transaction.
    pub(crate) async fn write_rows(
        &self,
        t: &crate::transfer::Table,
        rows: &[Vec<crate::transfer::Cell>],
    ) -> Result<()> {
        use crate::transfer::Cell;
        let mut tx = self.write.begin().await?;
        let per = (30_000 / t.columns.len()).max(1);
        for chunk in rows.chunks(per) {
            let mut qb = sqlx::QueryBuilder::<Db>::new(format!("INSERT INTO {} ({}) ", t.name, t.column_list()));
            qb.push_values(chunk, |mut b, row| {
                for (cell, column) in row.iter().zip(&t.columns) {
                    match cell {
                        Cell::Int(i) => b.push_bind(*i),
                        Cell::Real(bits) => b.push_bind(f64::from_bits(*bits)),
                        Cell::Text(s) => b.push_bind(s.clone()),
                        // A NULL is bound with its column's type: PostgreSQL
                        // refuses a text NULL for a BIGINT column.
                        Cell::Null => match column.ty {
                            crate::schema::ColumnType::Int => b.push_bind(None::<i64>),
                            crate::schema::ColumnType::Real => b.push_bind(None::<f64>),
                            crate::schema::ColumnType::Text => b.push_bind(None::<String>),
                        },
                    };
                }
            });
            qb.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
