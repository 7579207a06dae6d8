{#-
  dtecert's dbt macros (docs/dbt.md).  Each renders one SQL statement for a
  post-hook; run them outside the model's transaction, after the model's
  relation is committed:

    +post-hook:
      - sql: "{{ dtecert.dtecert_apply_policy() }}"
        transaction: false
      - sql: "{{ dtecert.dtecert_certify() }}"
        transaction: false
      - sql: "{{ dtecert.dtecert_assert_certified() }}"
        transaction: false

  Every value reaches the SQL as an escape string literal (E'...', backslashes
  and quotes doubled), whatever standard_conforming_strings says.
-#}

{#- A value as a SQL literal (NULL for none). -#}
{% macro dtecert_sql_literal(value) -%}
  {%- if value is none -%}
    NULL
  {%- else -%}
    E'{{ (value | string) | replace("\\", "\\\\") | replace("'", "''") }}'
  {%- endif -%}
{%- endmacro %}

{#- The relation: the argument, else the model's `this`. -#}
{% macro dtecert_relation_literal(relation=none) -%}
  {{ dtecert_sql_literal(relation if relation is not none else this) }}::regclass
{%- endmacro %}

{#-
  dtecert_certify(relation=this, version=var('dtecert_version', invocation_id))

  Certifies the relation and records the version label (dbt's invocation id by
  default, so a certificate names the dbt run that built the data).  A verdict
  never fails the hook: use dtecert_assert_certified() to gate.
-#}
{% macro dtecert_certify(relation=none, version=none) -%}
  {%- if version is none -%}
    {%- set version = var('dtecert_version', invocation_id) -%}
  {%- endif -%}
select certificate_id, status, certified
  from dtecert.certify({{ dtecert_relation_literal(relation) }}, {{ dtecert_sql_literal(version) }})
{%- endmacro %}

{#-
  dtecert_assert_certified(relation=this, min_tier=none)

  Fails the hook (SQLSTATE 23514, naming the status, its reason and what
  failed) unless the relation holds a valid certificate, at min_tier or above
  when given.
-#}
{% macro dtecert_assert_certified(relation=none, min_tier=none) -%}
select dtecert.assert_certified({{ dtecert_relation_literal(relation) }}
  {%- if min_tier is not none %}, {{ dtecert_sql_literal(min_tier) }}{% endif %})
{%- endmacro %}

{#-
  dtecert_apply_policy(relation=this, policy=none)

  Stores the policy kept in the model's meta (`meta: {dtecert: {...}}`, in
  the model's properties or its config) as JSON, or the `policy` given (a
  mapping, or YAML/JSON text).  A policy identical to the dataset's current
  one is not stored again, so re-running dbt does not make a new policy
  version (which would make the dataset due for re-certification).
-#}
{% macro dtecert_apply_policy(relation=none, policy=none) -%}
  {%- set spec = policy -%}
  {%- if spec is none and config is defined -%}
    {%- set meta = config.get('meta') or {} -%}
    {%- set spec = meta.get('dtecert') -%}
  {%- endif -%}
  {%- if spec is none and model is defined and model is mapping -%}
    {%- set meta = model.get('meta') or (model.get('config') or {}).get('meta') or {} -%}
    {%- set spec = meta.get('dtecert') -%}
  {%- endif -%}
  {%- if spec is none -%}
select 'dtecert: no policy in the meta of {{ (relation if relation is not none else this) | string | replace("'", "''") }}' as dtecert_apply_policy
  {%- else -%}
    {%- if spec is string -%}
      {%- set text = spec -%}
    {%- elif tojson is defined -%}
      {%- set text = tojson(spec) -%}
    {%- else -%}
      {%- set text = spec | tojson -%}
    {%- endif -%}
select dtecert.set_policy(p.rel, p.spec)
  from (select {{ dtecert_relation_literal(relation) }} as rel,
               {{ dtecert_sql_literal(text) }}::text as spec) p
 where (select c.source from dtecert.policies c
         where c.dataset = dtecert.dataset_name(p.rel)
         order by c.version desc limit 1) is distinct from p.spec
  {%- endif -%}
{%- endmacro %}
