//! A physical optimizer rule: window functions that look only at their own partition's rows by
//! position (LAG, LEAD, ROW_NUMBER, RANK, FIRST_VALUE without a frame, ...) are computed over the
//! whole sorted partition at once, instead of row by row.
//!
//! Why: DataFusion plans such a window as `BoundedWindowAggExec`, which keeps memory bounded for
//! streams that never end. It evaluates each row on its own and builds a `ScalarValue` for it;
//! over the 9.3 M keypad rows of the demo lake that cost 0.46 s of compute in the arm-transitions
//! query (benchmark P2). A lake query has a finite input that the sort below the window has
//! already buffered in full, so streaming saves no memory that matters. `WindowAggExec` computes
//! the same answer with one vectorised call per partition (`evaluate_all`, a shifted copy for
//! LAG): 0.06 s for the same rows when the sort below hands it one batch.
//!
//! Frames (`ROWS BETWEEN ...`, running sums) keep DataFusion's plan: both operators evaluate them
//! row by row, so the swap would add memory and save nothing.

use std::sync::Arc;

use datafusion::common::config::ConfigOptions;
use datafusion::error::Result;
use datafusion::physical_expr::window::{StandardWindowExpr, WindowExpr};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::execution_plan::Boundedness;
use datafusion::physical_plan::windows::{BoundedWindowAggExec, WindowAggExec};
use datafusion::physical_plan::{ExecutionPlan, ExecutionPlanProperties, InputOrderMode};

use crate::replace_nodes::replace_nodes;
use crate::run_sort::RunSortExec;

/// See the module documentation.
#[derive(Debug, Default)]
pub struct WholePartitionWindows;

impl PhysicalOptimizerRule for WholePartitionWindows {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        replace_nodes::<BoundedWindowAggExec>(plan, |window| {
            if !replaceable(window)? {
                return Ok(None);
            }
            // The bounded operator reports partition keys only when it may be repartitioned
            // by them; the whole-partition one then asks for the same distribution.
            let can_repartition = !window.partition_keys().is_empty();
            // A run sort below hands over its rows as one batch, which the window would
            // otherwise copy into one.
            let input = match window.input().downcast_ref::<RunSortExec>() {
                Some(sort) => Arc::new(sort.emitting_one_batch()) as Arc<dyn ExecutionPlan>,
                None => Arc::clone(window.input()),
            };
            let whole =
                WindowAggExec::try_new(window.window_expr().to_vec(), input, can_repartition)?;
            Ok(Some(Arc::new(whole) as Arc<dyn ExecutionPlan>))
        })
    }

    fn name(&self) -> &str {
        "whole_partition_windows"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// True when `window` reads a finite, fully sorted input and every function in it is evaluated
/// without a frame.
fn replaceable(window: &BoundedWindowAggExec) -> Result<bool> {
    if window.input_order_mode != InputOrderMode::Sorted
        || window.input().boundedness() != Boundedness::Bounded
    {
        return Ok(false);
    }
    for expr in window.window_expr() {
        if !frameless(expr)? {
            return Ok(false);
        }
    }
    Ok(true)
}

fn frameless(expr: &Arc<dyn WindowExpr>) -> Result<bool> {
    let Some(standard) = expr.as_any().downcast_ref::<StandardWindowExpr>() else {
        return Ok(false);
    };
    let evaluator = standard.get_standard_func_expr().create_evaluator()?;
    Ok(!evaluator.uses_window_frame())
}
