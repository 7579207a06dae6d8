/* dtecert 0.2.0 → 0.3.0: lineage (OpenLineage events from a background
 * worker).  A fresh install runs 0.1.0, then 0.1.0 → 0.2.0, then this. */

\echo Use "ALTER EXTENSION dtecert UPDATE TO '0.3.0'" to load this file. \quit
