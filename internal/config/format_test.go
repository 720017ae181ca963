package config

import "fmt"

func formatValue(v any) string { return fmt.Sprintf("%v %s", v, v) }
func formatGo(v any) string    { return fmt.Sprintf("%#v", v) }
