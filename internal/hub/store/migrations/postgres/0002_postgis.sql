-- PostGIS geometry, only where the extension is installed in this database. The hub itself
-- queries lat/lon (indexed) and needs no PostGIS; the geometry columns are for operators' GIS
-- tools. michi_enable_postgis() adds a generated geom column (SRID 4326) with a GiST index to
-- every positioned table; it is idempotent, so an operator who installs PostGIS later runs
--     CREATE EXTENSION postgis; SELECT michi_enable_postgis();
CREATE OR REPLACE FUNCTION michi_enable_postgis() RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    t text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'postgis') THEN
        RETURN false;
    END IF;
    FOREACH t IN ARRAY ARRAY['hazard_events', 'hazards', 'traffic', 'authority_hazards'] LOOP
        EXECUTE format('ALTER TABLE %I ADD COLUMN IF NOT EXISTS geom geometry(Point, 4326) '
            'GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED', t);
        EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %I USING gist (geom)', t || '_geom', t);
    END LOOP;
    RETURN true;
END;
$$;
SELECT michi_enable_postgis();
