"""The people who use booksync through the web app: users, roles, sessions, tokens.

A user has a role (what they may do) and sees every company or the ones
granted; a browser signs in with a session cookie, a program with an API
token, and both resolve to a :class:`~booksync.users.principal.Principal`.
Every secret is stored hashed (docs/users.md, "Users and roles").  Nothing
here belongs to one company, so these functions take a SQLAlchemy session,
not a company's books.
"""
