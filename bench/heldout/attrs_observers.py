"""An event bus built with attrs: each call creates a price widget that
subscribes an observer to the bus and is then thrown away -- but nobody
unsubscribes, so ``BUS.observers`` keeps one PriceObserver per call."""
import attrs

from _truth import grows

EXPECT = "leak"
CULPRIT = "PriceObserver"
CONTAINER = "observers"


@attrs.define
class PriceObserver:
    symbol: str
    threshold: float
    hits: int = 0

    def notify(self, symbol, price):
        if symbol == self.symbol and price > self.threshold:
            self.hits += 1


@attrs.define
class EventBus:
    observers: list = attrs.field(factory=list)

    def subscribe(self, obs):
        self.observers.append(obs)

    def publish(self, symbol, price):
        for o in self.observers:
            o.notify(symbol, price)


BUS = EventBus()


def show_widget(symbol):
    obs = PriceObserver(symbol=symbol, threshold=100.0)
    BUS.subscribe(obs)
    BUS.publish(symbol, 101.0)
    return obs.hits


def setup():
    pass


def action():
    return show_widget("ACME")


def truth(n):
    return grows(action, lambda: len(BUS.observers), n, 1, "bus observers")
