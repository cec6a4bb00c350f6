from sqlalchemy import text


def test_schema_has_triggers(engine):
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            n = conn.execute(text("SELECT count(*) FROM sqlite_master WHERE type='trigger'"))
        else:
            n = conn.execute(text("SELECT count(*) FROM information_schema.triggers "
                                  "WHERE trigger_schema = current_schema()"))
        assert n.scalar() >= 4
