//! `RunSortExec`: stands in for a `SortExec` on (text column, 64-bit column), both ascending,
//! and orders the rows with [`super::order`] instead of sorting and merging every batch.

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::compute::{
    concat_batches, interleave_record_batch, lexsort_to_indices, take_record_batch,
};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryLimit};
use datafusion::physical_expr::{LexOrdering, PhysicalExpr};
use datafusion::physical_plan::metrics::{BaselineMetrics, ExecutionPlanMetricsSet, MetricsSet};
use datafusion::physical_plan::sorts::sort::SortExec;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, InputDistributionRequirements, PlanProperties,
    SendableRecordBatchStream,
};
use futures::{StreamExt, TryStreamExt};

use super::order::{self, KeyColumns};

/// A full sort by two columns of the input: `text` (a string) then `number` (a 64-bit integer,
/// timestamp or date), both ascending. It keeps the `SortExec` it replaces and answers every
/// planning question with it, so the plan around it is unchanged; only execution differs.
#[derive(Debug)]
pub struct RunSortExec {
    sort: SortExec,
    text: usize,
    number: usize,
    /// Emit all rows as one batch instead of batches of the session's size.
    one_batch: bool,
    metrics: ExecutionPlanMetricsSet,
}

impl RunSortExec {
    /// `text` and `number` are the input column indices of the two sort keys, in that order.
    pub fn new(sort: SortExec, text: usize, number: usize) -> Self {
        RunSortExec {
            sort,
            text,
            number,
            one_batch: false,
            metrics: ExecutionPlanMetricsSet::new(),
        }
    }

    /// The same sort, emitting all its rows as one batch: for a parent that gathers every
    /// batch into one before it starts (`WindowAggExec` does), which then needs no copy.
    pub fn emitting_one_batch(&self) -> Self {
        RunSortExec {
            one_batch: true,
            ..RunSortExec::new(self.sort.clone(), self.text, self.number)
        }
    }
}

impl DisplayAs for RunSortExec {
    fn fmt_as(&self, _format: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "RunSortExec: expr=[{}], preserve_partitioning=[{}], one_batch={}",
            self.sort.expr(),
            self.sort.preserve_partitioning(),
            self.one_batch
        )
    }
}

impl ExecutionPlan for RunSortExec {
    fn name(&self) -> &'static str {
        "RunSortExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.sort.properties()
    }

    fn input_distribution_requirements(&self) -> InputDistributionRequirements {
        self.sort.input_distribution_requirements()
    }

    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        self.sort.benefits_from_input_partitioning()
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![self.sort.input()]
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        self.sort.apply_expressions(f)
    }

    #[allow(deprecated)]
    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let sort = Arc::new(self.sort.clone()).with_new_children(children)?;
        let sort = sort
            .downcast_ref::<SortExec>()
            .ok_or_else(|| DataFusionError::Internal("a sort rebuilt as another plan".into()))?
            .clone();
        Ok(Arc::new(RunSortExec {
            one_batch: self.one_batch,
            ..RunSortExec::new(sort, self.text, self.number)
        }))
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        // This sort holds all of its input in memory. Under a memory limit, DataFusion's own
        // sort runs instead, because it can spill to disk.
        if !matches!(context.memory_pool().memory_limit(), MemoryLimit::Infinite) {
            return self.sort.execute(partition, context);
        }
        let mut input = self.sort.input().execute(partition, Arc::clone(&context))?;
        let schema = self.schema();
        let job = SortJob {
            expr: self.sort.expr().clone(),
            text: self.text,
            number: self.number,
            batch_size: if self.one_batch {
                usize::MAX
            } else {
                context.session_config().batch_size()
            },
            metrics: BaselineMetrics::new(&self.metrics, partition),
        };
        let reservation = MemoryConsumer::new(format!("RunSortExec[{partition}]"))
            .register(context.memory_pool());
        let sorted = futures::stream::once(async move {
            let mut batches = Vec::new();
            while let Some(batch) = input.next().await {
                let batch = batch?;
                reservation.try_grow(batch.get_array_memory_size())?;
                batches.push(batch);
            }
            let output = job.run(&batches)?;
            drop(batches);
            // The output shares the input's buffers, so the memory stays reserved until the
            // last output batch has been taken.
            Ok::<_, DataFusionError>(futures::stream::iter(output.into_iter().map(
                move |batch| {
                    let _ = &reservation;
                    Ok(batch)
                },
            )))
        })
        .try_flatten();
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, sorted)))
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
    }
}

/// What one partition's sort needs once its input is buffered.
struct SortJob {
    expr: LexOrdering,
    text: usize,
    number: usize,
    batch_size: usize,
    metrics: BaselineMetrics,
}

impl SortJob {
    fn run(&self, batches: &[RecordBatch]) -> Result<Vec<RecordBatch>> {
        let _timer = self.metrics.elapsed_compute().timer();
        if batches.iter().all(|batch| batch.num_rows() == 0) {
            return Ok(Vec::new());
        }
        let keys: Vec<KeyColumns<'_>> = batches
            .iter()
            .map(|batch| KeyColumns {
                text: batch.column(self.text),
                number: batch.column(self.number),
            })
            .collect();
        let output = match order::ascending_order(&keys) {
            Ok(sorted) => {
                let refs: Vec<&RecordBatch> = batches.iter().collect();
                let size = self.batch_size.max(1);
                let mut output = Vec::with_capacity(sorted.len().div_ceil(size));
                let mut chunk = Vec::with_capacity(size.min(sorted.len()));
                for row in sorted.iter() {
                    chunk.push(row);
                    if chunk.len() == size {
                        output.push(interleave_record_batch(&refs, &chunk)?);
                        chunk.clear();
                    }
                }
                if !chunk.is_empty() {
                    output.push(interleave_record_batch(&refs, &chunk)?);
                }
                output
            }
            Err(_) => self.general_sort(batches)?,
        };
        for batch in &output {
            self.metrics.record_output(batch.num_rows());
        }
        Ok(output)
    }

    /// Arrow's lexicographic sort over all rows at once, honouring every sort option; for input
    /// the fast path does not take (nulls, other types).
    fn general_sort(&self, batches: &[RecordBatch]) -> Result<Vec<RecordBatch>> {
        let Some(first) = batches.first() else {
            return Ok(Vec::new());
        };
        let all = concat_batches(&first.schema(), batches)?;
        let columns = self
            .expr
            .iter()
            .map(|sort| sort.evaluate_to_sort_column(&all))
            .collect::<Result<Vec<_>>>()?;
        let indices = lexsort_to_indices(&columns, None)?;
        let sorted = take_record_batch(&all, &indices)?;
        let size = self.batch_size.max(1);
        Ok((0..sorted.num_rows())
            .step_by(size)
            .map(|start| sorted.slice(start, size.min(sorted.num_rows() - start)))
            .collect())
    }
}
