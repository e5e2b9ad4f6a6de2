"""The Whoosh engine: revsearch's default, an index in a folder. The only
package of revsearch that imports ``whoosh``."""

from .engine import WhooshEngine, WhooshView
from .settings import WhooshSettings

__all__ = ["WhooshEngine", "WhooshSettings", "WhooshView"]
