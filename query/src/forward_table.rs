//! The part of a `TableProvider` that a wrapping table ([`crate::hour_folders`],
//! [`crate::data_skipping`]) passes to the table it wraps unchanged, written once.
//!
//! A macro, not a trait default: `TableProvider`'s methods cannot be given defaults from
//! outside DataFusion. Only the synchronous methods are here; `scan`, filter pushdown and
//! `insert_into` stay in each impl, where `async_trait` sees them.

/// Expands, inside `impl TableProvider for T`, the methods that forward to `self.inner`.
macro_rules! forward_to_inner {
    () => {
        fn schema(&self) -> datafusion::arrow::datatypes::SchemaRef {
            self.inner.schema()
        }

        fn constraints(&self) -> Option<&datafusion::common::Constraints> {
            self.inner.constraints()
        }

        fn table_type(&self) -> datafusion::datasource::TableType {
            self.inner.table_type()
        }

        fn get_table_definition(&self) -> Option<&str> {
            self.inner.get_table_definition()
        }

        fn get_logical_plan(
            &'_ self,
        ) -> Option<std::borrow::Cow<'_, datafusion::logical_expr::LogicalPlan>> {
            self.inner.get_logical_plan()
        }

        fn get_column_default(&self, column: &str) -> Option<&datafusion::logical_expr::Expr> {
            self.inner.get_column_default(column)
        }

        fn statistics(&self) -> Option<datafusion::common::Statistics> {
            self.inner.statistics()
        }
    };
}

pub(crate) use forward_to_inner;
