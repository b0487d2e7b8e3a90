"""The three clean-ups (三清): idle land 闲置, approved-but-unsupplied 批而未供, low-efficiency 低效.

Each is a pure function of layers, an ``as_of`` date and the :class:`~gis.policy.Policy`; every
row says why it is there.
"""
