//! The lake's hour folders are spelled with two digits (`hour=02`), as docs/ARCHITECTURE.md
//! ("The lake tables"), Athena's partition projection (`digits = 2`) and Firehose do. DataFusion's listing table turns an
//! equality on every partition column (`date = DATE '…' AND hour = 2`) into a listing prefix
//! by printing the literal, `date=…/hour=2`, which names no folder: the query silently returns
//! nothing, while `hour = 2` alone, or `hour = 12`, works. Presto had the same bug
//! (prestodb/presto#2233).
//!
//! [`HourFolders`] wraps each lake table and rewrites such an equality into the same test as
//! a range (`hour BETWEEN 2 AND 2`), which DataFusion evaluates on the parsed folder values
//! instead of listing a prefix. Only the listing prefix changes: the day is still listed on its
//! own, and the rows are the same.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::dml::InsertOp;
use datafusion::logical_expr::{BinaryExpr, Expr, Operator, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;

use crate::forward_table::forward_to_inner;

/// The partition column whose folders carry a leading zero; the session declares it by this name.
pub const HOUR: &str = "hour";

/// A lake table whose `hour` equalities never become a listing prefix that misses `hour=0N`.
#[derive(Debug)]
pub struct HourFolders {
    inner: Arc<dyn TableProvider>,
}

impl HourFolders {
    pub fn new(inner: Arc<dyn TableProvider>) -> HourFolders {
        HourFolders { inner }
    }
}

/// `filters` with every `hour = N` whose printed `N` is not the two-digit folder spelling
/// turned into `hour BETWEEN N AND N`.
pub fn spell_hours(filters: &[Expr]) -> Result<Vec<Expr>> {
    filters
        .iter()
        .map(|filter| {
            filter
                .clone()
                .transform_up(|expr| Ok(rewrite(expr)))
                .map(|done| done.data)
        })
        .collect()
}

fn rewrite(expr: Expr) -> Transformed<Expr> {
    let Expr::BinaryExpr(BinaryExpr {
        left,
        op: Operator::Eq,
        right,
    }) = &expr
    else {
        return Transformed::no(expr);
    };
    let (column, value) = match (left.as_ref(), right.as_ref()) {
        (Expr::Column(c), Expr::Literal(v, _)) | (Expr::Literal(v, _), Expr::Column(c))
            if c.name == HOUR =>
        {
            (c.clone(), v.clone())
        }
        _ => return Transformed::no(expr),
    };
    if is_folder_spelling(&value) {
        return Transformed::no(expr);
    }
    let literal = Expr::Literal(value, None);
    Transformed::yes(Expr::Column(column).between(literal.clone(), literal))
}

/// Whether DataFusion would print `value` as the folder names it (two digits, 10 to 23).
fn is_folder_spelling(value: &ScalarValue) -> bool {
    let text = value.to_string();
    text.len() == 2 && text.bytes().all(|b| b.is_ascii_digit())
}

#[async_trait]
impl TableProvider for HourFolders {
    forward_to_inner!();

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let filters = spell_hours(filters)?;
        self.inner.scan(state, projection, &filters, limit).await
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        // Asked of the rewritten filters, so that the answer holds for what `scan` passes on.
        let spelled = spell_hours(&filters.iter().map(|f| (*f).clone()).collect::<Vec<_>>())?;
        self.inner
            .supports_filters_pushdown(&spelled.iter().collect::<Vec<_>>())
    }

    async fn insert_into(
        &self,
        state: &dyn Session,
        input: Arc<dyn ExecutionPlan>,
        insert_op: InsertOp,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.inner.insert_into(state, input, insert_op).await
    }
}

#[cfg(test)]
mod tests {
    use datafusion::prelude::{col, lit};

    use super::*;

    #[test]
    fn single_digit_hours_become_ranges_and_the_rest_stays() {
        let filters = vec![
            col("date")
                .eq(lit(ScalarValue::Date32(Some(20_000))))
                .and(col("hour").eq(lit(2i32))),
            lit(12i32).eq(col("hour")),
            col("zone").eq(lit(2i32)),
        ];
        let spelled = spell_hours(&filters).unwrap();
        assert_eq!(
            spelled[0],
            col("date")
                .eq(lit(ScalarValue::Date32(Some(20_000))))
                .and(col("hour").between(lit(2i32), lit(2i32)))
        );
        assert_eq!(spelled[1], filters[1]);
        assert_eq!(spelled[2], filters[2]);
    }
}
