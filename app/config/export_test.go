package config_test

import (
	"testing"

	"botgate/app/config"
)

func TestMaskDSN(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/data/erp.db", "/data/erp.db"},
		{"postgres://erp:p%40ss@127.0.0.1:5432/erp?sslmode=disable", "postgres://erp:******@127.0.0.1:5432/erp?sslmode=disable"},
		{"erp:secret@tcp(127.0.0.1:3306)/erp?parseTime=true", "erp:******@tcp(127.0.0.1:3306)/erp?parseTime=true"},
		{"host=127.0.0.1 user=erp password=secret dbname=erp", "host=127.0.0.1 user=erp password=****** dbname=erp"},
		{"sqlserver://sa:Secret1@127.0.0.1:1433?database=erp", "sqlserver://sa:******@127.0.0.1:1433?database=erp"},
	}
	for _, tc := range tests {
		if got := config.MaskDSN(tc.in); got != tc.want {
			t.Errorf("MaskDSN(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
