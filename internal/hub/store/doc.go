// Package store is the cloud hub's database: one schema, two backends.
//
//   - SQLite (modernc.org/sqlite, pure Go) is the default: Options.DSN is a file path. The file
//     runs in WAL mode with synchronous=FULL (a stored batch survives a power cut: the edge
//     trims its queue on the hub's ack, so an acknowledged record must not be lost) and a busy
//     timeout. Writes go through one connection whose transactions are BEGIN IMMEDIATE; reads
//     use a separate pool of query_only connections, which WAL lets run beside the writer.
//   - PostgreSQL (github.com/jackc/pgx/v5 through database/sql) when the DSN is a
//     postgres:// URL. Several hub replicas may share one database.
//
// The schema lives in embedded migrations (migrations/{sqlite,postgres}/NNNN_name.sql, the same
// versions, tables and columns in both; only types differ) recorded in schema_migrations and
// applied by Open in one transaction (an advisory lock on PostgreSQL, BEGIN IMMEDIATE on SQLite,
// so replicas starting together take turns). Tables:
//
//	edges            id, first/last seen (hub clock), latest health incl. coverage box
//	edge_seq         (edge_id, high_water): the exactly-once mark
//	hazard_events    every hazard lifecycle event, primary key (edge_id, seq)
//	hazards          the latest state per (edge_id, action_id)
//	traffic          (quadkey, minute, edge_id) → count, mean_speed, tile centre lat/lon; merged on upsert
//	health_samples   every health record, primary key (edge_id, seq)
//	authority_hazards hazards issued by road authorities through the hub's API
//
// Positions are plain lat/lon columns with B-tree indexes, which is what the hub queries (bbox
// filters, across the antimeridian too). On PostgreSQL, migration 2 adds a generated PostGIS
// geometry column (SRID 4326, GiST index) to every positioned table if the postgis extension is
// installed; an operator who installs it later runs SELECT michi_enable_postgis(). Times are
// TIMESTAMPTZ on PostgreSQL (ready for TimescaleDB hypertables) and Unix milliseconds on SQLite;
// every edge-owned table's key starts with edge_id (ready for Citus distribution by edge_id).
//
// Exactly once: Store/StoreBatch (the uplink.Sink) lock the edge's edge_seq row (SELECT … FOR
// UPDATE; on SQLite the IMMEDIATE transaction), skip records at or below the mark, write the
// rest with multi-row INSERTs (traffic and current hazards as upserts) and the new mark, and
// commit once. Concurrent stores for one edge — in one hub or across replicas — serialise on
// that row; the (edge_id, seq) primary keys are the backstop.
//
// This package imports internal/uplink (the record types), pkg/geo and pkg/v2x only; it must not
// import the hub's API or anything of the edge.
package store
