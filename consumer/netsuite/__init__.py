"""Everything that knows about NetSuite: settings, client, error tree, governor, lookups, mapping."""
