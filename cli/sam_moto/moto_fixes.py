"""A fix to moto's speed, not to its behaviour, applied when the local stack starts.

moto 5.2's TransactWriteItems backs up the whole table before applying a transaction, to
roll back on failure — but once per item of the transaction, not once per table: a
100-item transaction deep-copies the table (and its stream) 100 times. The score stream's
transactions made a local week of demo take minutes, and a year of history run out of
memory. The fix backs each table up once; the rollback is unchanged.
"""

import inspect
import textwrap

_BEFORE = "if table_name and table_name in self.tables:"
_AFTER = "if table_name and table_name in self.tables and table_name not in original_table_state:"
_applied = False


def apply() -> bool:
    """Patches moto once; False when moto's code is no longer the one this fix knows."""
    global _applied
    if _applied:
        return True
    from moto.dynamodb import models

    source = textwrap.dedent(inspect.getsource(models.DynamoDBBackend.transact_write_items))
    if source.count(_BEFORE) != 1:
        return False
    namespace: dict[str, object] = {}
    exec(source.replace(_BEFORE, _AFTER), vars(models), namespace)
    models.DynamoDBBackend.transact_write_items = namespace["transact_write_items"]
    _applied = True
    return True
