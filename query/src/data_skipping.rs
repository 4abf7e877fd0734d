//! Delta data skipping: a scan of a lake table reads only the committed files whose statistics
//! in the log ([`LogStatistics`]) admit the query's filters.
//!
//! *Why here and not in DataFusion's listing table:* the listing table prunes by partition
//! folders only; the rest it learns from each file's footer, which it must fetch first (a GET
//! per file on S3). The log already holds every file's bounds, so a filter on `event_time`
//! (without `date`/`hour`), on a device or on a site skips whole files at planning time, before
//! any footer is read: the same skipping Spark, Trino and DuckDB's `delta_scan` do on this lake.
//!
//! Two things are handed over to DataFusion's scan:
//! - the files the filters can match, in their groups as the listing table made them (empty
//!   groups included, so the scan's partitioning stays as planned; DataFusion's work stealing
//!   evens out what pruning left uneven);
//! - each kept file's bounds for the filters' columns and the files' sort keys, so that the
//!   Parquet opener can still skip a file against the filters that only exist while the query
//!   runs (the threshold of `ORDER BY event_time DESC LIMIT n`, a join's keys).

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::{DFSchema, Result};
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfig};
use datafusion::datasource::source::DataSourceExec;
use datafusion::logical_expr::dml::InsertOp;
use datafusion::logical_expr::utils::conjunction;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_optimizer::pruning::{PruningPredicate, PruningPredicateBuilder};
use datafusion::physical_plan::ExecutionPlan;

use crate::forward_table::forward_to_inner;
use crate::log_statistics::LogStatistics;

/// A Delta lake table whose scans skip the files the log's statistics rule out.
#[derive(Debug)]
pub struct DataSkipping {
    inner: Arc<dyn TableProvider>,
    log: Arc<LogStatistics>,
    /// Columns whose bounds every kept file carries besides the filters' own: the files' sort
    /// keys, which `ORDER BY … LIMIT` queries filter on while they run.
    sort_keys: Vec<String>,
}

impl DataSkipping {
    pub fn new(
        inner: Arc<dyn TableProvider>,
        log: Arc<LogStatistics>,
        sort_keys: Vec<String>,
    ) -> DataSkipping {
        DataSkipping {
            inner,
            log,
            sort_keys,
        }
    }

    /// `plan` (the inner table's scan) with the files `filters` cannot match removed, and
    /// every kept file's bounds attached; any other plan unchanged.
    fn skip_files(
        &self,
        state: &dyn Session,
        plan: Arc<dyn ExecutionPlan>,
        filters: &[Expr],
    ) -> Arc<dyn ExecutionPlan> {
        let Some(config) = plan
            .downcast_ref::<DataSourceExec>()
            .and_then(|exec| exec.data_source().downcast_ref::<FileScanConfig>())
        else {
            return plan;
        };
        let mut config = config.clone();
        let file_schema = config.file_schema().clone();
        let partition_columns = config.table_partition_cols().len();
        // The files' columns, then the partition columns, which every file carries as values.
        let table_schema = config.file_source.table_schema().table_schema().clone();
        let keep: Vec<bool> = {
            let files: Vec<&PartitionedFile> = config
                .file_groups
                .iter()
                .flat_map(|group| group.iter())
                .collect();
            let count = files.len();
            predicate(state, filters, &table_schema)
                .and_then(|predicate| {
                    let statistics = self.log.for_files(files, &table_schema, partition_columns);
                    predicate.prune(&statistics).ok()
                })
                .filter(|keep| keep.len() == count)
                .unwrap_or_else(|| vec![true; count])
        };
        let columns = self.bounded_columns(filters, &file_schema);
        let mut keep = keep.into_iter();
        config.file_groups = config
            .file_groups
            .iter()
            .map(|group| {
                let files = group
                    .iter()
                    .filter(|_| keep.next().unwrap_or(true))
                    .map(
                        |file| match self.log.file_statistics(file, &file_schema, &columns) {
                            Some(statistics) => file.clone().with_statistics(Arc::new(statistics)),
                            None => file.clone(),
                        },
                    )
                    .collect();
                FileGroup::new(files)
            })
            .collect();
        DataSourceExec::from_data_source(config)
    }

    /// The positions in `file_schema` of the filters' columns and the sort keys.
    fn bounded_columns(&self, filters: &[Expr], file_schema: &Schema) -> Vec<usize> {
        let mut names: BTreeSet<&str> = self.sort_keys.iter().map(String::as_str).collect();
        for filter in filters {
            names.extend(filter.column_refs().into_iter().map(|c| c.name.as_str()));
        }
        names
            .into_iter()
            .filter_map(|name| file_schema.index_of(name).ok())
            .collect()
    }
}

/// The filters as one pruning predicate over `schema`; none when there is nothing to prune
/// with, or when a filter cannot be planned here (skipping is an optimization: the scan still
/// applies every filter).
fn predicate(
    state: &dyn Session,
    filters: &[Expr],
    schema: &SchemaRef,
) -> Option<Arc<PruningPredicate>> {
    let expr = conjunction(filters.iter().cloned())?;
    let df_schema = DFSchema::try_from(schema.as_ref().clone()).ok()?;
    let physical = state.create_physical_expr(expr, &df_schema).ok()?;
    PruningPredicateBuilder::new()
        .with_file_schema(schema.clone())
        .with_max_in_list_size(state.config_options().execution.parquet.max_in_list_size)
        .build(physical)
}

#[async_trait]
impl TableProvider for DataSkipping {
    forward_to_inner!();

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let plan = self.inner.scan(state, projection, filters, limit).await?;
        Ok(self.skip_files(state, plan, filters))
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        self.inner.supports_filters_pushdown(filters)
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
