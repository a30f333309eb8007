"""Pure planning core: a `Scenario` in, a `Plan` out. Never imports Django."""
