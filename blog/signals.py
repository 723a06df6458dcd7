"""Signals other parts listen to (the page cache, notifications)."""

from blinker import Namespace

_signals = Namespace()

#: sent with ``comment`` after its status (or text) changed; the caller commits.
comment_changed = _signals.signal("comment-changed")
#: sent with ``post`` after it was created, edited or deleted.
post_changed = _signals.signal("post-changed")
