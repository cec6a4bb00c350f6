"""Every table of booksync, imported in one place so migrations see them all."""

from booksync.banking import models as banking_models  # noqa: F401  (registers tables)
from booksync.db.base import Base
from booksync.ledger import models as ledger_models  # noqa: F401  (registers tables)

metadata = Base.metadata
