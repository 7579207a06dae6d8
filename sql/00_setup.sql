-- Helpers shared by the pg_regress suites, which run in one database in
-- name order, so this file runs first.

-- results(ds): the check results of the certificate just issued for ds.
CREATE FUNCTION public.results(ds regclass)
RETURNS TABLE (check_name text, kind text, passed boolean, element_count bigint,
               unexpected_count bigint, proven_by text, scans integer, reason text)
LANGUAGE sql AS $$
  SELECT r.check_name, r.kind, r.passed, r.element_count, r.unexpected_count,
         r.proven_by, r.scans, r.reason
    FROM dtecert.check_results r
   WHERE r.certificate_id = (SELECT max(c.certificate_id)
                               FROM dtecert.certificates c
                              WHERE c.dataset = dtecert.dataset_name(ds))
   ORDER BY r.check_index
$$;

-- documents(ds): what the checks of that certificate observed and expected.
CREATE FUNCTION public.documents(ds regclass)
RETURNS TABLE (check_name text, observed jsonb, expected jsonb)
LANGUAGE sql AS $$
  SELECT r.check_name, r.observed, r.expected
    FROM dtecert.check_results r
   WHERE r.certificate_id = (SELECT max(c.certificate_id)
                               FROM dtecert.certificates c
                              WHERE c.dataset = dtecert.dataset_name(ds))
   ORDER BY r.check_index
$$;

-- sqlstate_of(sql): the SQLSTATE a statement raises, or 'no error'.
CREATE FUNCTION public.sqlstate_of(sql text) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN
	EXECUTE sql;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE;
END
$f$;
