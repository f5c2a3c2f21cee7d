-- PostGIS geometry, only where the extension is installed in this database. The hub itself
-- queries lat/lon (indexed) and needs no PostGIS; the geometry columns are for operators' GIS
-- tools. michi_enable_postgis() adds a generated geom column (SRID 4326) with a GiST index to
-- every positioned table of the current schema; it is idempotent, so an operator who installs
-- PostGIS later runs
--     CREATE EXTENSION postgis; SELECT michi_enable_postgis();
-- Types and functions are qualified with the extension's schema, so the hub's search_path
-- need not include it.
CREATE OR REPLACE FUNCTION michi_enable_postgis() RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    ns text;
    t  text;
BEGIN
    SELECT n.nspname INTO ns FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        WHERE e.extname = 'postgis';
    IF ns IS NULL THEN
        RETURN false;
    END IF;
    FOREACH t IN ARRAY ARRAY['hazard_events', 'hazards', 'traffic', 'authority_hazards'] LOOP
        EXECUTE format('ALTER TABLE %I ADD COLUMN IF NOT EXISTS geom %I.geometry(Point, 4326) '
            'GENERATED ALWAYS AS (%I.ST_SetSRID(%I.ST_MakePoint(lon, lat), 4326)) STORED', t, ns, ns, ns);
        EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %I USING gist (geom)', t || '_geom', t);
    END LOOP;
    RETURN true;
END;
$$;
SELECT michi_enable_postgis();
