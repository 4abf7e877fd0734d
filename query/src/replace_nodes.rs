//! What the plan rewrites in this crate share: walk a physical plan bottom-up and replace every
//! node of one operator type that a rule accepts, leaving the rest as it is.

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode};
use datafusion::physical_plan::ExecutionPlan;

/// `plan` with each node of type `T` replaced by what `replace` returns for it; a node for which
/// it returns `None` stays.
pub(crate) fn replace_nodes<T: ExecutionPlan + 'static>(
    plan: Arc<dyn ExecutionPlan>,
    replace: impl Fn(&T) -> Result<Option<Arc<dyn ExecutionPlan>>>,
) -> Result<Arc<dyn ExecutionPlan>> {
    plan.transform_up(|node| {
        let replacement = match node.downcast_ref::<T>() {
            Some(found) => replace(found)?,
            None => None,
        };
        Ok(match replacement {
            Some(new) => Transformed::yes(new),
            None => Transformed::no(node),
        })
    })
    .data()
}
