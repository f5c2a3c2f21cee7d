-- michi hub schema, version 1 (SQLite dialect). Keep in step with ../postgres/0001_init.sql:
-- the same tables, columns and keys; only the types differ. Times are INTEGER Unix milliseconds
-- (UTC); PostgreSQL uses TIMESTAMPTZ for the same columns.

-- One row per edge that ever sent a record: when the hub first and last heard from it (hub
-- clock) and its latest health record, including the coverage box used to route authority
-- hazards (cov_* NULL until the first health record).
CREATE TABLE edges (
    edge_id        TEXT    PRIMARY KEY,
    first_seen     INTEGER NOT NULL,
    last_seen      INTEGER NOT NULL,
    health_seq     INTEGER,
    health_at      INTEGER,
    clients        INTEGER,
    vehicles       INTEGER,
    objects        INTEGER,
    active_hazards INTEGER,
    ingest_per_s   REAL,
    alert_p50_ms   REAL,
    alert_p99_ms   REAL,
    queue_depth    INTEGER,
    cov_min_lat    REAL,
    cov_min_lon    REAL,
    cov_max_lat    REAL,
    cov_max_lon    REAL
);

-- The exactly-once mark: the highest record seq stored for the edge, updated in the same
-- transaction as the records.
CREATE TABLE edge_seq (
    edge_id    TEXT    PRIMARY KEY,
    high_water INTEGER NOT NULL DEFAULT 0
);

-- Every hazard lifecycle event an edge reported (history).
CREATE TABLE hazard_events (
    edge_id         TEXT    NOT NULL,
    seq             INTEGER NOT NULL,
    at              INTEGER NOT NULL,
    received_at     INTEGER NOT NULL,
    action_id       TEXT    NOT NULL,
    station_id      INTEGER NOT NULL,
    sequence_number INTEGER NOT NULL,
    event           TEXT    NOT NULL,
    cause           INTEGER NOT NULL,
    sub_cause       INTEGER NOT NULL,
    lat             REAL    NOT NULL,
    lon             REAL    NOT NULL,
    radius_m        REAL    NOT NULL,
    heading_deg     REAL,
    quality         INTEGER NOT NULL,
    sources         TEXT    NOT NULL,
    detection_time  INTEGER,
    reference_time  INTEGER,
    expiry          INTEGER,
    authority       TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (edge_id, seq)
);
CREATE INDEX hazard_events_at ON hazard_events (at);
CREATE INDEX hazard_events_lat_lon ON hazard_events (lat, lon);

-- The latest state of every hazard, one row per (edge_id, action_id).
CREATE TABLE hazards (
    edge_id         TEXT    NOT NULL,
    action_id       TEXT    NOT NULL,
    station_id      INTEGER NOT NULL,
    sequence_number INTEGER NOT NULL,
    state           TEXT    NOT NULL,
    last_event      TEXT    NOT NULL,
    last_seq        INTEGER NOT NULL,
    first_at        INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    cause           INTEGER NOT NULL,
    sub_cause       INTEGER NOT NULL,
    lat             REAL    NOT NULL,
    lon             REAL    NOT NULL,
    radius_m        REAL    NOT NULL,
    heading_deg     REAL,
    quality         INTEGER NOT NULL,
    sources         TEXT    NOT NULL,
    detection_time  INTEGER,
    reference_time  INTEGER,
    expiry          INTEGER,
    authority       TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (edge_id, action_id)
);
CREATE INDEX hazards_updated_at ON hazards (updated_at);
CREATE INDEX hazards_lat_lon ON hazards (lat, lon);
CREATE INDEX hazards_authority ON hazards (authority) WHERE authority <> '';

-- Vehicles per zoom-16 tile, minute and edge; lat/lon is the tile's centre. Upserts merge:
-- counts add, mean speeds combine weighted by count.
CREATE TABLE traffic (
    quadkey    TEXT    NOT NULL,
    minute     INTEGER NOT NULL,
    edge_id    TEXT    NOT NULL,
    lat        REAL    NOT NULL,
    lon        REAL    NOT NULL,
    count      INTEGER NOT NULL,
    mean_speed REAL    NOT NULL,
    PRIMARY KEY (quadkey, minute, edge_id)
);
CREATE INDEX traffic_minute ON traffic (minute);
CREATE INDEX traffic_lat_lon ON traffic (lat, lon);

-- Every health record (for latency and load plots).
CREATE TABLE health_samples (
    edge_id        TEXT    NOT NULL,
    seq            INTEGER NOT NULL,
    at             INTEGER NOT NULL,
    clients        INTEGER NOT NULL,
    vehicles       INTEGER NOT NULL,
    objects        INTEGER NOT NULL,
    active_hazards INTEGER NOT NULL,
    ingest_per_s   REAL    NOT NULL,
    alert_p50_ms   REAL    NOT NULL,
    alert_p99_ms   REAL    NOT NULL,
    queue_depth    INTEGER NOT NULL,
    cov_min_lat    REAL,
    cov_min_lon    REAL,
    cov_max_lat    REAL,
    cov_max_lon    REAL,
    PRIMARY KEY (edge_id, seq)
);
CREATE INDEX health_samples_edge_at ON health_samples (edge_id, at);

-- Hazards issued by road authorities through the hub's API.
CREATE TABLE authority_hazards (
    id            TEXT    PRIMARY KEY,
    cause         INTEGER NOT NULL,
    sub_cause     INTEGER NOT NULL,
    lat           REAL    NOT NULL,
    lon           REAL    NOT NULL,
    radius_m      REAL    NOT NULL,
    heading_deg   REAL,
    start_time    INTEGER NOT NULL,
    validity_s    INTEGER NOT NULL,
    issuer        TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    terminated_at INTEGER
);
CREATE INDEX authority_hazards_lat_lon ON authority_hazards (lat, lon);
