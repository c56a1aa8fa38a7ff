package datasource

import (
	"context"
	"fmt"
	"maps"
	"slices"
)

// opener opens one driver's data source; forbidden is BotGate's own state
// database, which no data source may reach.
type opener func(ctx context.Context, dsn, forbidden string) (Source, error)

// openers lists the supported drivers by their config name.
var openers = map[string]opener{
	"sqlite": func(ctx context.Context, dsn, forbidden string) (Source, error) {
		return OpenSQLite(ctx, dsn, forbidden)
	},
	"mysql": func(ctx context.Context, dsn, _ string) (Source, error) {
		return OpenMySQL(ctx, dsn)
	},
	"postgres": func(ctx context.Context, dsn, _ string) (Source, error) {
		return OpenPostgres(ctx, dsn)
	},
	"sqlserver": func(ctx context.Context, dsn, _ string) (Source, error) {
		return OpenSQLServer(ctx, dsn)
	},
}

// Drivers lists the supported driver names, sorted.
func Drivers() []string { return slices.Sorted(maps.Keys(openers)) }

// Open opens a data source of the given driver.
func Open(ctx context.Context, driver, dsn, forbidden string) (Source, error) {
	open, ok := openers[driver]
	if !ok {
		return nil, fmt.Errorf("不支持的数据库类型 %q", driver)
	}
	return open(ctx, dsn, forbidden)
}
