package channel_test

import (
	"os"
	"strings"
	"testing"

	"botgate/app"
	"botgate/app/channel"
)

// docs/channels.md's support table says what each type's Extras say: a
// type added or changed in code without its row (or the reverse) fails.
func TestExtras_MatchDocsSupportTable(t *testing.T) {
	raw, err := os.ReadFile("../../docs/channels.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(raw), "<!-- extras-table")
	if !ok {
		t.Fatal("docs/channels.md has no extras-table marker")
	}
	rows := map[string]channel.Extras{}
	for _, line := range strings.Split(table, "\n")[3:] {
		if !strings.HasPrefix(line, "| `") {
			break
		}
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) != 4 {
			t.Fatalf("row %q: want 4 cells", line)
		}
		yes := func(c string) bool { return strings.HasPrefix(c, "✓") || strings.HasPrefix(c, "仅网址") }
		rows[strings.Trim(cells[0], "`")] = channel.Extras{Mention: yes(cells[1]), Image: yes(cells[2]), ImageURLOnly: strings.HasPrefix(cells[2], "仅网址"), File: yes(cells[3])}
	}
	types := app.ChannelTypes()
	if len(rows) != len(types) {
		t.Errorf("the table has %d rows, there are %d channel types", len(rows), len(types))
	}
	for _, ty := range types {
		if got, ok := rows[ty.Name]; !ok || got != ty.Extras {
			t.Errorf("%s: docs say %+v (row present: %v), code says %+v", ty.Name, got, ok, ty.Extras)
		}
	}
}
