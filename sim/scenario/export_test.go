package scenario

// For this directory's external tests (suite_test.go).
var SkipMochiRace = skipMochiRace
