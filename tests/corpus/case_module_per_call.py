"""Leak: a tenant plugin loader builds a module per request (types.ModuleType,
exec of the plugin source) and registers it in sys.modules under a unique
name: one module, its dict and its functions per call."""
import itertools
import sys
import types

EXPECT = "leak"
CULPRIT = "module"
CONTAINER = "sys.modules"

PLUGIN_SOURCE = '''
NAME = {name!r}
RATES = {{"EUR": 1.0, "USD": 1.08, "GBP": 0.86}}

def transform(record):
    return {{k: str(v).upper() for k, v in record.items()}}
'''
_ids = itertools.count(1)


def load_plugin():
    name = "tenant_plugin_%d" % next(_ids)
    mod = types.ModuleType(name)
    exec(compile(PLUGIN_SOURCE.format(name=name), "<plugin %s>" % name, "exec"), mod.__dict__)
    sys.modules[name] = mod  # bug: a new name per call
    return mod.transform({"currency": "eur", "amount": 3})


def setup():
    pass


def action():
    load_plugin()


def truth(n):
    from _ground import grows_by

    def plugins():
        return sum(1 for k in list(sys.modules) if k.startswith("tenant_plugin_"))

    return grows_by(plugins, action, n, 1)
