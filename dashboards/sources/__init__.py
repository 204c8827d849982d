"""One module per part of the platform: its metrics (GROUP BY over its records), its dashboard,
the receivers that keep its rollups current, and the records a figure clicks through to."""
