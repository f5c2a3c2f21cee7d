-- michi hub schema, version 1 (PostgreSQL dialect). Keep in step with ../sqlite/0001_init.sql:
-- the same tables, columns and keys; only the types differ (TIMESTAMPTZ here, INTEGER Unix
-- milliseconds there). Every edge-owned table leads its key with edge_id so Citus can distribute
-- it by edge_id; traffic.minute, hazard_events.at and health_samples.at suit TimescaleDB
-- hypertables. Positions are plain lat/lon columns; 0002 adds PostGIS geometry when available.

CREATE TABLE edges (
    edge_id        TEXT             PRIMARY KEY,
    first_seen     TIMESTAMPTZ      NOT NULL,
    last_seen      TIMESTAMPTZ      NOT NULL,
    health_seq     BIGINT,
    health_at      TIMESTAMPTZ,
    clients        INTEGER,
    vehicles       INTEGER,
    objects        INTEGER,
    active_hazards INTEGER,
    ingest_per_s   DOUBLE PRECISION,
    alert_p50_ms   DOUBLE PRECISION,
    alert_p99_ms   DOUBLE PRECISION,
    queue_depth    INTEGER,
    cov_min_lat    DOUBLE PRECISION,
    cov_min_lon    DOUBLE PRECISION,
    cov_max_lat    DOUBLE PRECISION,
    cov_max_lon    DOUBLE PRECISION
);

CREATE TABLE edge_seq (
    edge_id    TEXT   PRIMARY KEY,
    high_water BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE hazard_events (
    edge_id         TEXT             NOT NULL,
    seq             BIGINT           NOT NULL,
    at              TIMESTAMPTZ      NOT NULL,
    received_at     TIMESTAMPTZ      NOT NULL,
    action_id       TEXT             NOT NULL,
    station_id      BIGINT           NOT NULL,
    sequence_number INTEGER          NOT NULL,
    event           TEXT             NOT NULL,
    cause           SMALLINT         NOT NULL,
    sub_cause       SMALLINT         NOT NULL,
    lat             DOUBLE PRECISION NOT NULL,
    lon             DOUBLE PRECISION NOT NULL,
    radius_m        DOUBLE PRECISION NOT NULL,
    heading_deg     DOUBLE PRECISION,
    quality         SMALLINT         NOT NULL,
    sources         TEXT             NOT NULL,
    detection_time  TIMESTAMPTZ,
    reference_time  TIMESTAMPTZ,
    expiry          TIMESTAMPTZ,
    authority       TEXT             NOT NULL DEFAULT '',
    PRIMARY KEY (edge_id, seq)
);
CREATE INDEX hazard_events_at ON hazard_events (at);
CREATE INDEX hazard_events_lat_lon ON hazard_events (lat, lon);

CREATE TABLE hazards (
    edge_id         TEXT             NOT NULL,
    action_id       TEXT             NOT NULL,
    station_id      BIGINT           NOT NULL,
    sequence_number INTEGER          NOT NULL,
    state           TEXT             NOT NULL,
    last_event      TEXT             NOT NULL,
    last_seq        BIGINT           NOT NULL,
    first_at        TIMESTAMPTZ      NOT NULL,
    updated_at      TIMESTAMPTZ      NOT NULL,
    cause           SMALLINT         NOT NULL,
    sub_cause       SMALLINT         NOT NULL,
    lat             DOUBLE PRECISION NOT NULL,
    lon             DOUBLE PRECISION NOT NULL,
    radius_m        DOUBLE PRECISION NOT NULL,
    heading_deg     DOUBLE PRECISION,
    quality         SMALLINT         NOT NULL,
    sources         TEXT             NOT NULL,
    detection_time  TIMESTAMPTZ,
    reference_time  TIMESTAMPTZ,
    expiry          TIMESTAMPTZ,
    authority       TEXT             NOT NULL DEFAULT '',
    PRIMARY KEY (edge_id, action_id)
);
CREATE INDEX hazards_updated_at ON hazards (updated_at);
CREATE INDEX hazards_lat_lon ON hazards (lat, lon);
CREATE INDEX hazards_authority ON hazards (authority) WHERE authority <> '';

CREATE TABLE traffic (
    quadkey    TEXT             NOT NULL,
    minute     TIMESTAMPTZ      NOT NULL,
    edge_id    TEXT             NOT NULL,
    lat        DOUBLE PRECISION NOT NULL,
    lon        DOUBLE PRECISION NOT NULL,
    count      BIGINT           NOT NULL,
    mean_speed DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (quadkey, minute, edge_id)
);
CREATE INDEX traffic_minute ON traffic (minute);
CREATE INDEX traffic_lat_lon ON traffic (lat, lon);

CREATE TABLE health_samples (
    edge_id        TEXT             NOT NULL,
    seq            BIGINT           NOT NULL,
    at             TIMESTAMPTZ      NOT NULL,
    clients        INTEGER          NOT NULL,
    vehicles       INTEGER          NOT NULL,
    objects        INTEGER          NOT NULL,
    active_hazards INTEGER          NOT NULL,
    ingest_per_s   DOUBLE PRECISION NOT NULL,
    alert_p50_ms   DOUBLE PRECISION NOT NULL,
    alert_p99_ms   DOUBLE PRECISION NOT NULL,
    queue_depth    INTEGER          NOT NULL,
    cov_min_lat    DOUBLE PRECISION,
    cov_min_lon    DOUBLE PRECISION,
    cov_max_lat    DOUBLE PRECISION,
    cov_max_lon    DOUBLE PRECISION,
    PRIMARY KEY (edge_id, seq)
);
CREATE INDEX health_samples_edge_at ON health_samples (edge_id, at);

CREATE TABLE authority_hazards (
    id            TEXT             PRIMARY KEY,
    cause         SMALLINT         NOT NULL,
    sub_cause     SMALLINT         NOT NULL,
    lat           DOUBLE PRECISION NOT NULL,
    lon           DOUBLE PRECISION NOT NULL,
    radius_m      DOUBLE PRECISION NOT NULL,
    heading_deg   DOUBLE PRECISION,
    start_time    TIMESTAMPTZ      NOT NULL,
    validity_s    INTEGER          NOT NULL,
    issuer        TEXT             NOT NULL,
    created_at    TIMESTAMPTZ      NOT NULL,
    updated_at    TIMESTAMPTZ      NOT NULL,
    terminated_at TIMESTAMPTZ
);
CREATE INDEX authority_hazards_lat_lon ON authority_hazards (lat, lon);
