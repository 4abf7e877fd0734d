//! Embedded DataFusion engine, SQL shell and ready-made reports over the lake.
