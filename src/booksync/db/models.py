"""Every table of booksync, imported in one place so migrations see them all."""

from booksync.banking import models as banking_models  # noqa: F401  (registers tables)
from booksync.db.base import Base
from booksync.documents import models as document_models  # noqa: F401  (registers tables)
from booksync.ledger import models as ledger_models  # noqa: F401  (registers tables)
from booksync.ledger import open_item_models  # noqa: F401  (registers tables)
from booksync.reconciliation import models as reconciliation_models  # noqa: F401
from booksync.reconciliation import rule_models  # noqa: F401  (registers tables)
from booksync.users import models as user_models  # noqa: F401  (registers tables)

metadata = Base.metadata
