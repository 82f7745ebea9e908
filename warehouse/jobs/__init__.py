"""The jobs that publish: each runs inside one `warehouse.storage.publication`.

- `load`     `collections load INBOX`: land the files, refresh the marts, check, publish;
- `check`    `collections check`: every data-quality suite on the published warehouse;
- `rebuild`  `collections rebuild`: the marts with the settings version in force.
"""
