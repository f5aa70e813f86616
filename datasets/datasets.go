// Package datasets holds Recoup's default simulator worlds (JSON files
// documented in simulator's doc.go, with their public sources in
// worlds/SOURCES.md), embedded so that every command can use them by name.
package datasets

import (
	"embed"
	"fmt"
	"io/fs"
	"strings"
)

//go:embed worlds/*.json
var worlds embed.FS

// WorldNames lists the default worlds.
func WorldNames() []string {
	ents, _ := fs.ReadDir(worlds, "worlds") // embedded: cannot fail
	var out []string
	for _, e := range ents {
		out = append(out, strings.TrimSuffix(e.Name(), ".json"))
	}
	return out
}

// World returns the JSON of a default world by name (e.g. "b2c_us").
func World(name string) ([]byte, error) {
	b, err := worlds.ReadFile("worlds/" + name + ".json")
	if err != nil {
		return nil, fmt.Errorf("world %q: not a default world (have %s)", name, strings.Join(WorldNames(), ", "))
	}
	return b, nil
}
