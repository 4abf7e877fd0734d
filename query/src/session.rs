//! The DataFusion session over a lake: one listing table per lake table, partitioned by
//! `date` and `hour`, over the same `object_store` the writer uses, listing each table's Delta
//! snapshot rather than its folder ([`crate::committed_files`]).

use std::sync::Arc;

use alarmlake_schemas::Table;
use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::TableProvider;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::error::DataFusionError;
use datafusion::execution::cache::cache_manager::CacheManagerConfig;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::prelude::{DataFrame, SQLOptions, SessionContext, col};
use object_store::ObjectStore;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use url::Url;

use crate::committed_files::CommittedFiles;
use crate::data_skipping::DataSkipping;
use crate::hour_folders::{self, HourFolders};
use crate::log_statistics::LogStatistics;
use crate::run_sort::UseRunSort;
use crate::snapshots::{self, AsOf};
use crate::table_history;
use crate::tuning;
use crate::whole_partition_windows::WholePartitionWindows;

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("{0}")]
    DataFusion(#[from] DataFusionError),
    #[error("object store: {0}")]
    Store(#[from] object_store::Error),
    #[error(transparent)]
    Aws(#[from] alarmlake_aws::AwsError),
    #[error("lake location {0:?} is not a folder or s3://bucket/prefix")]
    Location(String),
    #[error("cannot use lake folder {path}: {source}")]
    Folder {
        path: String,
        source: std::io::Error,
    },
    #[error("this session is read-only: {0} (use --allow-writes to permit it)")]
    ReadOnly(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("invalid lake path: {0}")]
    Path(#[from] object_store::path::Error),
    #[error("table {table}: {detail}")]
    Table { table: &'static str, detail: String },
    #[error("SQL: {0}")]
    Script(String),
}

/// How the session is set up.
#[derive(Debug, Clone, Default)]
pub struct SessionOptions {
    /// How to reach S3: the endpoint override and the process's AWS chain (needed for an
    /// `s3://` lake; `alarmlake_aws::S3Settings::for_locations` loads it).
    pub s3: alarmlake_aws::S3Settings,
    /// Permit statements that create, insert, copy or delete.
    pub allow_writes: bool,
    /// The version of the tables to read.
    pub as_of: AsOf,
}

/// A DataFusion session with the lake's tables registered.
pub struct LakeSession {
    ctx: SessionContext,
    allow_writes: bool,
    /// Each Delta table's version as read; tables without a log are absent.
    versions: Vec<(Table, u64)>,
    /// Tables whose folder holds files but no Delta log (a lake of an earlier alarmlake): read
    /// by listing their folders until `alarmlake lake convert` registers them.
    unconverted: Vec<Table>,
    /// The lake root and the store it is in, for reading the tables' logs again (`\history`).
    root: Url,
    store: Arc<dyn ObjectStore>,
}

impl LakeSession {
    /// Opens a session over `location`: a folder or `s3://bucket/prefix`.
    pub async fn open(location: &str, options: SessionOptions) -> Result<LakeSession, QueryError> {
        let runtime = RuntimeEnvBuilder::new()
            .with_cache_manager(
                CacheManagerConfig::default()
                    .with_list_files_cache_limit(tuning::LIST_CACHE_BYTES)
                    .with_metadata_cache_limit(tuning::METADATA_CACHE_BYTES),
            )
            .build_arc()?;
        let config = tuning::session_config()?
            .with_information_schema(true)
            .with_default_catalog_and_schema("alarmlake", "lake");
        // A file can be queried by its path (`SELECT * FROM 'export.parquet'`), as in
        // datafusion-cli and DuckDB; it reads only through the stores registered here.
        let state = SessionStateBuilder::new()
            .with_config(config)
            .with_runtime_env(runtime)
            .with_default_features()
            .with_physical_optimizer_rule(Arc::new(UseRunSort))
            .with_physical_optimizer_rule(Arc::new(WholePartitionWindows))
            .build();
        let mut ctx = SessionContext::new_with_state(state).enable_url_table();
        datafusion_functions_json::register_all(&mut ctx)?;
        let (root, store) = lake_root(location, &options)?;
        let mut committed = CommittedFiles::new(store.clone());
        let mut versions = Vec::new();
        let mut unconverted = Vec::new();
        let mut statistics = Vec::new();
        for table in Table::ALL {
            let url = table_url(&root, table)?;
            match snapshots::snapshot(&store, &url, table, &options.as_of).await? {
                Some(snapshot) => {
                    committed.add_table(&Path::from_url_path(url.path())?, snapshot.files);
                    versions.push((table, snapshot.version));
                    statistics.push((table, Arc::new(snapshot.statistics)));
                }
                None => {
                    let folder = Path::from_url_path(url.path())?;
                    let listed = store.list_with_delimiter(Some(&folder)).await?;
                    if listed.common_prefixes.is_empty() && listed.objects.is_empty() {
                        continue;
                    }
                    if options.as_of != AsOf::Latest {
                        return Err(QueryError::Table {
                            table: table.name(),
                            detail: "is not a Delta table, so it has no older versions to read"
                                .into(),
                        });
                    }
                    unconverted.push(table);
                }
            }
        }
        let store_url = Url::parse(&root[..url::Position::BeforePath])
            .map_err(|_| QueryError::Location(location.to_string()))?;
        ctx.register_object_store(&store_url, Arc::new(committed));
        // The session's Parquet options (see `tuning`), not the format's own defaults; every
        // table reads with the same ones.
        let format = Arc::new(
            ParquetFormat::default().with_options(ctx.state().table_options().parquet.clone()),
        );
        for table in Table::ALL {
            let log = statistics
                .iter()
                .find(|(t, _)| *t == table)
                .map(|(_, log)| log.clone());
            register(&ctx, table, &root, &format, log).await?;
        }
        Ok(LakeSession {
            ctx,
            allow_writes: options.allow_writes,
            versions,
            unconverted,
            root,
            store,
        })
    }

    /// The latest `limit` commits of the table named `name`, newest first, as a result set.
    pub async fn history(&self, name: &str, limit: usize) -> Result<RecordBatch, QueryError> {
        let table = Table::from_name(name).ok_or_else(|| QueryError::Table {
            table: "?",
            detail: format!(
                "no table is called {name:?}; the tables are {}",
                Table::ALL.map(|t| t.name()).join(", ")
            ),
        })?;
        let url = table_url(&self.root, table)?;
        table_history::history(&self.store, &url, table, limit)
            .await?
            .ok_or_else(|| QueryError::Table {
                table: table.name(),
                detail: "is not a Delta table (yet), so it has no history".into(),
            })
    }

    /// The version of each Delta table this session reads.
    pub fn versions(&self) -> &[(Table, u64)] {
        &self.versions
    }

    /// Tables read by listing their folders because they have no Delta log yet.
    pub fn unconverted(&self) -> &[Table] {
        &self.unconverted
    }

    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// Plans one SQL statement. Unless writes are allowed, statements that create, insert,
    /// copy or delete are refused before anything runs.
    pub async fn sql(&self, sql: &str) -> Result<DataFrame, QueryError> {
        let options = SQLOptions::new()
            .with_allow_ddl(self.allow_writes)
            .with_allow_dml(self.allow_writes)
            .with_allow_statements(true);
        self.ctx
            .sql_with_options(sql, options)
            .await
            .map_err(|e| match e {
                DataFusionError::Plan(message)
                    if !self.allow_writes && is_write_refusal(&message) =>
                {
                    QueryError::ReadOnly(message)
                }
                other => QueryError::DataFusion(other),
            })
    }

    /// Runs one SQL statement and collects its result.
    pub async fn query(&self, sql: &str) -> Result<Vec<RecordBatch>, QueryError> {
        Ok(self.sql(sql).await?.collect().await?)
    }
}

/// DataFusion's words when SQLOptions refuses a statement.
fn is_write_refusal(message: &str) -> bool {
    message.contains("not supported") && (message.contains("DDL") || message.contains("DML"))
}

/// The URL of the lake root, and the store in which that URL's path is the object path (the
/// bucket, or the local file system from `/`).
fn lake_root(
    location: &str,
    options: &SessionOptions,
) -> Result<(Url, Arc<dyn ObjectStore>), QueryError> {
    if let Some(rest) = location.strip_prefix("s3://") {
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(QueryError::Location(location.to_string()));
        }
        let store = options.s3.store(bucket, location)?;
        let prefix = prefix.trim_matches('/');
        let root = if prefix.is_empty() {
            format!("s3://{bucket}/")
        } else {
            format!("s3://{bucket}/{prefix}/")
        };
        let root = Url::parse(&root).map_err(|_| QueryError::Location(location.to_string()))?;
        return Ok((root, Arc::new(store)));
    }
    if location.contains("://") {
        return Err(QueryError::Location(location.to_string()));
    }
    std::fs::create_dir_all(location).map_err(|source| QueryError::Folder {
        path: location.to_string(),
        source,
    })?;
    let absolute = std::fs::canonicalize(location).map_err(|source| QueryError::Folder {
        path: location.to_string(),
        source,
    })?;
    let root = Url::from_directory_path(&absolute)
        .map_err(|_| QueryError::Location(location.to_string()))?;
    Ok((root, Arc::new(LocalFileSystem::new())))
}

/// The URL of a table's folder, with a trailing slash.
fn table_url(root: &Url, table: Table) -> Result<Url, QueryError> {
    root.join(&format!("{}/", table.name()))
        .map_err(|_| QueryError::Location(root.to_string()))
}

/// The order every lake file is written in (by site, then time); neither is ever null.
const SORT_KEYS: [&str; 2] = ["site", "event_time"];

/// Registers one table as a listing table with `date` and `hour` partition columns. The schema
/// is the table's own, so a table without files is registered too, empty. A Delta table's
/// scans skip files by the statistics of `log`.
async fn register(
    ctx: &SessionContext,
    table: Table,
    root: &Url,
    format: &Arc<ParquetFormat>,
    log: Option<Arc<LogStatistics>>,
) -> Result<(), QueryError> {
    let table_url = ListingTableUrl::parse(table_url(root, table)?.as_str())?;
    // The writer sorts every file by (site, event_time) (neither is ever null); declared, it
    // lets DataFusion skip sorting what one file already orders.
    let sorted = vec![
        SORT_KEYS
            .iter()
            .map(|key| col(*key).sort(true, false))
            .collect(),
    ];
    let options = ListingOptions::new(format.clone())
        .with_file_extension(".parquet")
        .with_table_partition_cols(vec![
            ("date".to_string(), DataType::Date32),
            (hour_folders::HOUR.to_string(), DataType::Int32),
        ])
        .with_file_sort_order(sorted);
    let schema = read_schema(table);
    let config = ListingTableConfig::new(table_url)
        .with_listing_options(options)
        .with_schema(schema);
    // The session's statistics cache, as SessionContext::register_listing_table would set it, so
    // that a user who turns statistics on (`SET datafusion.execution.collect_statistics = true`)
    // reads each footer once per session, not once per query.
    let statistics = ctx.runtime_env().cache_manager.get_file_statistic_cache();
    let listing = ListingTable::try_new(config)?.with_cache(statistics);
    let hours: Arc<dyn TableProvider> = Arc::new(HourFolders::new(Arc::new(listing)));
    let provider: Arc<dyn TableProvider> = match log {
        Some(log) => Arc::new(DataSkipping::new(
            hours,
            log,
            SORT_KEYS.iter().map(|key| key.to_string()).collect(),
        )),
        None => hours,
    };
    ctx.register_table(table.name(), provider)?;
    Ok(())
}

/// The schema a table is read with: the writer's columns, with text read as `Utf8View`, and
/// without the writer's metadata (version, table name), because queries that combine tables
/// (UNION) need their schemas to agree on metadata, and readers need none.
///
/// DataFusion's Parquet reader produces views natively. Declared as `Utf8`, every text column
/// was read as views and then copied into contiguous strings; as views, sorts compare inline
/// prefixes and windows, repartitions and filters move 16-byte views instead of the text
/// (site names and states fit inline). P2's arm-transitions query on the demo lake went from
/// 1.41 to 0.97 s (`benches/RESULTS.md`). Answers are the same: only the in-memory layout
/// differs.
fn read_schema(table: Table) -> Arc<Schema> {
    let fields: Vec<_> = table
        .schema()
        .fields()
        .iter()
        .map(|field| match field.data_type() {
            DataType::Utf8 => Arc::new(field.as_ref().clone().with_data_type(DataType::Utf8View)),
            _ => field.clone(),
        })
        .collect();
    Arc::new(Schema::new(fields))
}
