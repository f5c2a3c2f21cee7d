package store

import "testing"

func TestSQLiteRebind(t *testing.T) {
	for in, want := range map[string]string{
		"SELECT 1":                                            "SELECT 1",
		"VALUES ($1, $2), ($3, $4)":                           "VALUES (?, ?), (?, ?)",
		"SET a = $2 WHERE id = $1 AND a < $2":                 "SET a = ?2 WHERE id = ?1 AND a < ?2",
		"x = $1 AND y = $10 AND z = $2":                       "x = ?1 AND y = ?10 AND z = ?2",
		"price = '$' AND q = $1":                              "price = '$' AND q = ?",
		"SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11": "SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?",
	} {
		if got := (sqliteDialect{}).rebind(in); got != want {
			t.Errorf("rebind(%q) = %q, want %q", in, got, want)
		}
	}
}
