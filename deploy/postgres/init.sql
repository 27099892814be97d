-- Creates, in the current database, one login role and one schema per Plaza service. Each
-- role owns its schema and nothing else: it cannot read or change another service's tables.
-- Idempotent: `make run` applies it on every start; tests apply it to each fresh database.
-- Run as a superuser. Passwords are set by the deployment (docker-compose, Kubernetes), never
-- here.
DO $$
DECLARE
    service text;
    role_name text;
BEGIN
    FOREACH service IN ARRAY ARRAY['customers', 'inventory', 'payments', 'ordering'] LOOP
        role_name := 'plaza_' || service;
        BEGIN
            EXECUTE format('CREATE ROLE %I LOGIN', role_name);
        EXCEPTION
            -- Roles are cluster-wide: another database (or a concurrent test) made it first.
            WHEN duplicate_object OR unique_violation THEN NULL;
        END;
        EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION %I', service, role_name);
        EXECUTE format('REVOKE ALL ON SCHEMA %I FROM PUBLIC', service);
        EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), role_name);
    END LOOP;
    EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
END
$$;

REVOKE ALL ON SCHEMA public FROM PUBLIC;
