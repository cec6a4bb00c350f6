"""booksync: keeps a company's books in step with banks and other instances."""

__version__ = "0.1.0"
