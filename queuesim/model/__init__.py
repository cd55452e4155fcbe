"""The model layer: validated config models and the config loader.

What a contact centre is (:mod:`.scenario` with its blocks: :mod:`.distributions`,
:mod:`.profile`, :mod:`.shifts`, :mod:`.groups`, :mod:`.announcements`,
:mod:`.callbacks`, :mod:`.prices`), what an experiment runs (:mod:`.spec`,
:mod:`.sweep`), and how a YAML file becomes one (:mod:`.config`, with the field
types of :mod:`.fields` and the units of :mod:`.units`). Every model derives
from :class:`~queuesim.model.base.ConfigModel`.

Imports nothing above itself (no engine, no SimPy, pandas or matplotlib), so
``queuesim validate`` stays fast. Submodules are imported explicitly.
"""
