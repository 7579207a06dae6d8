--
-- matches and not_matches: PostgreSQL regexes (~), unanchored, applied to
-- the column's text; NULLs skipped.
--
CREATE SCHEMA check_regex;
SET search_path = check_regex, public;

CREATE TABLE contacts (id integer, email text, sku text, n integer);
INSERT INTO contacts VALUES
    (1, 'ann@example.com',   'AB-001',  100),
    (2, 'BOB@EXAMPLE.COM',   'AB 002',  42),
    (3, 'cécile@exemple.fr', 'ab-003',  999),
    (4, 'not-an-email',      'AB-0004', -12),
    (5, NULL,                NULL,      NULL),
    (6, 'dan@example',       'AB-005',  1000),
    (7, 'x@y.io',            'AB-006',  123),
    (8, '日本@例え.jp',        'AB-007',  NULL);

-- the independent counts
SELECT count(email) AS emails,
       count(*) FILTER (WHERE email !~ '^[^@]+@[^@]+\.[a-z]+$') AS not_matching,
       count(*) FILTER (WHERE email !~ '(?i)^[^@]+@[^@]+\.[a-z]+$') AS not_matching_i,
       count(*) FILTER (WHERE sku ~ '\s') AS sku_space,
       count(n) AS ns,
       count(*) FILTER (WHERE n::text !~ '^[0-9]{3}$') AS n_not_3_digits
  FROM contacts;

-- matches: case-sensitive unless the regex says (?i); unanchored ('@' is
-- found anywhere); unicode values; a backslash kept as written in single
-- quotes, and written twice in double quotes; mostly over the 7 non-null
-- emails (4/7 = 0.571...: 0.57 passes, 0.58 fails); where:; an integer
-- column is matched on its text.
SELECT dtecert.set_policy('contacts', $$
checks:
  - matches: {column: email, regex: '^[^@]+@[^@]+\.[a-z]+$'}
  - matches: {column: email, name: email_double_quoted, regex: "^[^@]+@[^@]+\\.[a-z]+$"}
  - matches: {column: email, name: email_i, regex: '(?i)^[^@]+@[^@]+\.[a-z]+$'}
  - matches: {column: email, name: has_at, regex: '@'}
  - matches: {column: email, name: accented, regex: 'é'}
  - matches: {column: email, name: mostly_57, regex: '^[^@]+@[^@]+\.[a-z]+$', mostly: 0.57}
  - matches: {column: email, name: mostly_58, regex: '^[^@]+@[^@]+\.[a-z]+$', mostly: 0.58}
  - matches: {column: email, name: good_rows, regex: '^[^@]+@[^@]+\.[a-z]+$',
              where: "id NOT IN (2, 4, 6)"}
  - matches: {column: n, regex: '^[0-9]{3}$'}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('contacts');
SELECT * FROM results('contacts');
SELECT * FROM documents('contacts') WHERE check_name IN
    ('matches(email)', 'email_double_quoted', 'mostly_58');

-- not_matches: the mirror image.
SELECT dtecert.set_policy('contacts', $$
checks:
  - not_matches: {column: sku, regex: '\s'}
  - not_matches: {column: sku, name: lower_prefix, regex: '^ab'}
  - not_matches: {column: sku, name: lower_prefix_i, regex: '(?i)^ab'}
  - not_matches: {column: sku, name: four_digits, regex: '[0-9]{4}'}
  - not_matches: {column: sku, name: space_mostly_85, regex: '\s', mostly: 0.85}
  - not_matches: {column: sku, name: space_mostly_86, regex: '\s', mostly: 0.86}
  - not_matches: {column: sku, name: space_where, regex: '\s', where: "id > 2"}
  - not_matches: {column: email, name: cjk, regex: '[日本]'}
  - not_matches: {column: n, name: negative, regex: '^-'}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('contacts');
SELECT * FROM results('contacts');

-- mostly on 100 rows: 99/100 passes mostly 0.99, 98/100 fails.
CREATE TABLE hundred (i integer, one_bad text, two_bad text);
INSERT INTO hundred
SELECT i,
       CASE WHEN i = 33 THEN 'BAD' ELSE 'ok-' || i END,
       CASE WHEN i IN (33, 66) THEN 'BAD' ELSE 'ok-' || i END
  FROM generate_series(1, 100) AS i;
SELECT dtecert.set_policy('hundred', $$
checks:
  - matches: {column: one_bad, regex: '^ok-[0-9]+$', mostly: 0.99}
  - matches: {column: two_bad, regex: '^ok-[0-9]+$', mostly: 0.99}
  - not_matches: {column: one_bad, regex: '[A-Z]', mostly: 0.99}
  - not_matches: {column: two_bad, regex: '[A-Z]', mostly: 0.99}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('hundred');
SELECT * FROM results('hundred');

-- A column of only NULLs passes; so does an empty table.
CREATE TABLE nothing (id integer, s text);
INSERT INTO nothing SELECT i, NULL FROM generate_series(1, 3) AS i;
SELECT dtecert.set_policy('nothing', $$
checks:
  - matches: {column: s, regex: '^x$'}
  - not_matches: {column: s, regex: 'x'}
  - matches: {column: s, name: s_mostly, regex: '^x$', mostly: 0.5}
$$);
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('nothing');
SELECT * FROM results('nothing');
TRUNCATE nothing;
SELECT status, certified, quality_score, checks_passed, checks_failed
  FROM dtecert.certify('nothing');
SELECT * FROM results('nothing');

-- A regex that does not compile is refused when the policy is stored; so is
-- the empty regex for matches, a check that could never fail.
SELECT dtecert.set_policy('contacts', $$
checks:
  - matches: {column: email, regex: ''}
$$);
SELECT dtecert.set_policy('contacts', $$
checks:
  - matches: {column: email, regex: '(unclosed'}
$$);

DROP SCHEMA check_regex CASCADE;
