"""The app's services: what the dashboard's acting pages do, without Streamlit.

- `access`             roles: who sees which page and takes which action (one table);
- `users`              the local users file (scrypt hashes);
- `store`              the app's own writable store (SQLite): settings versions, saved queries,
                       experiments, the audit trail;
- `settings_versions`  read, compare and apply a settings version; start a rebuild;
- `strategy`           grading under candidate settings (the model's own SQL);
- `strategy_preview`   what a candidate would change: grades, workload, collections, breaches;
- `work_queue`         today's delinquent accounts ranked by expected recovery;
- `experiments`        champion / challenger assignment and comparison;
- `workbench`          the analysts' read-only SQL.
"""
