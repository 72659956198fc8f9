"""The one asset group every asset of the refresh belongs to.

Dagster's lineage page draws each group as a box and, when a code location has more than one
group, opens with every box collapsed and no status colours (the choice is kept per browser);
with one group it draws the assets themselves. One group is therefore what lets an operator
see the flow snapshot → staging → reports → checks → workbooks → publish, each asset green,
red or grey, at first glance. The stage of an asset is in its key (`snapshot/`, `lead/stg_`,
`lead/`, `kias/`, `publish/`), and the 32 snapshot tables are one asset, `snapshot/tables`,
so they do not drown the flow (defs/snapshot/assets.py).
"""

GROUP = "lead_pipeline"
