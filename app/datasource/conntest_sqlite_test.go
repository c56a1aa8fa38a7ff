package datasource_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"botgate/app/datasource"
)

// 测试连接 on a mistyped SQLite path must say the file is missing, and must
// not create it (opening an SQLite path creates the file, and the folder).
func TestTest_SQLiteMissingFile_ExplainedAndNothingCreated(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, dsn, missing string }{
		{"mistyped file", filepath.Join(dir, "erp-typo.db"), filepath.Join(dir, "erp-typo.db")},
		{"mistyped folder", filepath.Join(dir, "no-such-dir", "erp.db"), filepath.Join(dir, "no-such-dir")},
		{"file: form", "file:" + filepath.Join(dir, "other.db") + "?mode=ro", filepath.Join(dir, "other.db")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := datasource.Test(context.Background(), "sqlite", tc.dsn, "")
			var te *datasource.TestError
			if !errors.As(err, &te) || te.Kind != datasource.FailDSN || !strings.Contains(te.Msg, "找不到 SQLite 数据库文件") {
				t.Fatalf("Test = %v, want a FailDSN saying the file is not there", err)
			}
			if _, err := os.Stat(tc.missing); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("%s exists after the test (err %v): the test created it", tc.missing, err)
			}
		})
	}
}

func TestTest_SQLiteFileThatIsNoDatabase_SaidInChinese(t *testing.T) {
	path := filepath.Join(t.TempDir(), "订单.xlsx")
	if err := os.WriteFile(path, []byte("PK\x03\x04 this is a spreadsheet, not SQLite, and it is long enough to have a header"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := datasource.Test(context.Background(), "sqlite", path, "")
	var te *datasource.TestError
	if !errors.As(err, &te) || !strings.Contains(te.Msg, "不是 SQLite 数据库") || te.Err == nil {
		t.Fatalf("Test = %v, want it to say the file is not an SQLite database", err)
	}
}

func TestTest_SQLiteExistingFile_Succeeds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "erp.db")
	src, err := datasource.Open(context.Background(), "sqlite", path, "")
	if err != nil {
		t.Fatal(err)
	}
	src.Close()
	if err := datasource.Test(context.Background(), "sqlite", path, ""); err != nil {
		t.Fatalf("Test on an existing file = %v", err)
	}
}
