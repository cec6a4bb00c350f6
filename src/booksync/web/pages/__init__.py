"""The pages a person uses, server-rendered: one module per page or group of pages."""
