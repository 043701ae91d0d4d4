"""Not a leak: a document converter creates a codec lazily the first time it
meets each of five formats; the first five calls each add one (three of them
after find_leaks' warm-up), then the registry stays at five."""
EXPECT = "quiet"

FORMATS = ("json", "csv", "xml", "yaml", "toml")
REGISTRY = {}
_calls = [0]


class Codec:
    def __init__(self, fmt):
        self.fmt = fmt
        self.escapes = {chr(c): "\\x%02x" % c for c in range(32)}
        self.options = {"indent": 2, "sort_keys": fmt == "json"}

    def dump(self, record):
        return "%s:%s" % (self.fmt, ",".join("%s=%s" % kv for kv in sorted(record.items())))


def get_codec(fmt):
    codec = REGISTRY.get(fmt)
    if codec is None:
        codec = REGISTRY[fmt] = Codec(fmt)
    return codec


def convert(record, fmt):
    return get_codec(fmt).dump(record)


def setup():
    pass


def action():
    fmt = FORMATS[_calls[0] % len(FORMATS)]
    _calls[0] += 1
    convert({"id": 7, "name": "widget"}, fmt)


def truth(n):
    for _ in range(n):
        action()
    return len(REGISTRY) == len(FORMATS)
