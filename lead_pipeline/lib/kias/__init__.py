"""Kansas KIAS discipline extract (docs/kias.md): pure Polars, no Dagster.

The modules follow the spec's sections, each a set of frame -> frame functions:

- `reference`  the KIAS code tables (data/reference/kias_*.csv, docs/kias.md §6) and event
               categories
- `population` editor parameters and the candidate resolutions that pass the §2 filters
- `days`       the per-resolution day count DAYS (§3.6) and its exact rounding (§3.7)
- `status`     IDEA and foster status on the incident date (§3.3, §3.4)
- `columns`    grouping by student, event and state code (A1) and the 42 columns (§4)
- `validation` the two data-validation rules V1 and V2 (§7)
- `output`     the state CSV (A38) and the HTML review page
"""
