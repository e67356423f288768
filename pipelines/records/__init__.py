"""Record-level inputs: teacher census and NPQ participant records (pseudonymised ids only).

contract.py says what a file must hold; synthetic.py writes seeded synthetic records in that
shape; the Dagster assets in pipelines/defs/records/ stage them one academic year per
partition and build the record-level marts (pipelines/sql/records/).
"""
