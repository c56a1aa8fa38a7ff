package datasource

import (
	"reflect"
	"testing"
	"time"
)

// The driver values below are what each driver hands database/sql for the
// column type named (read from the drivers' sources); SQL Server has no live
// server here, so this table is its type-mapping proof.
func TestConv_DriverValuesBecomeERPJSON(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	wall := time.Date(2024, 2, 29, 8, 30, 5, 0, time.UTC)             // zoneless types arrive as wall clock in UTC
	withFrac := time.Date(2024, 2, 29, 8, 30, 5, 1234567e2, time.UTC) // 0.1234567 s
	instant := time.Date(2024, 2, 29, 0, 30, 5, 0, time.UTC)          // a zoned value: 08:30:05 in CST
	guid := []byte{0x67, 0x45, 0x23, 0x01, 0xab, 0x89, 0xef, 0xcd, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}
	tests := []struct {
		name   string
		conv   func(any, string) any
		v      any
		dbType string
		want   any
	}{
		{"sqlserver DECIMAL is exact text", convSQLServer, []byte("12345678901234567.1234"), "DECIMAL", "12345678901234567.1234"},
		{"sqlserver MONEY is exact text", convSQLServer, []byte("1234.5000"), "MONEY", "1234.5000"},
		{"sqlserver SMALLMONEY is exact text", convSQLServer, []byte("-0.0100"), "SMALLMONEY", "-0.0100"},
		{"sqlserver BIGINT stays a number", convSQLServer, int64(9007199254740993), "BIGINT", int64(9007199254740993)},
		{"sqlserver DATE is a date", convSQLServer, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), "DATE", "2024-02-29"},
		{"sqlserver DATETIME is wall clock", convSQLServer, wall, "DATETIME", "2024-02-29T08:30:05"},
		{"sqlserver DATETIME2 keeps fractions", convSQLServer, withFrac, "DATETIME2", "2024-02-29T08:30:05.1234567"},
		{"sqlserver SMALLDATETIME is wall clock", convSQLServer, wall, "SMALLDATETIME", "2024-02-29T08:30:05"},
		{"sqlserver DATETIMEOFFSET is local with offset", convSQLServer, instant, "DATETIMEOFFSET", "2024-02-29T08:30:05+08:00"},
		{"sqlserver TIME is a time of day", convSQLServer, time.Date(1, 1, 1, 17, 45, 0, 0, time.UTC), "TIME", "17:45:00"},
		{"sqlserver UNIQUEIDENTIFIER in canonical form", convSQLServer, guid, "UNIQUEIDENTIFIER", "01234567-89AB-CDEF-0123-456789ABCDEF"},
		{"sqlserver VARBINARY of text bytes is still base64", convSQLServer, []byte("abc"), "VARBINARY", "YWJj"},
		{"sqlserver IMAGE is base64", convSQLServer, []byte{0xff, 0xd8}, "IMAGE", "/9g="},
		{"sqlserver NVARCHAR Chinese intact", convSQLServer, "张三（财务部）", "NVARCHAR", "张三（财务部）"},
		{"sqlserver NULL stays null", convSQLServer, nil, "DECIMAL", nil},
		{"sqlserver BIT is a boolean", convSQLServer, true, "BIT", true},

		{"mysql text-protocol INT becomes a number", convMySQL, []byte("-42"), "INT", int64(-42)},
		{"mysql UNSIGNED BIGINT beyond int64 stays exact text", convMySQL, []byte("18446744073709551615"), "UNSIGNED BIGINT", "18446744073709551615"},
		{"mysql DECIMAL is exact text", convMySQL, []byte("0.10"), "DECIMAL", "0.10"},
		{"mysql DATETIME gets the T", convMySQL, []byte("2024-02-29 08:30:05.250"), "DATETIME", "2024-02-29T08:30:05.250"},
		{"mysql zero date is null", convMySQL, []byte("0000-00-00"), "DATE", nil},
		{"mysql BLOB of text bytes is base64", convMySQL, []byte("abc"), "BLOB", "YWJj"},
		{"mysql VARCHAR stays text", convMySQL, []byte("李四"), "VARCHAR", []byte("李四")},
		{"mysql binary-protocol int untouched", convMySQL, int64(7), "INT", int64(7)},

		{"postgres DATE is a date", convPostgres, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), "DATE", "2024-02-29"},
		{"postgres TIMESTAMP is wall clock", convPostgres, wall, "TIMESTAMP", "2024-02-29T08:30:05"},
		{"postgres TIMESTAMPTZ is local with offset", convPostgres, instant, "TIMESTAMPTZ", "2024-02-29T08:30:05+08:00"},
		{"postgres NUMERIC text untouched", convPostgres, "1.005", "NUMERIC", "1.005"},
		{"postgres BYTEA is base64", convPostgres, []byte("abc"), "BYTEA", "YWJj"},

		{"sqlite DATE text is a date", convSQLite, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), "DATE", "2024-02-29"},
		{"sqlite DATETIME text without zone is wall clock", convSQLite, wall, "DATETIME", "2024-02-29T08:30:05"},
		{"sqlite DATETIME text with a zone is local with offset", convSQLite, instant.In(time.FixedZone("", -5*3600)), "DATETIME", "2024-02-29T08:30:05+08:00"},
		{"sqlite BLOB is base64", convSQLite, []byte("abc"), "BLOB", "YWJj"},
	}
	old := time.Local
	time.Local = cst
	defer func() { time.Local = old }()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.conv(tc.v, tc.dbType); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("conv(%#v, %s) = %#v, want %#v", tc.v, tc.dbType, got, tc.want)
			}
		})
	}
}
