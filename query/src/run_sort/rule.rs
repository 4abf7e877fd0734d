//! The physical optimizer rule that puts a [`RunSortExec`] where DataFusion planned a full sort
//! on (text column, 64-bit column), both ascending, such as the (site, event_time) sort under a
//! `PARTITION BY site ORDER BY event_time` window.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::common::config::ConfigOptions;
use datafusion::error::Result;
use datafusion::physical_expr::PhysicalSortExpr;
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::execution_plan::Boundedness;
use datafusion::physical_plan::sorts::sort::SortExec;
use datafusion::physical_plan::{ExecutionPlan, ExecutionPlanProperties};

use super::exec::RunSortExec;
use crate::replace_nodes::replace_nodes;

/// See the module documentation.
#[derive(Debug, Default)]
pub struct UseRunSort;

impl PhysicalOptimizerRule for UseRunSort {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        replace_nodes::<SortExec>(plan, |sort| {
            Ok(run_sort_keys(sort).map(|(text, number)| {
                Arc::new(RunSortExec::new(sort.clone(), text, number)) as Arc<dyn ExecutionPlan>
            }))
        })
    }

    fn name(&self) -> &str {
        "use_run_sort"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// The input columns of `sort`'s two keys when [`RunSortExec`] can stand in for it: a full sort
/// (no limit) of a finite input by a text column then a 64-bit column, both ascending.
fn run_sort_keys(sort: &SortExec) -> Option<(usize, usize)> {
    let input = sort.input();
    if sort.fetch().is_some() || input.boundedness() != Boundedness::Bounded {
        return None;
    }
    let [text, number] = sort.expr().as_ref() else {
        return None;
    };
    let schema = input.schema();
    let text = ascending_column(text, &schema, is_text)?;
    let number = ascending_column(number, &schema, is_64_bit)?;
    Some((text, number))
}

fn ascending_column(
    key: &PhysicalSortExpr,
    schema: &Schema,
    accepts: fn(&DataType) -> bool,
) -> Option<usize> {
    let column = key.expr.downcast_ref::<Column>()?;
    let field = schema.fields().get(column.index())?;
    (!key.options.descending && accepts(field.data_type())).then_some(column.index())
}

fn is_text(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8
    )
}

fn is_64_bit(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Int64 | DataType::Timestamp(_, _) | DataType::Date64
    )
}
