"""Everything the dashboard reads from the published warehouse, one module per page area.

- `connection`  the published version, the cached connection, the one query function (`query`,
                `capped`: at most `MAX_ROWS` rows), what the version holds;
- `filters`     the sidebar's slice (`Filters`) and the values its widgets offer;
- `combine`     how a slice's rows combine: sums, and rates as sums over sums;
- `portfolio`, `migration`, `contacts`, `promises`, `compliance`, `accounts`   the collections
                pages' reads; `operations` the Loads and Data quality pages'; `acting` the
                Strategy, Work queue, Champion / challenger and SQL workbench pages'.

Each read is cached per published version (`st.cache_data`) and selects from the `mart` views at
the grain its page filters on: it filters and sums, it never re-derives a measure (a measure's
definition is its view's, in `sql/mart/`). The pages only draw what these return.
"""
