//! The lake session's own sort (`RunSortExec`) and whole-partition windows give the answers
//! stock DataFusion gives, on a real lake written by the writer, and the plan really uses them.

mod common;

use std::sync::Arc;

use alarmlake_query::{LakeSession, SessionOptions};
use alarmlake_transform::Lake;
use chrono::{DateTime, Utc};
use datafusion::arrow::array::{Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::datasource::MemTable;
use datafusion::physical_plan::{ExecutionPlan, displayable};
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};

/// Two days of three homes, written as two flushes that each hold every other line, so most
/// hour folders have two files whose times overlap.
async fn write_lake(dir: &std::path::Path) {
    let start = DateTime::parse_from_rfc3339("2024-03-04T00:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let text = common::generated_lines(3, 2, 21, start);
    let lake = Lake::open(dir.to_str().unwrap(), None).unwrap();
    for parity in 0..2 {
        let lines = text.lines().enumerate().filter(|(n, _)| n % 2 == parity);
        common::write_flush(&lake, lines, start).await;
    }
}

/// The names of every operator in the plan, top down.
fn operators(plan: &Arc<dyn ExecutionPlan>) -> Vec<String> {
    displayable(plan.as_ref())
        .indent(false)
        .to_string()
        .lines()
        .map(|line| line.trim().split(':').next().unwrap_or("").to_string())
        .collect()
}

async fn answer(ctx: &SessionContext, sql: &str) -> String {
    let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
    pretty_format_batches(&batches).unwrap().to_string()
}

const ARM_TRANSITIONS: &str = "
    SELECT site, event_time, previous_state, arm_state, n
    FROM (
        SELECT site, event_time, arm_state,
               LAG(arm_state) OVER (PARTITION BY site ORDER BY event_time) AS previous_state,
               ROW_NUMBER() OVER (PARTITION BY site ORDER BY event_time) AS n
        FROM alarm_events
        WHERE message_type = 'keypad'
    ) AS keypad
    WHERE previous_state IS DISTINCT FROM arm_state
    ORDER BY site, event_time, n";

/// LEAD looks ahead, and the second window sorts by three keys (DataFusion's own sort) before a
/// whole-partition RANK.
const TWO_WINDOWS: &str = "
    SELECT site, event_time, arm_state,
           LEAD(event_time) OVER (PARTITION BY site ORDER BY event_time) AS next_time,
           RANK() OVER (PARTITION BY arm_state ORDER BY site, event_time) AS rank_in_state
    FROM alarm_events
    WHERE message_type = 'keypad'
    ORDER BY site, event_time";

#[tokio::test]
async fn lag_over_site_and_time_matches_stock_datafusion_and_skips_the_generic_sort() {
    let dir = tempfile::tempdir().unwrap();
    write_lake(dir.path()).await;
    let session = LakeSession::open(dir.path().to_str().unwrap(), SessionOptions::default())
        .await
        .unwrap();

    let planned = common::plan(&session, ARM_TRANSITIONS).await;
    let names = operators(&planned);
    assert!(names.iter().any(|n| n == "RunSortExec"), "{names:?}");
    assert!(names.iter().any(|n| n == "WindowAggExec"), "{names:?}");
    assert!(
        !names.iter().any(|n| n == "BoundedWindowAggExec"),
        "{names:?}"
    );

    // Stock DataFusion over the same files, with its own sort and bounded window.
    let stock = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(2));
    let events = dir.path().join("alarm_events");
    stock
        .register_parquet(
            "alarm_events",
            events.to_str().unwrap(),
            ParquetReadOptions::default(),
        )
        .await
        .unwrap();
    for sql in [ARM_TRANSITIONS, TWO_WINDOWS] {
        let expected = answer(&stock, sql).await;
        let got = answer(session.context(), sql).await;
        assert!(expected.lines().count() > 20, "{expected}");
        assert_eq!(got, expected, "{sql}");
    }
}

#[tokio::test]
async fn null_keys_and_descending_sorts_still_sort_correctly() {
    let dir = tempfile::tempdir().unwrap();
    let session = LakeSession::open(dir.path().to_str().unwrap(), SessionOptions::default())
        .await
        .unwrap();
    let schema = Arc::new(Schema::new(vec![
        Field::new("site", DataType::Utf8, true),
        Field::new("t", DataType::Int64, false),
    ]));
    let batch = |sites: Vec<Option<&str>>, times: Vec<i64>| {
        RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(sites)),
                Arc::new(Int64Array::from(times)),
            ],
        )
        .unwrap()
    };
    let table = MemTable::try_new(
        schema.clone(),
        vec![
            vec![batch(vec![Some("b"), None, Some("a")], vec![3, 1, 2])],
            vec![batch(vec![Some("a"), Some("b"), None], vec![1, 1, 0])],
        ],
    )
    .unwrap();
    session
        .context()
        .register_table("readings", Arc::new(table))
        .unwrap();

    // A null text key sends the rows through arrow's general sort, which places nulls last.
    let ascending = "SELECT site, t FROM readings ORDER BY site, t";
    let planned = common::plan(&session, ascending).await;
    assert!(operators(&planned).iter().any(|n| n == "RunSortExec"));
    let rows = |batches: Vec<RecordBatch>| -> Vec<String> {
        pretty_format_batches(&batches)
            .unwrap()
            .to_string()
            .lines()
            .filter(|l| l.starts_with("| ") && !l.contains("site"))
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    };
    let got = rows(session.query(ascending).await.unwrap());
    assert_eq!(
        got,
        vec![
            "| a | 1 |",
            "| a | 2 |",
            "| b | 1 |",
            "| b | 3 |",
            "| | 0 |",
            "| | 1 |"
        ]
    );

    // Under a memory limit DataFusion's own sort runs (it can spill), with the same answer.
    session
        .query("SET datafusion.runtime.memory_limit = '64M'")
        .await
        .unwrap();
    assert_eq!(rows(session.query(ascending).await.unwrap()), got);

    // Descending keys keep DataFusion's sort.
    let descending = "SELECT site, t FROM readings ORDER BY site DESC, t";
    let planned = common::plan(&session, descending).await;
    assert!(!operators(&planned).iter().any(|n| n == "RunSortExec"));
    let got = rows(session.query(descending).await.unwrap());
    assert_eq!(
        got,
        vec![
            "| | 0 |",
            "| | 1 |",
            "| b | 1 |",
            "| b | 3 |",
            "| a | 1 |",
            "| a | 2 |"
        ]
    );
}
